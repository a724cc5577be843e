import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs';
import {AmpReluGrad} from '../../kernel-names.js';
import {HandleScope, asNodeBackend, typeAttr} from '../../native/binding.js';
import {sharedHalfFormat} from '../../native/half-cache.js';
import {runNativeOp} from '../../native/native-op.js';
import {isElementwiseOpSupported} from '../../native/probe.js';

const backendName = 'tensorflow';

/**
 * Relu's gradient as one TF op, `ReluGrad(dy, y)`: `dy` where `y > 0`, `dy · 0` elsewhere (so an
 * Inf or NaN in `dy` gives NaN there, as tfjs's `dy · step(y)` does). Where `y` is NaN it gives
 * `dy · 0` where tfjs gives NaN, as TF, Keras and PyTorch do; a NaN activation makes the loss NaN
 * anyway. On a 512×4096 tensor it takes about a fifteenth of tfjs's `mul(dy, step(y))`.
 *
 * When both inputs hold only a 16-bit format's values and have their 16-bit copies (a native
 * layer's output, and the gradient a native product passed down), it runs in that format on the
 * copies: multiplying by 0 or 1 is exact, so the values are the same, and the result stays 16-bit
 * for the next native product. Otherwise in float32.
 */
export const ampReluGrad: KernelFunc = (args) => {
  const {dy, y} = args.inputs as {dy: TensorInfo; y: TensorInfo};
  const node = asNodeBackend(args.backend);
  if (node == null) throw new Error(`tfjs-amp: ${AmpReluGrad} needs the tensorflow backend.`);
  if (dy.dtype !== 'float32' || y.dtype !== 'float32' || dy.shape.join() !== y.shape.join()) {
    throw new TypeError(
      `tfjs-amp: ${AmpReluGrad} takes two float32 tensors of one shape; got dy ${dy.dtype} ` +
        `[${dy.shape}] and y ${y.dtype} [${y.shape}].`,
    );
  }
  const format = sharedHalfFormat(node, [dy, y]);
  if (format != null && isElementwiseOpSupported(node, 'ReluGrad', format)) {
    return runNativeOp(node, 'ReluGrad', format, [], [dy, y]);
  }
  const binding = node.binding;
  const scope = new HandleScope(binding);
  try {
    const ids = node.getInputTensorIds([dy, y]);
    const out = scope.run('ReluGrad', [typeAttr(binding, 'T', binding.TF_FLOAT)], ids);
    return node.createOutputTensor(scope.release(out));
  } finally {
    scope.dispose();
  }
};

export const ampReluGradConfig: KernelConfig = {
  kernelName: AmpReluGrad,
  backendName,
  kernelFunc: ampReluGrad,
};
