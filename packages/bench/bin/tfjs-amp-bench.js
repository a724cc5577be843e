#!/usr/bin/env node
// The `tfjs-amp-bench` command. In a checkout of the tfjs-amp repository (src/ present and tsx
// installed) it runs src/cli.ts through tsx, so `npx tfjs-amp-bench` works right after `npm ci`,
// with no build, and never runs a stale dist/. An installed package (no src/) runs dist/cli.js.
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const built = new URL('../dist/cli.js', import.meta.url);

/** tsx's ESM loader, resolved from this package (so any working directory works), or null. */
function tsxLoader() {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return null;
  }
}

const loader = existsSync(source) ? tsxLoader() : null;
if (loader != null) {
  // `@tfjs-amp/source`: in-repo @tfjs-amp/* packages resolve to their src/ (see their exports).
  const child = spawn(
    process.execPath,
    ['--conditions=@tfjs-amp/source', '--import', loader, source, ...process.argv.slice(2)],
    {stdio: 'inherit'},
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal != null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else if (existsSync(fileURLToPath(built))) {
  const {main} = await import(built.href);
  process.exitCode = await main();
} else {
  process.stderr.write(
    'tfjs-amp-bench: neither dist/cli.js nor src/cli.ts with tsx is here. In the tfjs-amp ' +
      'repository run `npm ci` first (it installs tsx), or `npm run build`; otherwise reinstall ' +
      '@tfjs-amp/bench.\n',
  );
  process.exitCode = 1;
}
