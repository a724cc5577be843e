import type {FormatName} from '../formats/format-spec.js';
import {resolveFormat} from '../formats/index.js';
import {describeValue, wrongType} from '../internal/errors.js';
import {ensureAmpKernels} from '../kernels/register-kernels.js';
import {runInContext} from '../native/context.js';

/**
 * Runs `fn` with `format` as the compute format of the matrix kernels it calls, and returns what
 * `fn` returns. On the `tensorflow` backend (tfjs-node, tfjs-node-gpu) with float16 or bfloat16,
 * BatchMatMul (and `_FusedMatMul`, `tf.matMul`, Dense layers), Conv2D, FusedConv2D,
 * DepthwiseConv2dNative, FusedDepthwiseConv2D and their gradient kernels run natively in
 * libtensorflow: inputs cast to the format, the op in the format, the result cast back to float32
 * (so it holds the format's values). Bias and activation of the fused kernels stay float32.
 *
 * The backward pass follows its forward pass: gradients computed later (by `tf.grad`,
 * `optimizer.minimize`, `model.fit`) of a kernel that ran natively here also run natively in
 * `format`, outside this call; everything else is differentiated as usual.
 *
 * Nothing changes anywhere else: on other backends, for other formats (float32, tf32, float8),
 * for ops TF lacks in `format` on this device (a one-time notice says so; e.g. bfloat16
 * convolutions on older GPUs) and outside any call, every kernel is the backend's own, bit for
 * bit. Rounding at cast points stays the caller's job (`quantize`, or `@tfjs-amp/policy`, which
 * calls this around each layer). Calls nest; the innermost format wins, so `float32` inside a
 * mixed block runs full precision.
 *
 * `fn` must be synchronous: the context ends when it returns.
 *
 * Keras 3 gets the same effect by casting to a float16/bfloat16 dtype; PyTorch by
 * `torch.autocast`, which, like this, also decides per op and leaves the backward to follow.
 * @throws TypeError when `format` is unknown or `fn` is not a function, or when `fn` returns a
 *   Promise (the context would have ended before its work ran).
 * @example
 * const y = withComputeFormat('float16', () => tf.matMul(a, b)); // native half MatMul on tfjs-node
 */
export function withComputeFormat<T>(format: FormatName, fn: () => T): T {
  const spec = resolveFormat(format, 'withComputeFormat');
  if (typeof fn !== 'function') {
    throw wrongType('withComputeFormat', 'fn', 'a function', describeValue(fn));
  }
  // tfjs-node may have been imported after @tfjs-amp/kernels: install the overrides now.
  ensureAmpKernels('tensorflow');
  const result = runInContext(spec.name, fn);
  if (result != null && typeof (result as {then?: unknown}).then === 'function') {
    throw wrongType(
      'withComputeFormat',
      'fn',
      'a synchronous function',
      'one that returned a Promise',
      'Run only the synchronous tensor code inside it.',
    );
  }
  return result;
}
