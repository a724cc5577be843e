import * as tf from '@tensorflow/tfjs';
import type {NamedTensorMap, Tensor} from '@tensorflow/tfjs';

type NamedTensor = {name: string; tensor: Tensor};
import {CONVENTIONS, type Convention} from '../convention.js';
import {
  type StoragePrecisionOptions,
  derivedSeed,
  resolveStoragePrecision,
  roundForStorage,
} from '../state-precision.js';
import {choiceOption, numberOption, wrongTypeOf} from './check-options.js';

/** A slot variable and the name it is saved under (as tfjs's own optimizers keep them). */
interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/** Hyperparameters every Adam-type optimizer here has. */
export interface MomentHyperparameters {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  convention: Convention;
}

/** float32 rounding of a float64 scalar (what a float32 scalar op of Keras 3 produces). */
export const f32 = Math.fround;

/**
 * The shared machinery of {@link AdamW} and {@link Nadam}: two moment slots per variable (the
 * layout of tfjs's Adam), decoupled weight decay, stored precision of moments and weights, the
 * weights' save/restore protocol. A subclass supplies the step's scalars and the new value.
 *
 * One step, per variable with a gradient g (float32 tensor ops in the order of the `convention`'s
 * library; the per-step scalars in float32 arithmetic for Keras 3, which computes them with
 * float32 ops from float32 β, and in float64 for PyTorch, which computes them in Python):
 * 1. weight decay, when weightDecay > 0, before the moment update: Keras 3 `w − w·(wd·lr)`
 *    (Keras multiplies w·wd first; one multiply by the float32 product differs by at most an
 *    ulp of the 1e-5-sized term, which the subtraction from w almost always absorbs), PyTorch
 *    `w·(1 − lr·wd)`;
 * 2. m ← m + (g − m)(1 − β1) (both; PyTorch's `lerp_`), v ← v + (g² − v)(1 − β2) (Keras 3) or
 *    v·β2 + ((1 − β2)·g)·g (PyTorch's `addcmul_`);
 * 3. w ← the subclass's `newValue(w, g, m, v)` from the float32 moments;
 * 4. m, v and w are written back rounded to `stateFormat` / `weightFormat`.
 */
export abstract class MomentOptimizer<C> extends tf.Optimizer {
  /** Step size. Read at every step, so it can be changed between steps. */
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Whose arithmetic the steps reproduce. */
  readonly convention: Convention;
  /** Storage precision of the moments and weights, defaults filled in. */
  readonly storage: Required<StoragePrecisionOptions>;
  private firstMoments: Slot[] = [];
  private secondMoments: Slot[] = [];

  constructor(where: string, options: object, defaults: MomentHyperparameters) {
    super();
    if (options == null || typeof options !== 'object') {
      throw wrongTypeOf(where, 'options', 'an object', options);
    }
    const o = options as Partial<MomentHyperparameters> & StoragePrecisionOptions;
    this.learningRate = numberOption(where, 'learningRate', o.learningRate, defaults.learningRate, {
      min: 0,
    });
    this.beta1 = numberOption(where, 'beta1', o.beta1, defaults.beta1, {
      min: 0,
      max: 1,
      maxOpen: true,
    });
    this.beta2 = numberOption(where, 'beta2', o.beta2, defaults.beta2, {
      min: 0,
      max: 1,
      maxOpen: true,
    });
    this.epsilon = numberOption(where, 'epsilon', o.epsilon, defaults.epsilon, {min: 0});
    this.weightDecay = numberOption(where, 'weightDecay', o.weightDecay, defaults.weightDecay, {
      min: 0,
    });
    this.storage = resolveStoragePrecision(where, o);
    this.convention = choiceOption(
      where,
      'convention',
      o.convention,
      defaults.convention,
      CONVENTIONS,
    );
  }

  /** Scalars of step `step` (1 for the first), computed once per step for every variable. */
  protected abstract stepCoefficients(step: number): C;

  /**
   * The updated value from the decayed value `w`, gradient `g` and the new moments; `k(x)` is
   * the step's shared float32 scalar tensor for the number x.
   */
  protected abstract newValue(
    w: Tensor,
    g: Tensor,
    m: Tensor,
    v: Tensor,
    c: C,
    k: (x: number) => tf.Scalar,
  ): Tensor;

  /**
   * The moments' update rates `1 − β1`, `1 − β2`. Default: formed in float64 from the Python
   * floats, as Keras 3's Adam and PyTorch do; Keras 3's Nadam forms them from float32 β.
   */
  protected momentRates(): {keepM: number; keepV: number} {
    return {keepM: 1 - this.beta1, keepV: 1 - this.beta2};
  }

  /** Called after `setWeights` has restored `iterations`: rebuild state derived from it. */
  protected restoreDerivedState(): void {}

