import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {HandleScope} from '../../native/binding.js';
import {runHalfProduct} from '../../native/half-product.js';
import {epilogue} from '../../native/native-op.js';
import {type OverrideArgs, productMacs, runOverride} from '../../native/overrides.js';
import {isElementwiseOpSupported} from '../../native/probe.js';
import {withRoundedOutput, withRoundedWeight} from '../shared/round-output.js';

const backendName = 'tensorflow';

/**
 * `_FusedMatMul` (a Dense layer with bias and relu/linear/elu) in the compute format: TF's
 * `MatMul` or `BatchMatMulV2` with `T = half | bfloat16` (`runHalfProduct`), then bias and
 * activation in the format too where TF has them on this device (`epilogue`), so the layer's
 * output holds the format's values and goes to the next layer's product without another cast.
 * Outside a compute-format context: tfjs-node's own kernel (which composes BatchMatMul, Add and
 * the activation). Its gradients are tfjs's own closure, whose BatchMatMul calls follow the
 * format through the backward marks. With `ROUND_WEIGHT_ATTR`, `b` is read rounded to that
 * format (a copy freed after the product); with `ROUND_OUTPUT_ATTR`, the result is rounded.
 */
export const fusedMatMul: KernelFunc = withRoundedOutput(
  withRoundedWeight('b', (args) => {
    const {a, b, bias, preluActivationWeights} = args.inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const {transposeA, transposeB, activation, leakyreluAlpha} =
      args.attrs as unknown as _FusedMatMulAttrs;
    return runOverride(args as OverrideArgs, {
      kernelName: _FusedMatMul,
      backendName,
      op: 'BatchMatMulV2',
      matrixInputs: [a, b],
      macs: productMacs(a, b, transposeA === true),
      native: (node, format) => {
        const scope = new HandleScope(node.binding);
        try {
          const product = runHalfProduct(
            node,
            scope,
            format,
            a,
            b,
            transposeA === true,
            transposeB === true,
          );
          return epilogue(
            node,
            scope,
            product,
            format,
            {bias, activation, preluActivationWeights, leakyreluAlpha},
            (op) => isElementwiseOpSupported(node, op, format),
          );
        } finally {
          scope.dispose();
        }
      },
    });
  }),
);

export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName,
  kernelFunc: fusedMatMul,
};
