import {defineProject, type UserWorkspaceConfig} from 'vitest/config';

/**
 * Settings every package's vitest project shares. In-repo imports of `@tfjs-amp/*` resolve to
 * `src/` through the `@tfjs-amp/source` export condition, so tests never need a build first.
 */
export function ampProject(name: string, extra: UserWorkspaceConfig['test'] = {}) {
  const conditions = ['@tfjs-amp/source', 'import', 'module', 'node', 'default'];
  return defineProject({
    resolve: {conditions},
    ssr: {resolve: {conditions, externalConditions: ['@tfjs-amp/source']}},
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      ...extra,
    },
  });
}
