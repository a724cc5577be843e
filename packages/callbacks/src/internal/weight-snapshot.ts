import * as tf from '@tensorflow/tfjs';

/**
 * A new tensor holding the same data as `x` without copying it: the backend's reference count of
 * the data goes up by one, as when a variable takes a tensor's data in `assign`. tfjs never
 * changes data in place (a variable update swaps in new data), so the result keeps the values
 * `x` has now, whatever happens to `x` later. Dispose it like any tensor.
 */
export function shareData(x: tf.Tensor): tf.Tensor {
  const backend = tf.backend() as tf.KernelBackend & {incRef?: (dataId: object) => void};
  if (typeof backend.incRef !== 'function') return tf.keep(x.clone());
  const shared = tf.engine().makeTensorFromDataId(x.dataId, x.shape.slice(), x.dtype, backend);
  backend.incRef(x.dataId);
  return tf.keep(shared);
}

/** The model's weights as they are now (shared, not copied), in `model.getWeights()` order. */
export function snapshotWeights(model: tf.LayersModel): tf.Tensor[] {
  return model.getWeights().map(shareData);
}