  /** Sets the step size (tfjs's optimizers' method, used by schedules and callbacks). */
  setLearningRate(learningRate: number): void {
    this.learningRate = numberOption(this.getClassName(), 'learningRate', learningRate, 0, {
      min: 0,
    });
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const isArray = Array.isArray(variableGradients);
    const names = isArray
      ? (variableGradients as NamedTensor[]).map((v) => v.name)
      : Object.keys(variableGradients);
    const step = this.iterations + 1;
    const c = this.stepCoefficients(step);
    const {keepM, keepV} = this.momentRates();
    // Each number operand becomes one float32 scalar tensor per step, shared by all variables
    // (a number passed to an op would upload a new scalar at every use).
    const scalars = new Map<number, tf.Scalar>();
    const k = (x: number): tf.Scalar => {
      let t = scalars.get(x);
      if (t == null) {
        t = tf.keep(tf.scalar(x, 'float32'));
        scalars.set(x, t);
      }
      return t;
    };
    try {
      this.stepVariables(names, variableGradients, isArray, step, c, k, {keepM, keepV});
    } finally {
      tf.dispose([...scalars.values()]);
    }
    this.incrementIterations();
  }

  private stepVariables(
    names: string[],
    variableGradients: NamedTensorMap | NamedTensor[],
    isArray: boolean,
    step: number,
    c: C,
    k: (x: number) => tf.Scalar,
    {keepM, keepV}: {keepM: number; keepV: number},
  ): void {
    const where = this.getClassName();
    const {stateFormat, stateRounding, weightFormat, weightRounding, seed} = this.storage;
    const keras = this.convention === 'keras';
    const {weightDecay: wd, learningRate: lr, beta2} = this;
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      if (value == null) {
        throw new Error(
          `${where}: no variable named '${name}' is registered; pass gradients of tf.Variables.`,
        );
      }
      if (this.firstMoments[i] == null) {
        this.firstMoments[i] = {originalName: `${name}/m`, variable: zeroSlot(value)};
        this.secondMoments[i] = {originalName: `${name}/v`, variable: zeroSlot(value)};
      }
      const g = isArray
        ? (variableGradients as NamedTensor[])[i]!.tensor
        : (variableGradients as NamedTensorMap)[name];
      if (g == null) return;
      const m = this.firstMoments[i]!.variable;
      const v = this.secondMoments[i]!.variable;
      tf.tidy(() => {
        const w =
          wd === 0
            ? value
            : keras
              ? tf.sub(value, tf.mul(value, k(f32(f32(wd) * f32(lr)))))
              : tf.mul(value, k(1 - lr * wd));
        const m1 = tf.add(m, tf.mul(tf.sub(g, m), k(keepM)));
        const v1 = keras
          ? tf.add(v, tf.mul(tf.sub(tf.square(g), v), k(keepV)))
          : tf.add(tf.mul(v, k(beta2)), tf.mul(tf.mul(g, k(keepV)), g)); // addcmul: v + (c·g)·g
        const w1 = this.newValue(w, g, m1, v1, c, k);
        m.assign(
          roundForStorage(where, m1, stateFormat, stateRounding, derivedSeed(seed, step, i, 0)),
        );
        v.assign(
          roundForStorage(where, v1, stateFormat, stateRounding, derivedSeed(seed, step, i, 1)),
        );
        value.assign(
          roundForStorage(where, w1, weightFormat, weightRounding, derivedSeed(seed, step, i, 2)),
        );
      });
    });
  }

  /**
   * `[iter, <var>/m for each variable, <var>/v for each variable]`: tfjs Adam's layout (live
   * slot variables, as tfjs returns them), so `includeOptimizer` saves and restores it.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.firstMoments, ...this.secondMoments];
    return [await this.saveIterations()].concat(
      slots.map((s) => ({name: s.originalName, tensor: s.variable})),
    );
  }

  /**
   * Restores `iterations` and the moments from {@link getWeights}' layout (copies; the previous
   * slot variables are disposed).
   * @throws Error when the moments do not come in pairs.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    if (rest.length % 2 !== 0) {
      throw new Error(
        `${this.getClassName()}: setWeights expects iter then one m and one v per variable; got ${rest.length} slot tensors (odd). Pass what getWeights() returned.`,
      );
    }
    const half = rest.length / 2;
    this.disposeSlots();
    const toSlot = (w: NamedTensor): Slot => ({
      originalName: w.name,
      variable: tf.tidy(() => tf.clone(w.tensor).variable(false)),
    });
    this.firstMoments = rest.slice(0, half).map(toSlot);
    this.secondMoments = rest.slice(half).map(toSlot);
    this.restoreDerivedState();
  }

  override dispose(): void {
    this.disposeSlots();
  }

  private disposeSlots(): void {
    tf.dispose([...this.firstMoments, ...this.secondMoments].map((s) => s.variable));
    this.firstMoments = [];
    this.secondMoments = [];
  }

  /** The shared part of the subclasses' configs. */
  protected baseConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      convention: this.convention,
      ...this.storage,
    };
  }
}

function zeroSlot(value: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.zerosLike(value).variable(false));
}
