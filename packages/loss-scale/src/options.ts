import {describeValue, invalidChoice, outOfRange, wrongType} from './internal/errors.js';

/** Largest finite float32: the scale lives in float32 arithmetic, as in PyTorch and Keras. */
export const FLOAT32_MAX = 3.4028234663852886e38;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Options of {@link LossScaleOptimizer}. Every field is optional; {@link DEFAULT_LOSS_SCALE_OPTIONS}
 * holds the defaults. Scale-valued options (`initialScale`, `minScale`, `maxScale`) are rounded
 * to float32, the precision the scale has on the device.
 *
 * Clipping is applied to the unscaled gradients, after the overflow check: first `clipValue`
 * (elementwise), then `clipNorm` (each tensor) or `globalClipNorm` (all tensors together; set at
 * most one of the two, as in Keras). PyTorch users call `clip_grad_norm_` after
 * `GradScaler.unscale_`; these options do the same inside the step.
 * @example
 * new LossScaleOptimizer(tf.train.adam(1e-3), {initialScale: 2 ** 16, globalClipNorm: 1});
 */
export interface LossScaleOptions {
  /**
   * Adjust the scale to the gradients (true, default) or keep it fixed at `initialScale` (false).
   * A fixed scale still skips steps whose gradients are not finite (tf.keras 2's fixed loss
   * scale applied them).
   */
  dynamic?: boolean;
  /**
   * First step's scale. Default `2 ** 15` as in Keras 3 (PyTorch: `2 ** 16`). Start high: one
   * overflow lowers it at once, while growing back takes `growthInterval` clean steps.
   */
  initialScale?: number;
  /**
   * Consecutive steps with finite gradients after which the scale grows by `growthFactor`.
   * Default 2000, as PyTorch's `growth_interval` and Keras 3's `dynamic_growth_steps`.
   */
  growthInterval?: number;
  /** Factor the scale grows by, > 1. Default 2 (PyTorch's default; Keras 3 always doubles). */
  growthFactor?: number;
  /** Factor the scale shrinks by on overflow, in (0, 1). Default 0.5 (PyTorch, Keras 3). */
  backoffFactor?: number;
  /**
   * Floor of the dynamic scale. Default 1 (as DeepSpeed's `min_scale`): a scale below 1 shrinks
   * gradients instead of protecting them. PyTorch and Keras 3 have no floor.
   */
  minScale?: number;
  /**
   * Ceiling of the dynamic scale. Default `2 ** 24`: scaled float16 gradients need no more, and a
   * cap stops the scale from drifting up over long clean stretches. PyTorch and Keras 3 have no
   * ceiling (PyTorch refuses only a growth to Inf; use `maxScale: FLOAT32_MAX` to match it).
   */
  maxScale?: number;
  /**
   * Overflows it takes to back off, DeepSpeed's `hysteresis`: with 2, the first overflow only
   * skips its step and the second lowers the scale. Refilled when the scale grows (DeepSpeed's
   * default `consecutive_hysteresis=False`). Default 1: every overflow backs off, as in PyTorch
   * and Keras 3.
   */
  hysteresis?: number;
  /** Clip each unscaled gradient tensor to this L2 norm. Default null (off). Keras: `clipnorm`. */
  clipNorm?: number | null;
  /**
   * Clip all unscaled gradients together to this global L2 norm. Default null (off).
   * Keras: `global_clipnorm`; PyTorch: `clip_grad_norm_` after `unscale_`.
   */
  globalClipNorm?: number | null;
  /** Clip each unscaled gradient element to [-clipValue, clipValue]. Default null (off). */
  clipValue?: number | null;
  /**
   * Put the global L2 norm of the unscaled gradients in every {@link LossScaleEvent} (`gradNorm`),
   * read back with the overflow flag, so it costs no extra device sync. Default false, because
   * it costs two more passes over the gradients when no norm clipping needs it.
   */
  reportGradNorm?: boolean;
  /**
   * On tfjs-node's `tensorflow` backend, apply the inner optimizer's update as one fused
   * TensorFlow training op per variable (`fuseOptimizer` of `@tfjs-amp/optimizers`: Adam, Adamax,
   * Momentum, RMSProp, SGD; others run unfused). Default true: several times faster there, and on
   * every other backend it changes nothing (the inner optimizer runs bit for bit). The fused
   * update agrees with tfjs's to float32 rounding, not bit for bit; set false for tfjs's own
   * update on tfjs-node.
   */
  fused?: boolean;
  /**
   * Where the step decides skip/apply and updates the scale ({@link LossScaleMode}):
   * - `'sync'`: one scalar read back per step; the inner optimizer runs only on applied steps.
   * - `'device'`: no read back during a step. The check, the skip, the scale update and the
   *   clipping stay on the device (as Keras 3 does with `ops.cond`): the inner update is computed
   *   every step and variables and slots are selected old or new with `tf.where`. State is read
   *   on demand (a getter costs one read) or with `readState()`; events arrive at that read.
   *   Not fused on tfjs-node (the fused ops update TensorFlow variables in place).
   * - `'auto'` (default): `'device'` on webgl, webgpu and tfjs-node's `tensorflow` backend on a
   *   GPU (the backend active at construction), else `'sync'`; and `'sync'` when `growthFactor`
   *   or `backoffFactor` is not a float32 value, which `'device'` refuses on GPU backends (it
   *   multiplies the scale in float32 there; on cpu and wasm one host kernel runs the rule).
   */
  mode?: LossScaleMode;
}

