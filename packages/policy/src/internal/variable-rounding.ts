import * as tf from '@tensorflow/tfjs';
import {type FormatName, quantize} from '@tfjs-amp/kernels';
import {markRounded} from './cast.js';

type LayerVariable = tf.LayerVariable;

/** How one variable is kept in a low format under a pure policy (`float16`, `bfloat16`). */
interface Hook {
  readonly variable: tf.Variable;
  readonly previous: PropertyDescriptor | undefined;
  /** The float32 value before the first rounding, until the variable is written again. */
  snapshot: tf.Tensor | null;
  /** The dataId the first rounding produced: unchanged means "not written since". */
  readonly roundedDataId: object;
}

/**
 * Stores variables in a low format for pure policies: rounds each one now, then rounds every value
 * later assigned to it (optimizer updates, `setWeights`, `loadWeights`) by instrumenting the
 * variable's own `assign` while the policy is applied. `read()` is not touched.
 */
export class VariableRounding {
  private readonly hooks = new Map<tf.Variable, Hook>();

  /** Hooks every float32 variable not hooked yet (cheap for those already hooked). */
  hook(variables: readonly LayerVariable[], format: FormatName): void {
    for (const layerVariable of variables) {
      if (layerVariable.dtype !== 'float32') continue;
      const variable = (layerVariable as unknown as {val: tf.Variable}).val;
      if (this.hooks.has(variable)) continue;
      const original = variable.assign;
      const snapshot = tf.keep(tf.clone(variable));
      const rounded = quantize(variable, format);
      original.call(variable, rounded);
      rounded.dispose();
      markRounded(variable, format);
      const hook: Hook = {
        variable,
        previous: Object.getOwnPropertyDescriptor(variable, 'assign'),
        snapshot,
        roundedDataId: variable.dataId,
      };
      const hooks = this.hooks;
      Object.defineProperty(variable, 'assign', {
        value: function assignRounded(newValue: tf.Tensor): void {
          if (newValue.dtype !== 'float32') {
            original.call(variable, newValue);
            return;
          }
          const value = quantize(newValue, format);
          try {
            original.call(variable, value);
            markRounded(variable, format);
          } finally {
            value.dispose();
          }
          const h = hooks.get(variable);
          if (h?.snapshot != null) {
            h.snapshot.dispose();
            h.snapshot = null;
          }
        },
        configurable: true,
        writable: true,
        enumerable: false,
      });
      this.hooks.set(variable, hook);
    }
  }

  /**
   * Restores every `assign`; a variable not written since it was rounded gets its float32 value
   * back, so apply-then-remove is exact. Trained values stay as they are.
   */
  unhookAll(): void {
    for (const hook of [...this.hooks.values()].reverse()) {
      const {variable, previous, snapshot} = hook;
      if (previous == null) delete (variable as {assign?: unknown}).assign;
      else Object.defineProperty(variable, 'assign', previous);
      if (snapshot != null) {
        if (!variable.isDisposed && variable.dataId === hook.roundedDataId) {
          variable.assign(snapshot);
        }
        snapshot.dispose();
      }
    }
    this.hooks.clear();
  }
}
