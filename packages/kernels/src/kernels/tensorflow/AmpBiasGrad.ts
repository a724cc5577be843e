import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {AmpBiasGrad} from '../../kernel-names.js';
import {HandleScope, TF_DTYPES, asNodeBackend, typeAttr} from '../../native/binding.js';
import {decideNative} from '../../native/dispatch.js';
import {cachedHalf, sharedHalfFormat} from '../../native/half-cache.js';
import {float32Of} from '../../native/native-op.js';

const backendName = 'tensorflow';

/**
 * Below this many channels oneDNN's product with a ones row is slower than widening and summing
 * in float32 (measured on avx512_bf16: 8 channels 0.22 ms against 0.19 ms; 64 channels 0.9 ms
 * against 3.5 ms).
 */
const MIN_CHANNELS = 32;

/**
 * A bias's gradient: `dy` (rank ≥ 2, channels last) summed over every axis but the last.
 *
 * When `dy` holds only a 16-bit format's values and has its 16-bit copy (the gradient of a
 * natively-run layer), and the format's products run natively (so they sum in float32), it is
 * one product `ones[1×M] · dy[M×N]` in the format on that copy: float32 sums rounded once to the
 * format, which is what an emulated layer's bias cast point makes of the float32 sum (Keras and
 * PyTorch also give a 16-bit bias gradient), without widening `dy`. Otherwise, and for fewer
 * than 32 channels, tfjs-node's float32 Reshape and Sum, the same values as `tf.sum`.
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
  const n = dy.shape[dy.shape.length - 1]!;
  const m = dy.shape.reduce((a, b) => a * b, 1) / n;
  const binding = node.binding;
  const scope = new HandleScope(binding);
  const i32 = typeAttr(binding, 'Tshape', binding.TF_INT32);
  try {
    const shared = n < MIN_CHANNELS ? undefined : sharedHalfFormat(node, [dy]);
    const format =
      shared != null && decideNative(node, 'BatchMatMulV2', shared).native ? shared : undefined;
    if (format != null) {
      const dtype = TF_DTYPES[format]!;
      const t = typeAttr(binding, 'T', dtype);
      const matrix = scope.run(
        'Reshape',
        [t, i32],
        [cachedHalf(node, dy, format)!, scope.int32([m, n])],
      );
      const one = scope.cast(scope.float32([], new Float32Array([1])), binding.TF_FLOAT, dtype);
      const ones = scope.run(
        'Fill',
        [t, typeAttr(binding, 'index_type', binding.TF_INT32)],
        [scope.int32([1, m]), one.id],
      );
      const row = scope.run(
        'BatchMatMulV2',
        [
          t,
          {name: 'adj_x', type: binding.TF_ATTR_BOOL, value: false},
          {name: 'adj_y', type: binding.TF_ATTR_BOOL, value: false},
        ],
        [ones.id, matrix.id],
      );
      const sum = scope.run('Reshape', [t, i32], [row.id, scope.int32([n])]);
      return float32Of(node, scope, sum, format);
    }
    const [dyId] = node.getInputTensorIds([dy]);
    const f32 = typeAttr(binding, 'T', binding.TF_FLOAT);
    const matrix = scope.run('Reshape', [f32, i32], [dyId!, scope.int32([m, n])]);
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
