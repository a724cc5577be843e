// Benchmarks of @tfjs-amp/callbacks: `npm run bench` (all), or `tsx ... bench/run.ts <subject>`.
// `--quick` runs a short smoke version.
const SUBJECTS: Record<string, () => Promise<{run: (quick?: boolean) => Promise<string>}>> = {
  'epoch-monitors-vs-none': () => import('./epoch-monitors-vs-none.js'),
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
