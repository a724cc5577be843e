import * as tf from '@tensorflow/tfjs';
import type {Tensor} from '@tensorflow/tfjs';
import {numberOption} from './internal/check-options.js';
import type {Convention} from './convention.js';
import {MomentOptimizer, f32} from './internal/moment-optimizer.js';
import type {StoragePrecisionOptions} from './state-precision.js';

/** Options of {@link Nadam}. */
export interface NadamOptions extends StoragePrecisionOptions {
  /** Step size. Default 0.001 (Keras 3; PyTorch 0.002). */
  learningRate?: number;
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v̂). Default 1e-7 (Keras 3; PyTorch 1e-8). */
  epsilon?: number;
  /**
   * The momentum schedule's exponent scale: `μₜ = β1·(1 − 0.5·0.96^(t·momentumDecay))`. Default 1,
   * what Keras 3's `Nadam` computes (`0.96^t`); PyTorch's `NAdam` and Keras 2 use 0.004, a
   * schedule that stays near β1/2 for thousands of steps.
   */
  momentumDecay?: number;
  /**
   * Decoupled weight decay, as Keras 3's `weight_decay` and PyTorch's `NAdam(...,
   * decoupled_weight_decay=True)`: each step first multiplies every weight by `1 − weightDecay·lr`.
   * Default 0.
   */
  weightDecay?: number;
  /**
   * Whose arithmetic to reproduce: `'keras'` (default; the schedule, Πμ and β2ᵗ in float32
   * arithmetic from float32 β, as Keras 3 computes them) or `'torch'` (Πμ a float32 tensor as
   * PyTorch keeps it, everything else float64). The formula is the same.
   */
  convention?: Convention;
}

/** Defaults of {@link NadamOptions} (Keras 3's `Nadam`). */
export const DEFAULT_NADAM_OPTIONS: Readonly<
  Required<Omit<NadamOptions, keyof StoragePrecisionOptions>>
> = Object.freeze({
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  momentumDecay: 1,
  weightDecay: 0,
  convention: 'keras',
});

interface NadamCoefficients {
  /** lr·μₜ₊₁ / (1 − Πμ·μₜ₊₁): weight of the new first moment. */
  momentWeight: number;
  /** lr·(1 − μₜ) / (1 − Πμ): weight of the gradient. */
  gradientWeight: number;
  /** 1 − β2ᵗ. */
  bias2: number;
}

/**
 * Adam with Nesterov momentum (Dozat, "Incorporating Nesterov Momentum into Adam", 2016), as
 * Keras 3's `keras.optimizers.Nadam` computes it:
 *
 * ```
 * μₜ = β1(1 − ½·0.96^(t·momentumDecay)),  Πμ ← Πμ·μₜ
 * m ← m + (g − m)(1 − β1),  v ← v + (g² − v)(1 − β2)
 * w ← w − lr·(μₜ₊₁·m/(1 − Πμ·μₜ₊₁) + (1 − μₜ)·g/(1 − Πμ)) / (sqrt(v/(1 − β2ᵗ)) + ε)
 * ```
 *
 * PyTorch's `torch.optim.NAdam` is the same formula with `momentumDecay: 0.004`, `epsilon: 1e-8`
 * and `learningRate: 0.002` by default. The product Πμ is not saved: it is a function of the
 * step count, recomputed (in float64) by `setWeights`, so the weights have tfjs Adam's layout
 * (`iter`, `<variable>/m`…, `<variable>/v`…). A real `tf.Optimizer`, registered for
 * serialization; works in `model.fit` and inside `LossScaleOptimizer`.
 * @throws RangeError for an option out of range; TypeError for an unknown choice.
 * @example
 * model.compile({optimizer: nadam({learningRate: 2e-3}), loss: 'categoricalCrossentropy'});
 */
export class Nadam extends MomentOptimizer<NadamCoefficients> {
  /** @nocollapse */
  static get className(): string {
    return 'Nadam';
  }

  readonly momentumDecay: number;
  /** Πμ over the steps taken (float64). */
  private muProduct = 1;

  constructor(options: NadamOptions = {}) {
    super('Nadam', options, DEFAULT_NADAM_OPTIONS);
    this.momentumDecay = numberOption(
      'Nadam',
      'momentumDecay',
      options.momentumDecay,
      DEFAULT_NADAM_OPTIONS.momentumDecay,
      {min: 0},
    );
  }

