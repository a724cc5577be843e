import * as tf from '@tensorflow/tfjs';
import type {Scalar, Tensor, Tensor1D} from '@tensorflow/tfjs';
import {COUNTER_NAMES, type DeviceScaleState} from '../scale-rule-on-device.js';

/** The state numbers of one read. */
export interface StateNumbers {
  lossScale: number;
  goodSteps: number;
  hysteresisLeft: number;
  overflowCount: number;
  skippedSteps: number;
  lastStepSkipped: boolean;
  appliedSteps: number;
}

/** One step recorded for the events: its scale, the state after it, its gradient norm. */
export interface StepRecord {
  step: number;
  stepScale: number;
  after: StateNumbers;
  gradNorm?: number;
}

/** Floats per recorded step: stepScale, lossScale after, squared gradNorm (NaN when not reported). */
const FLOATS = 3;
/** Steps kept as separate rows before they are joined into one tensor (bounds the tensor count). */
const CHUNK = 64;

/**
 * The `'device'` mode state of a LossScaleOptimizer: the current {@link DeviceScaleState}, plus,
 * while listeners are registered, one small row per step for the events, delivered at the next
 * read. Every tensor here is kept (survives `tf.tidy`) and owned by this object.
 */
export class DeviceState {
  private state: DeviceScaleState;
  private floatRows: Tensor1D[] = [];
  private intRows: Tensor1D[] = [];
  private recordedSteps: number[] = [];
  private hasNorm = false;
  /** Bumped by every change, so an async read knows whether its numbers are still current. */
  version = 0;

  constructor(numbers: StateNumbers) {
    this.state = uploadState(numbers);
  }

  /** The current state tensors (owned here: do not dispose). */
  get current(): DeviceScaleState {
    return this.state;
  }

  /** Replaces the state by numbers (after setWeights); drops recorded steps. */
  reset(numbers: StateNumbers): void {
    this.disposeRows();
    disposeState(this.state);
    this.state = uploadState(numbers);
    this.version++;
  }

  /**
   * Takes `next` (new tensors, which this object now owns) as the state after step `step`, which
   * ran with scale `stepScale`; records the step for the events when `record`.
   */
  advance(
    next: DeviceScaleState,
    step: number,
    stepScale: Scalar,
    gradNormSquared: Scalar | undefined,
    record: boolean,
  ): void {
    for (const t of Object.values(next)) tf.keep(t);
    if (record) {
      this.hasNorm ||= gradNormSquared != null;
      this.floatRows.push(
        tf.keep(
          tf.tidy(() =>
            tf.stack([stepScale, next.lossScale, gradNormSquared ?? tf.scalar(Number.NaN)]),
          ) as Tensor1D,
        ),
      );
      this.intRows.push(tf.keep(stackCounters(next)));
      this.recordedSteps.push(step);
      if (this.floatRows.length % CHUNK === 0 && this.floatRows.length > 0) this.join();
    }
    disposeState(this.state);
    this.state = next;
    this.version++;
  }

  /** Joins the recorded rows into one tensor per dtype (a device op, no read). */
  private join(): void {
    if (this.floatRows.length <= 1) return;
    const floats = tf.keep(tf.concat(this.floatRows));
    const ints = tf.keep(tf.concat(this.intRows));
    tf.dispose([...this.floatRows, ...this.intRows]);
    this.floatRows = [floats];
    this.intRows = [ints];
  }

  /** Whether steps are waiting to be read for their events. */
  get pendingSteps(): number {
    return this.recordedSteps.length;
  }

  /** The tensors one read needs: state then recorded rows, one vector per dtype (new, caller disposes). */
  private readTensors(): {floats: Tensor; ints: Tensor; steps: number[]; version: number} {
    const steps = this.recordedSteps;
    const {floats, ints} = tf.tidy(() => ({
      floats: tf.concat([tf.reshape(this.state.lossScale, [1]), ...this.floatRows]),
      ints: tf.concat([stackCounters(this.state), ...this.intRows]),
    }));
    this.disposeRows();
    return {floats, ints, steps, version: this.version};
  }

  private decode(
    f: ArrayLike<number>,
    n: ArrayLike<number>,
    steps: number[],
  ): {numbers: StateNumbers; records: StepRecord[]} {
    const at = (base: number, name: (typeof COUNTER_NAMES)[number]) =>
      n[base + COUNTER_NAMES.indexOf(name)]!;
    const numbersAt = (scale: number, base: number): StateNumbers => ({
      lossScale: scale,
      goodSteps: at(base, 'goodSteps'),
      hysteresisLeft: at(base, 'hysteresisLeft'),
      overflowCount: at(base, 'overflowCount'),
      skippedSteps: at(base, 'skippedSteps'),
      lastStepSkipped: at(base, 'lastStepSkipped') !== 0,
      appliedSteps: at(base, 'appliedSteps'),
    });
    const records = steps.map((step, k): StepRecord => {
      const at = 1 + k * FLOATS;
      const record: StepRecord = {
        step,
        stepScale: f[at]!,
        after: numbersAt(f[at + 1]!, COUNTER_NAMES.length * (k + 1)),
      };
      return this.hasNorm ? {...record, gradNorm: Math.sqrt(f[at + 2]!)} : record;
    });
    return {numbers: numbersAt(f[0]!, 0), records};
  }

  /** Reads the state and the recorded steps now (two blocking reads). */
  readSync(): {numbers: StateNumbers; records: StepRecord[]} {
    const {floats, ints, steps} = this.readTensors();
    try {
      return this.decode(floats.dataSync(), ints.dataSync(), steps);
    } finally {
      tf.dispose([floats, ints]);
    }
  }

  /**
   * Reads the state and the recorded steps without blocking. `current` says whether no step ran
   * since the read began (else the numbers are older than the state).
   */
  async read(): Promise<{numbers: StateNumbers; records: StepRecord[]; current: boolean}> {
    const {floats, ints, steps, version} = this.readTensors();
    try {
      const [f, n] = await Promise.all([floats.data(), ints.data()]);
      return {...this.decode(f, n, steps), current: version === this.version};
    } finally {
      tf.dispose([floats, ints]);
    }
  }

  private disposeRows(): void {
    tf.dispose([...this.floatRows, ...this.intRows]);
    this.floatRows = [];
    this.intRows = [];
    this.recordedSteps = [];
  }

  /** Frees every tensor. */
  dispose(): void {
    this.disposeRows();
    disposeState(this.state);
  }
}

/** Uploads state numbers as new kept tensors. */
function uploadState(n: StateNumbers): DeviceScaleState {
  const int = (v: number) => tf.keep(tf.scalar(v, 'int32'));
  return {
    lossScale: tf.keep(tf.scalar(n.lossScale)),
    goodSteps: int(n.goodSteps),
    hysteresisLeft: int(n.hysteresisLeft),
    overflowCount: int(n.overflowCount),
    skippedSteps: int(n.skippedSteps),
    lastStepSkipped: int(n.lastStepSkipped ? 1 : 0),
    appliedSteps: int(n.appliedSteps),
  };
}

/** The counters as one int32 vector, in {@link COUNTER_NAMES} order (a new tensor). */
function stackCounters(state: DeviceScaleState): Tensor1D {
  return tf.stack(COUNTER_NAMES.map((name) => state[name])) as Tensor1D;
}

function disposeState(state: DeviceScaleState): void {
  tf.dispose(Object.values(state));
}
