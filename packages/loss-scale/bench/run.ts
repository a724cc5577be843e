// Benchmarks of @tfjs-amp/loss-scale: `npm run bench` (all), or `tsx ... bench/run.ts <subject>`.
// `--quick` runs a short smoke version.
const SUBJECTS: Record<string, () => Promise<{run: (quick?: boolean) => Promise<string>}>> = {
  'mlp-step-device-vs-sync': () => import('./mlp-step-device-vs-sync.js'),
  'mlp-step-device-vs-sync-browser': () => import('./mlp-step-device-vs-sync-browser.js'),
  'mlp-step-loss-scale-vs-plain': () => import('./mlp-step-loss-scale-vs-plain.js'),
  'mlp-step-tfjs-node-fused': () => import('./mlp-step-tfjs-node-fused.js'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
for (const name of names) {
  if (!(name in SUBJECTS)) {
    throw new TypeError(
      `bench: unknown subject '${name}'. Allowed: ${Object.keys(SUBJECTS).sort().join(', ')}.`,
    );
  }
}
for (const name of names.length > 0 ? names : Object.keys(SUBJECTS)) {
  const subject = await SUBJECTS[name]!();
  await subject.run(quick);
}
