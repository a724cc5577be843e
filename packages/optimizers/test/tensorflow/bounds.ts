// Error bounds for comparing two float32 implementations of an optimizer's formula (tfjs's ops
// and TensorFlow's fused kernel) over many steps. Each bound follows one element in float64: the
// exact trajectory (with the float32 hyperparameters and bias-correction powers both sides use)
// and how far a float32 evaluation can drift from it, from u = 2^-24 per rounding and the
// representation error of each coefficient such as (1 - beta). Two implementations can differ by
// twice that drift.

/** Unit roundoff of float32. */
export const U = 2 ** -24;
const f32 = Math.fround;

/** Relative error of the coefficient `1 - b` as either side forms it from the float32 `b`. */
function oneMinusError(b: number): number {
  const exact = 1 - b;
  const tfjsForm = f32(1 - b); // tfjs: JS float64 1 - beta, then a float32 scalar
  const tfForm = 1 - f32(b); // TensorFlow: T(1) - beta in float32 (exact: Sterbenz)
  return Math.max(Math.abs(tfjsForm - exact), Math.abs(tfForm - exact)) / exact + U;
}

/** One element's reference trajectory and drift bound; `step(g)` advances it by one update. */
export interface ElementBound {
  step(g: number): void;
  /** The exact value of the variable. */
  readonly value: number;
  /** How far one float32 implementation can be from `value`. */
  readonly drift: number;
  /** Sum of |update| over the steps so far (how far the variable moved in total). */
  readonly travelled: number;
}

/**
 * An {@link ElementBound} from x0 whose `rule(g)` advances the optimizer's own state and returns
 * the exact update (subtracted from the variable) and the drift that evaluating it in float32 can
 * add; the variable's own rounding (u·|x|) is added here.
 */
function trajectory(
  x0: number,
  rule: (g: number) => {update: number; error: number},
): ElementBound {
  let x = x0;
  let ex = 0;
  let travelled = 0;
  return {
    step(g) {
      const {update, error} = rule(g);
      x -= update;
      ex += error + U * Math.abs(x);
      travelled += Math.abs(update);
    },
    get value() {
      return x;
    },
    get drift() {
      return ex;
    },
    get travelled() {
      return travelled;
    },
  };
}

/**
 * A moving average `a = β a + (1-β) x` as both sides evaluate it in float32, with its drift: the
 * representation error of `1 - β` on the new term and 4u of rounding on the old value and `x`.
 */
function movingAverage(beta: number): {
  push(x: number): void;
  readonly value: number;
  readonly error: number;
} {
  const d = oneMinusError(beta);
  let value = 0;
  let error = 0;
  return {
    push(x) {
      error = beta * error + (1 - beta) * Math.abs(x) * d + 4 * U * (Math.abs(value) + Math.abs(x));
      value = beta * value + (1 - beta) * x;
    },
    get value() {
      return value;
    },
    get error() {
      return error;
    },
  };
}

/** Adam as tfjs defines it, `var -= lr * m̂ / (sqrt(v̂) + eps)`, with tfjs's float32 powers. */
export function adamBound(
  x0: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
): ElementBound {
  const m = movingAverage(beta1);
  const v = movingAverage(beta2);
  let p1 = f32(beta1);
  let p2 = f32(beta2);
  return trajectory(x0, (g) => {
    m.push(g);
    v.push(g * g);
    const mh = m.value / (1 - p1);
    const vh = v.value / (1 - p2);
    const dm = m.error / (1 - p1);
    const dv = v.error / (1 - p2);
    const s = Math.sqrt(vh);
    const ds = s > 0 ? Math.min(dv / (2 * s), Math.sqrt(dv)) : Math.sqrt(dv);
    const denom = s + eps;
    const update = (lr * mh) / denom;
    const eUpdate =
      lr * (dm / denom + (Math.abs(mh) * ds) / (denom * Math.max(denom - ds, eps))) +
      12 * U * Math.abs(update);
    p1 = f32(p1 * f32(beta1));
    p2 = f32(p2 * f32(beta2));
    return {update, error: eUpdate};
  });
}

/** RMSProp (not centered): `ms = ρ ms + (1-ρ) g²; mom = μ mom + lr g / sqrt(ms + eps); var -= mom`. */
export function rmspropBound(
  x0: number,
  lr: number,
  decay: number,
  momentum: number,
  eps: number,
): ElementBound {
  const ms = movingAverage(decay);
  let mom = 0;
  let emom = 0;
  return trajectory(x0, (g) => {
    ms.push(g * g);
    const r = Math.sqrt(ms.value + eps);
    const term = (lr * g) / r;
    const eTerm =
      (lr * Math.abs(g) * ms.error) / (2 * r * Math.max(ms.value + eps - ms.error, eps)) +
      6 * U * Math.abs(term);
    mom = momentum * mom + term;
    emom = momentum * emom + eTerm + 4 * U * (Math.abs(mom) + Math.abs(term));
    return {update: mom, error: emom};
  });
}

/** Adamax: `m = β1 m + (1-β1) g; u = max(β2 u, |g|); var -= lr / (1 - β1^t) · m / (u + eps)`. */
export function adamaxBound(
  x0: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
): ElementBound {
  const m = movingAverage(beta1);
  let u = 0;
  let eu = 0;
  let p1 = f32(beta1);
  return trajectory(x0, (g) => {
    m.push(g);
    u = Math.max(beta2 * u, Math.abs(g));
    eu = beta2 * eu + 2 * U * u;
    const c = lr / (1 - p1);
    const denom = u + eps;
    const update = (c * m.value) / denom;
    const eUpdate =
      c * (m.error / denom + (Math.abs(m.value) * eu) / (denom * Math.max(denom - eu, eps))) +
      10 * U * Math.abs(update);
    p1 = f32(p1 * f32(beta1));
    return {update, error: eUpdate};
  });
}

/**
 * Momentum with Nesterov: `acc = μ acc + g` (the same float32 operations on both sides) and
 * `var -= lr (g + μ acc)`, which the two sides round differently.
 */
export function nesterovBound(x0: number, lr: number, momentum: number): ElementBound {
  let acc = 0;
  return trajectory(x0, (g) => {
    acc = momentum * acc + g;
    return {
      update: lr * (g + momentum * acc),
      error: 4 * U * (lr * Math.abs(g) + lr * momentum * Math.abs(acc)),
    };
  });
}
