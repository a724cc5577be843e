import * as tf from '@tensorflow/tfjs';
import type {Tensor} from '@tensorflow/tfjs';
import type {Convention} from './convention.js';
import {MomentOptimizer, f32} from './internal/moment-optimizer.js';
import type {StoragePrecisionOptions} from './state-precision.js';

/** Options of {@link AdamW}. */
export interface AdamWOptions extends StoragePrecisionOptions {
  /** Step size. Default 0.001 (Keras 3 and PyTorch). */
  learningRate?: number;
  /**
   * Decoupled weight decay: each step first multiplies every weight by `1 − weightDecay·lr`.
   * Default 0.004 (Keras 3; PyTorch's default is 0.01). 0 makes this Adam.
   */
  weightDecay?: number;
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator. Default 1e-7 (Keras 3; PyTorch's default is 1e-8). */
  epsilon?: number;
  /**
   * Whose arithmetic to reproduce. `'keras'` (default, Keras 3 and TensorFlow):
   * `w −= m·α / (sqrt(v) + ε)` with `α = lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ)` (ε meets the uncorrected
   * sqrt(v)), the powers βᵗ taken in float32 from float32 β as Keras does. `'torch'` (PyTorch,
   * and the formula of tfjs's `tf.train.adam`): `w −= lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + ε)`,
   * scalars in float64. The formulas differ through ε (mostly in the first steps); the scalar
   * precision matters too: float32 β2ᵗ is off by ~1e-6 relative at t = 100, which 1 − β2ᵗ
   * magnifies ~10×, a drift a 1e-6 comparison sees.
   */
  convention?: Convention;
}

/** Defaults of {@link AdamWOptions} (Keras 3's `AdamW`). */
export const DEFAULT_ADAMW_OPTIONS: Readonly<
  Required<Omit<AdamWOptions, keyof StoragePrecisionOptions>>
> = Object.freeze({
  learningRate: 0.001,
  weightDecay: 0.004,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  convention: 'keras',
});

interface AdamWCoefficients {
  /** keras: α; torch: lr / (1 − β1ᵗ). */
  stepSize: number;
  /** torch only: sqrt(1 − β2ᵗ). */
  sqrtBias2: number;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", 2019), as Keras 3's `keras.optimizers.AdamW` and PyTorch's `torch.optim.AdamW`
 * do it: each step shrinks every weight by `lr·weightDecay` of itself, then takes the Adam step
 * (no amsgrad). A real `tf.Optimizer`: use it in `model.compile`, `minimize`, inside
 * `LossScaleOptimizer`; registered for serialization, so `model.save(..., {includeOptimizer:
 * true})` and `tf.loadLayersModel` restore it (import this package before loading).
 *
 * Matches Keras 3 and PyTorch step by step (checked over 100 float32 steps against both; the
 * README states the bound): with defaults, Keras 3's `AdamW()`; for PyTorch's `AdamW()`, pass
 * `{weightDecay: 0.01, epsilon: 1e-8, convention: 'torch'}`.
 *
 * Weights (`getWeights`): `iter`, then `<variable>/m` for every variable, then `<variable>/v`
 * (tfjs Adam's layout). Moments and weights can be stored rounded to 16 bits (see
 * {@link StoragePrecisionOptions}).
 * @throws RangeError for an option out of range; TypeError for an unknown choice.
 * @example
 * model.compile({optimizer: adamw({learningRate: 1e-3, weightDecay: 0.01}), loss: 'meanSquaredError'});
 */
export class AdamW extends MomentOptimizer<AdamWCoefficients> {
  /** @nocollapse */
  static get className(): string {
    return 'AdamW';
  }

  constructor(options: AdamWOptions = {}) {
    super('AdamW', options, DEFAULT_ADAMW_OPTIONS);
  }

  protected stepCoefficients(step: number): AdamWCoefficients {
    if (this.convention === 'keras') {
      // Keras 3: float32 ops on float32 β (ops.power, then lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ)).
      const bias1 = f32(1 - f32(f32(this.beta1) ** step));
      const bias2 = f32(1 - f32(f32(this.beta2) ** step));
      return {
        stepSize: f32(f32(f32(this.learningRate) * f32(Math.sqrt(bias2))) / bias1),
        sqrtBias2: 1,
      };
    }
    // PyTorch: Python floats (float64).
    const bias1 = 1 - this.beta1 ** step;
    const bias2 = 1 - this.beta2 ** step;
    return {stepSize: this.learningRate / bias1, sqrtBias2: Math.sqrt(bias2)};
  }

  protected newValue(
    w: Tensor,
    _g: Tensor,
    m: Tensor,
    v: Tensor,
    c: AdamWCoefficients,
    k: (x: number) => tf.Scalar,
  ): Tensor {
    if (this.convention === 'keras') {
      return tf.sub(w, tf.div(tf.mul(m, k(c.stepSize)), tf.add(tf.sqrt(v), k(this.epsilon))));
    }
    // PyTorch: denom = sqrt(v)/sqrt(1 − β2ᵗ) + ε; param.addcdiv_(m, denom, −step) = w + (−step·m)/denom.
    const denominator = tf.add(tf.div(tf.sqrt(v), k(c.sqrtBias2)), k(this.epsilon));
    return tf.add(w, tf.div(tf.mul(m, k(-c.stepSize)), denominator));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.baseConfig();
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as new (o: AdamWOptions) => T)(config as AdamWOptions);
  }
}

tf.serialization.registerClass(AdamW);

/**
 * Creates an {@link AdamW} optimizer (Keras 3's defaults).
 * @example
 * const optimizer = adamw({weightDecay: 0.01});
 */
export function adamw(options: AdamWOptions = {}): AdamW {
  return new AdamW(options);
}
