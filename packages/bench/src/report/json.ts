import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {REPORT_SCHEMA_VERSION, type RunReport, type SuiteReport} from '../suite-report.js';

/**
 * The report as JSON text. Non-finite numbers (a diverged loss) become `null`, as JSON has no
 * NaN; everything else is kept as measured.
 */
export function toJson(report: SuiteReport): string {
  return `${JSON.stringify(report, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/** Writes `report.json` into `dir` (created if missing) and returns its path. */
export function writeJsonReport(report: SuiteReport, dir: string): string {
  mkdirSync(dir, {recursive: true});
  const path = join(dir, 'report.json');
  writeFileSync(path, toJson(report));
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

/**
 * Reads a report.json written by {@link writeJsonReport} (`null` numbers become NaN again).
 * @throws TypeError when the file is not a tfjs-amp bench report of this schema version.
 */
export function readJsonReport(path: string): SuiteReport {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as SuiteReport;
  if (parsed?.tool !== '@tfjs-amp/bench' || parsed.schemaVersion !== REPORT_SCHEMA_VERSION) {
    throw new TypeError(
      `readJsonReport: ${path} is not a @tfjs-amp/bench report of schema version ` +
        `${REPORT_SCHEMA_VERSION}; got tool ${JSON.stringify(parsed?.tool)}, version ${JSON.stringify(parsed?.schemaVersion)}.`,
    );
  }
  return {...parsed, runs: parsed.runs.map(restoreNaN)};
}
