// Benchmarks of @tfjs-amp/callbacks: `npm run bench` (all), or `tsx ... bench/run.ts <subject>`.
// `--quick` runs a short smoke version; `--rounds=N` times N rounds per side instead of the
// subject's default (more rounds for a loaded machine).
const SUBJECTS: Record<
  string,
  () => Promise<{run: (quick?: boolean, rounds?: number) => Promise<string>}>
> = {
  'epoch-monitors-vs-none': () => import('./epoch-monitors-vs-none.js'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const rounds = roundsArg == null ? undefined : Number(roundsArg.slice('--rounds='.length));
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) {
  throw new RangeError(`bench: --rounds must be a positive integer; got '${roundsArg}'.`);
}
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
  await subject.run(quick, rounds);
}
