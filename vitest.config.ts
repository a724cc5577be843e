import {defineConfig} from 'vitest/config';

// `npx vitest` at the root runs every package's project; `npm test` runs them through nx.
export default defineConfig({
  test: {projects: ['packages/*', 'tools/*', 'examples/*']},
});
