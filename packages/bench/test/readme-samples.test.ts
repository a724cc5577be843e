// Every ```ts block of the README runs as written (fragments are marked
// `<!-- readme-sample: skip -->` on the line before their fence).
import {rmSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {describeReadmeSamples} from '@tfjs-amp/test-utils';
import {afterAll} from 'vitest';

describeReadmeSamples(new URL('..', import.meta.url));

// The quick start writes its HTML report where a user would: into the package folder here.
afterAll(() => {
  rmSync(fileURLToPath(new URL('../bench-report', import.meta.url)), {
    recursive: true,
    force: true,
  });
});