  /** μₜ: float32 ops for Keras 3 (β1·(1 − 0.5·0.96^t)), float64 for PyTorch. */
  private mu(step: number): number {
    if (this.convention === 'torch') {
      return this.beta1 * (1 - 0.5 * 0.96 ** (step * this.momentumDecay));
    }
    const power = f32(f32(0.96) ** f32(step * this.momentumDecay));
    return f32(f32(this.beta1) * f32(1 - f32(0.5 * power)));
  }

  /** Advances Πμ by step `step`: a float32 variable in both libraries. */
  private advanceMuProduct(step: number): void {
    if (this.convention === 'torch') {
      this.muProduct = f32(this.muProduct * f32(this.mu(step)));
    } else {
      // Keras 3's _backend_update_step: (Πμ·β1)·(1 − 0.5·0.96^t), float32 ops.
      const power = f32(f32(0.96) ** f32(step * this.momentumDecay));
      this.muProduct = f32(f32(this.muProduct * f32(this.beta1)) * f32(1 - f32(0.5 * power)));
    }
  }

  /** Keras 3's Nadam subtracts the float32-cast β (`1 − ops.cast(β1)`); PyTorch uses floats. */
  protected override momentRates(): {keepM: number; keepV: number} {
    if (this.convention === 'torch') return super.momentRates();
    return {keepM: f32(1 - f32(this.beta1)), keepV: f32(1 - f32(this.beta2))};
  }

  protected stepCoefficients(step: number): NadamCoefficients {
    // Πμ is advanced once per step, before the variables (both libraries).
    this.advanceMuProduct(step);
    const mu = this.mu(step);
    const muNext = this.mu(step + 1);
    const lr = this.learningRate;
    if (this.convention === 'torch') {
      return {
        momentWeight: (lr * muNext) / (1 - this.muProduct * muNext),
        gradientWeight: (lr * (1 - mu)) / (1 - this.muProduct),
        bias2: 1 - this.beta2 ** step,
      };
    }
    const lr32 = f32(lr);
    return {
      momentWeight: f32(f32(lr32 * muNext) / f32(1 - f32(this.muProduct * muNext))),
      gradientWeight: f32(f32(lr32 * f32(1 - mu)) / f32(1 - this.muProduct)),
      bias2: f32(1 - f32(f32(this.beta2) ** step)),
    };
  }

  protected newValue(
    w: Tensor,
    g: Tensor,
    m: Tensor,
    v: Tensor,
    c: NadamCoefficients,
    k: (x: number) => tf.Scalar,
  ): Tensor {
    if (this.convention === 'torch') {
      // PyTorch: two addcdiv_ updates, the gradient's first: w + (−c·g)/denom, then the moment's.
      const denom = tf.add(tf.sqrt(tf.div(v, k(c.bias2))), k(this.epsilon));
      const afterGradient = tf.add(w, tf.div(tf.mul(g, k(-c.gradientWeight)), denom));
      return tf.add(afterGradient, tf.div(tf.mul(m, k(-c.momentWeight)), denom));
    }
    // Keras 3: (lr·(c1·m + c2·g)) / (sqrt(v/(1 − β2ᵗ)) + ε), evaluated as
    // (c1'·m + c2'·g) / (sqrt(v) + ε·sqrt(1 − β2ᵗ)) with c' = c·sqrt(1 − β2ᵗ): the same real
    // number with one elementwise op less (within float32 rounding of Keras's order).
    const s = Math.sqrt(c.bias2);
    const direction = tf.add(tf.mul(m, k(c.momentWeight * s)), tf.mul(g, k(c.gradientWeight * s)));
    return tf.sub(w, tf.div(direction, tf.add(tf.sqrt(v), k(this.epsilon * s))));
  }

  protected override restoreDerivedState(): void {
    this.muProduct = 1;
    for (let t = 1; t <= this.iterations; t++) this.advanceMuProduct(t);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {...this.baseConfig(), momentumDecay: this.momentumDecay};
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as new (o: NadamOptions) => T)(config as NadamOptions);
  }
}

tf.serialization.registerClass(Nadam);

/**
 * Creates a {@link Nadam} optimizer (Keras 3's defaults).
 * @example
 * const optimizer = nadam();
 */
export function nadam(options: NadamOptions = {}): Nadam {
  return new Nadam(options);
}
