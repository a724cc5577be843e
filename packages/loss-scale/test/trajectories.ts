// Loads the scale-trajectory fixtures written by tools/oracles/loss-scale/generate_fixtures.py.
import {readFileSync} from 'node:fs';
import type {LossScaleOptions} from '../src/options.js';

/** One gradient value: a float32 number, or an injected non-finite value. */
export type GradValue = number | 'inf' | '-inf' | 'nan';

/** One recorded step: the scale the step used, whether the library skipped it, its counters. */
export interface TrajectoryStep {
  scale: number;
  skipped: boolean;
  goodSteps?: number;
  hysteresisLeft?: number;
}

/** A library's trajectory on one gradient stream, with the options that configure the same rule. */
export interface Trajectory {
  name: string;
  library: string;
  libraryConfig: Record<string, unknown>;
  options: LossScaleOptions;
  note: string;
  grads: GradValue[][];
  steps: TrajectoryStep[];
  finalScale: number;
}

interface FixtureFile {
  versions: Record<string, string>;
  trajectories: Trajectory[];
}

const file = JSON.parse(
  readFileSync(new URL('./fixtures/scale-trajectories.json', import.meta.url), 'utf8'),
) as FixtureFile;

/** Every trajectory of the fixture file. */
export const TRAJECTORIES: readonly Trajectory[] = file.trajectories;

/** Library versions the fixtures were generated with. */
export const FIXTURE_VERSIONS = file.versions;

/** A gradient value as a JS number (Inf/NaN for the injected ones). */
export function gradNumber(v: GradValue): number {
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  if (v === 'nan') return Number.NaN;
  return v;
}

/**
 * Whether a float16 backward pass of `loss * scale` overflows on this row: the library saw
 * float16(float32(g) * scale), and binary16 rounds |x| >= 65520 (halfway between its largest
 * finite value 65504 and 2^16) to Inf. Injected values are not finite at any scale.
 */
export function overflowsInFloat16(row: readonly GradValue[], scale: number): boolean {
  return row.some((v) => {
    const g = gradNumber(v);
    if (!Number.isFinite(g)) return true;
    return Math.abs(Math.fround(Math.fround(g) * scale)) >= 65520;
  });
}
