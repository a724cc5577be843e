import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {REPORT_SCHEMA_VERSION, type RunReport, type SuiteReport} from '../suite-report.js';
import {ReportFileError, prepareOutputDir, writeFileAtomic} from './output-files.js';

/**
 * The report as JSON text. Non-finite numbers (a diverged loss) become `null`, as JSON has no
 * NaN; everything else is kept as measured.
 */
export function toJson(report: SuiteReport): string {
  return `${JSON.stringify(report, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/**
 * Writes `report.json` into `dir` (created if missing) atomically (temporary file, then rename)
 * and returns its path.
 * @throws ReportFileError when `dir` cannot be created or written (see {@link prepareOutputDir}).
 */
export function writeJsonReport(report: SuiteReport, dir: string): string {
  const path = join(prepareOutputDir(dir), 'report.json');
  writeFileAtomic(path, toJson(report));
  return path;
}

/** Numbers JSON cannot hold come back from `null` as NaN, so tables print them as NaN. */
function restoreNaN(run: RunReport): RunReport {
  const num = (v: unknown) => (v === null ? Number.NaN : (v as number));
  const stepTime = Object.fromEntries(
    Object.entries(run.stepTime).map(([k, v]) => [k, num(v)]),
  ) as unknown as RunReport['stepTime'];
  return {
    ...run,
    stepTime,
    samplesPerSec: num(run.samplesPerSec),
    finalTrainLoss: num(run.finalTrainLoss),
    testLoss: num(run.testLoss),
    curves: {
      ...run.curves,
      loss: run.curves.loss.map(num),
      epochLoss: run.curves.epochLoss.map(num),
    },
  };
}

const FIX = 'Pass the report.json an earlier tfjs-amp-bench run wrote into its --out folder.';

/**
 * Reads a report.json written by {@link writeJsonReport} (`null` numbers become NaN again).
 * @throws ReportFileError when the file is missing or unreadable, is not JSON (truncated or
 *   edited), or is not a tfjs-amp bench report of this schema version; the message names the
 *   file and the problem.
 * @example readJsonReport('tfjs-amp-report/report.json').runs.length
 */
export function readJsonReport(path: string): SuiteReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : String(code);
    throw new ReportFileError(`--from: cannot read '${path}': ${why}. ${FIX}`);
  }
  let parsed: SuiteReport;
  try {
    parsed = JSON.parse(text) as SuiteReport;
  } catch (err) {
    throw new ReportFileError(
      `--from: '${path}' is not valid JSON (${text.length} characters; truncated or edited?): ` +
        `${(err as Error).message}. ${FIX}`,
    );
  }
  if (parsed?.tool !== '@tfjs-amp/bench' || parsed.schemaVersion !== REPORT_SCHEMA_VERSION) {
    throw new ReportFileError(
      `--from: '${path}' is not a @tfjs-amp/bench report of schema version ` +
        `${REPORT_SCHEMA_VERSION}; got tool ${JSON.stringify(parsed?.tool)}, version ` +
        `${JSON.stringify(parsed?.schemaVersion)}. ${FIX}`,
    );
  }
  const fields = parsed as unknown as Record<string, unknown>;
  const missing = [
    ...['runs', 'workloads'].filter((k) => !Array.isArray(fields[k])),
    ...['options', 'machine'].filter((k) => fields[k] == null || typeof fields[k] !== 'object'),
  ];
  const badRun = Array.isArray(parsed.runs)
    ? parsed.runs.findIndex(
        (r) =>
          r == null ||
          typeof r !== 'object' ||
          r.stepTime == null ||
          r.memory == null ||
          r.curves == null ||
          !Array.isArray(r.curves.loss),
      )
    : -1;
  if (missing.length > 0 || badRun >= 0) {
    throw new ReportFileError(
      `--from: '${path}' is an incomplete report: ` +
        (missing.length > 0
          ? `missing ${missing.join(', ')}`
          : `run ${badRun} lacks its measurements`) +
        `. ${FIX}`,
    );
  }
  return {...parsed, runs: parsed.runs.map(restoreNaN)};
}
