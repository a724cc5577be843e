import * as tf from '@tensorflow/tfjs';

/**
 * The `logs` a `tf.Callback` receives: `fit` and `fitDataset` put Scalar tensors there (the loss
 * and metrics of a batch), plain-object callbacks and `resolveScalarsInLogs` turn them into numbers.
 */
export type CallbackLogs = Record<string, number | tf.Scalar>;

/** Values already read, so several callbacks reading the same batch loss cost one device read. */
const READ = new WeakMap<tf.Tensor, number>();

/**
 * Reads one entry of `logs` as a number, whether it is a number or a Scalar tensor.
 * A tensor is read with `data()` (one device read, shared by every tfjs-amp callback of the batch)
 * and never disposed: `fit` owns it and disposes it after the batch. Returns `undefined` when the
 * key is absent or the tensor was already disposed.
 */
export async function readLogValue(
  logs: CallbackLogs | undefined,
  key: string,
): Promise<number | undefined> {
  if (logs == null) return undefined;
  const value = logs[key];
  if (typeof value === 'number') return value;
  if (value instanceof tf.Tensor) {
    const known = READ.get(value);
    if (known !== undefined) return known;
    if (value.isDisposed) return undefined;
    const data = await value.data();
    READ.set(value, data[0]!);
    return data[0];
  }
  return undefined;
}