/**
 * How a step reaches its skip/apply decision: `'sync'` reads one scalar back per step, `'device'`
 * never reads back during a step, `'auto'` picks by backend (see {@link LossScaleOptions.mode}).
 */
export type LossScaleMode = 'auto' | 'sync' | 'device';

/** The allowed values of {@link LossScaleOptions.mode}, sorted. */
export const LOSS_SCALE_MODES: readonly LossScaleMode[] = Object.freeze(['auto', 'device', 'sync']);

/** Options with every default filled in and scale values rounded to float32. */
export interface ResolvedLossScaleOptions {
  readonly dynamic: boolean;
  readonly initialScale: number;
  readonly growthInterval: number;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly minScale: number;
  readonly maxScale: number;
  readonly hysteresis: number;
  readonly clipNorm: number | null;
  readonly globalClipNorm: number | null;
  readonly clipValue: number | null;
  readonly reportGradNorm: boolean;
  readonly fused: boolean;
  readonly mode: LossScaleMode;
}

/** The defaults of {@link LossScaleOptions}, read by the optimizer, its docs and its tests. */
export const DEFAULT_LOSS_SCALE_OPTIONS: ResolvedLossScaleOptions = Object.freeze({
  backoffFactor: 0.5,
  clipNorm: null,
  clipValue: null,
  dynamic: true,
  fused: true,
  globalClipNorm: null,
  growthFactor: 2,
  growthInterval: 2000,
  hysteresis: 1,
  initialScale: 2 ** 15,
  maxScale: 2 ** 24,
  minScale: 1,
  mode: 'auto',
  reportGradNorm: false,
});

/** Names of the options, sorted. */
export const LOSS_SCALE_OPTION_NAMES: readonly (keyof LossScaleOptions)[] = Object.freeze(
  Object.keys(DEFAULT_LOSS_SCALE_OPTIONS).sort() as (keyof LossScaleOptions)[],
);

const WHERE = 'LossScaleOptimizer';

function number(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw wrongType(WHERE, name, 'a number', `${describeValue(value)} (${typeof value})`);
  }
  if (Number.isNaN(value)) throw outOfRange(WHERE, name, 'a number', value);
  return value;
}

function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw wrongType(WHERE, name, 'a boolean', `${describeValue(value)} (${typeof value})`);
  }
  return value;
}

function integer(name: string, value: unknown, min: number): number {
  const v = number(name, value);
  if (!Number.isInteger(v) || v < min || v > INT32_MAX) {
    throw outOfRange(WHERE, name, `an integer in [${min}, ${INT32_MAX}]`, v);
  }
  return v;
}

