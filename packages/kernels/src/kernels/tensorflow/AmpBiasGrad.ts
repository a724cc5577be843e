import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {AmpBiasGrad} from '../../kernel-names.js';
import {biasReductionOp, runBiasReduction} from '../../native/bias-reduction.js';
import {HandleScope, asNodeBackend, typeAttr} from '../../native/binding.js';
import {cachedHalf, sharedHalfFormat} from '../../native/half-cache.js';
import {float32Of} from '../../native/native-op.js';

const backendName = 'tensorflow';

/**
 * A bias's gradient: `dy` (rank ≥ 2, channels last) summed over every axis but the last.
 *
 * When `dy` holds only a 16-bit format's values and has its 16-bit copy (the gradient of a
 * natively-run layer), one TF reduction on that copy, in the format, where this device has one
 * that sums in float32 (`biasReductionOp`, probed once: `Sum` for bfloat16 and `BiasAddGrad` for
 * float16 on TF's CPU kernels): float32 sums rounded once to the format, which is what an
 * emulated layer's bias cast point makes of the float32 sum (Keras and PyTorch also give a 16-bit
 * bias gradient), without widening `dy`. Otherwise tfjs-node's float32 Reshape and Sum, the same
 * values as `tf.sum`.
 */
export const ampBiasGrad: KernelFunc = (args) => {
  const {dy} = args.inputs as {dy: TensorInfo};
  const node = asNodeBackend(args.backend);
  if (node == null) throw new Error(`tfjs-amp: ${AmpBiasGrad} needs the tensorflow backend.`);
  if (dy.dtype !== 'float32' || dy.shape.length < 2) {
    throw new TypeError(
      `tfjs-amp: ${AmpBiasGrad} takes a float32 tensor of rank 2 or more; got ${dy.dtype} ` +
        `[${dy.shape}].`,
    );
  }
  const binding = node.binding;
  const scope = new HandleScope(binding);
  try {
    const format = sharedHalfFormat(node, [dy]);
    const op = format == null ? undefined : biasReductionOp(node, format);
    if (format != null && op != null) {
      const half = cachedHalf(node, dy, format)!;
      return float32Of(
        node,
        scope,
        runBiasReduction(scope, op, format, half, dy.shape.length),
        format,
      );
    }
    const n = dy.shape[dy.shape.length - 1]!;
    const [dyId] = node.getInputTensorIds([dy]);
    const f32 = typeAttr(binding, 'T', binding.TF_FLOAT);
    const i32 = typeAttr(binding, 'Tshape', binding.TF_INT32);
    const matrix = scope.run('Reshape', [f32, i32], [dyId!, scope.int32([-1, n])]);
    const sum = scope.run(
      'Sum',
      [
        f32,
        typeAttr(binding, 'Tidx', binding.TF_INT32),
        {name: 'keep_dims', type: binding.TF_ATTR_BOOL, value: false},
      ],
      [matrix.id, scope.int32([0])],
    );
    return node.createOutputTensor(scope.release(sum));
  } finally {
    scope.dispose();
  }
};

export const ampBiasGradConfig: KernelConfig = {
  kernelName: AmpBiasGrad,
  backendName,
  kernelFunc: ampBiasGrad,
};