function float32Scale(name: string, value: unknown): number {
  const v = number(name, value);
  const f = Math.fround(v);
  if (!(v > 0) || !Number.isFinite(f) || f === 0) {
    throw outOfRange(WHERE, name, `a positive finite float32 (at most ${FLOAT32_MAX})`, v);
  }
  return f;
}

function clip(name: string, value: unknown): number | null {
  if (value == null) return null;
  const v = number(name, value);
  if (!(v > 0) || !Number.isFinite(v)) {
    throw outOfRange(WHERE, name, 'a positive finite number, or null to turn it off', v);
  }
  return v;
}

/**
 * Checks `options` and fills in the defaults of {@link DEFAULT_LOSS_SCALE_OPTIONS}.
 * Nothing is kept from a call that throws.
 * @throws TypeError for an unknown option, a value of the wrong type, or both `clipNorm` and
 *   `globalClipNorm`; RangeError for a number out of range (the message names the option).
 * @example
 * resolveLossScaleOptions({growthFactor: 1}) // RangeError: LossScaleOptimizer: growthFactor must be > 1; got 1.
 */
export function resolveLossScaleOptions(options: unknown = {}): ResolvedLossScaleOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw wrongType(WHERE, 'options', 'an object of LossScaleOptions', describeValue(options));
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(LOSS_SCALE_OPTION_NAMES as readonly string[]).includes(key)) {
      throw invalidChoice(WHERE, 'option', key, LOSS_SCALE_OPTION_NAMES);
    }
  }
  const pick = (key: keyof LossScaleOptions): unknown =>
    given[key] === undefined ? DEFAULT_LOSS_SCALE_OPTIONS[key] : given[key];

  const dynamic = boolean('dynamic', pick('dynamic'));
  const initialScale = float32Scale('initialScale', pick('initialScale'));
  const growthInterval = integer('growthInterval', pick('growthInterval'), 1);
  const growthFactor = number('growthFactor', pick('growthFactor'));
  if (!(growthFactor > 1) || !Number.isFinite(growthFactor)) {
    throw outOfRange(WHERE, 'growthFactor', '> 1 and finite', growthFactor);
  }
  const backoffFactor = number('backoffFactor', pick('backoffFactor'));
  if (!(backoffFactor > 0 && backoffFactor < 1)) {
    throw outOfRange(WHERE, 'backoffFactor', 'in (0, 1)', backoffFactor);
  }
  const minScale = float32Scale('minScale', pick('minScale'));
  const maxScale = float32Scale('maxScale', pick('maxScale'));
  if (maxScale < minScale) {
    throw outOfRange(WHERE, 'maxScale', `at least minScale (${minScale})`, maxScale);
  }
  if (dynamic && (initialScale < minScale || initialScale > maxScale)) {
    throw outOfRange(
      WHERE,
      'initialScale',
      `in [minScale, maxScale] = [${minScale}, ${maxScale}] when dynamic`,
      initialScale,
      'Widen minScale/maxScale or pick another initialScale.',
    );
  }
  const hysteresis = integer('hysteresis', pick('hysteresis'), 1);
  const clipNorm = clip('clipNorm', pick('clipNorm'));
  const globalClipNorm = clip('globalClipNorm', pick('globalClipNorm'));
  const clipValue = clip('clipValue', pick('clipValue'));
  if (clipNorm != null && globalClipNorm != null) {
    throw new TypeError(
      `${WHERE}: set clipNorm or globalClipNorm, not both; got clipNorm ${clipNorm} and ` +
        `globalClipNorm ${globalClipNorm}.`,
    );
  }
  const reportGradNorm = boolean('reportGradNorm', pick('reportGradNorm'));
  const fused = boolean('fused', pick('fused'));
  const mode = pick('mode');
  if (typeof mode !== 'string' || !(LOSS_SCALE_MODES as readonly string[]).includes(mode)) {
    throw invalidChoice(WHERE, 'mode', mode, LOSS_SCALE_MODES);
  }
  return Object.freeze({
    backoffFactor,
    clipNorm,
    clipValue,
    dynamic,
    fused,
    globalClipNorm,
    growthFactor,
    growthInterval,
    hysteresis,
    initialScale,
    maxScale,
    minScale,
    mode: mode as LossScaleMode,
    reportGradNorm,
  });
}
