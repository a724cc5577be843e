// On tfjs-node's `tensorflow` backend a policy's layers run their matrix work in the compute
// format inside libtensorflow (native kernels from @tfjs-amp/kernels), forward and backward.
import * as tf from '@tensorflow/tfjs';
import {NativeOpSpy, describeBackends, expectNoLeaks} from '@tfjs-amp/test-utils';
import {type NativeDispatch, setNativeDispatch} from '@tfjs-amp/kernels';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {applyPolicy, describePolicy, removePolicy} from '../src/index.js';
import {values} from './support.js';

/** TF_DataType codes of the 16-bit formats. */
const TF_HALF = 19;
const TF_BFLOAT16 = 14;

/** Records every op tfjs-node executes (name and `T` attribute) while `body` runs. */
function recordOps(body: () => void): Array<{op: string; dtype: unknown}> {
  const spy = new NativeOpSpy();
  try {
    body();
  } finally {
    spy.restore();
  }
  return spy.records.map(({op, dtype}) => ({op, dtype}));
}

function mlp(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 8,
        inputShape: [6],
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
      }),
      tf.layers.dense({units: 3, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
    ],
  });
}

describeBackends(['tensorflow'], () => {
  // Native wherever the kernels sum in float32, whatever this CPU's speed (the `auto` dispatch
  // would emulate float16 on CPUs without float16 matrix units).
  let previousDispatch: NativeDispatch;
  beforeAll(() => {
    previousDispatch = setNativeDispatch('accurate');
  });
  afterAll(() => {
    setNativeDispatch(previousDispatch);
  });

  describe('applyPolicy on tfjs-node', () => {
    for (const [policy, dtype] of [
      ['mixed_float16', TF_HALF],
      ['mixed_bfloat16', TF_BFLOAT16],
    ] as const) {
      it(`runs ${policy} Dense layers natively, forward and backward, and says so`, async () => {
        const model = applyPolicy(mlp(), policy);
        expect(describePolicy(model).map((r) => r.execution)).toEqual(['native', 'native']);
        model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
        const x = values([4, 6], 3);
        const y = values([4, 3], 4);
        const step = () =>
          tf.tidy(() => {
            model.optimizer.minimize(() => {
              const pred = model.apply(x, {training: true}) as tf.Tensor;
              return tf.losses.meanSquaredError(y, pred) as tf.Scalar;
            });
          });
        // tfjs-node gives a tensor its native handle on first use (inputs, variables, the
        // optimizer's learning-rate scalar): one step first, so the check sees only new handles.
        step();
        await expectNoLeaks(async () => {
          const ops = recordOps(step);
          const native = ops.filter((c) => c.op !== 'Cast' && c.dtype === dtype).map((c) => c.op);
          // Two forward products and, per layer, the input and weight gradients (the first
          // layer's input gradient is not needed): at least 5 matrix products in the format
          // (TF's MatMul for matrices where it sums in float32, else BatchMatMulV2).
          const products = native.filter((op) => op === 'MatMul' || op === 'BatchMatMulV2');
          expect(products.length).toBeGreaterThanOrEqual(5);
        });
        removePolicy(model);
        expect(describePolicy(model).map((r) => r.execution)).toEqual(['none', 'none']);
        const ops = recordOps(() => tf.tidy(() => model.predict(x)));
        expect(ops.filter((c) => c.dtype === TF_HALF || c.dtype === TF_BFLOAT16)).toEqual([]);
        tf.dispose([x, y]);
        model.dispose();
      });
    }

    it('trains with fit to within 1% of the emulated loss (mixed_float16)', async () => {
      const x = values([64, 6], 5);
      const y = values([64, 3], 6, 0.5);
      const train = async (backend: 'tensorflow' | 'cpu') => {
        await tf.setBackend(backend);
        const xs = tf.tensor(x.dataSync(), x.shape);
        const ys = tf.tensor(y.dataSync(), y.shape);
        const model = applyPolicy(mlp(), 'mixed_float16');
        model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
        const h = await model.fit(xs, ys, {epochs: 10, batchSize: 16, shuffle: false, verbose: 0});
        tf.dispose([xs, ys]);
        model.dispose();
        return (h.history.loss as number[]).at(-1)!;
      };
      const emulated = await train('cpu');
      const native = await train('tensorflow');
      expect(Math.abs(native - emulated) / emulated).toBeLessThan(0.01);
      tf.dispose([x, y]);
    });
  });
});

describeBackends(['cpu'], () => {
  it('reports emulated execution where no native kernels exist', () => {
    const model = applyPolicy(mlp(), 'mixed_float16');
    expect(describePolicy(model).map((r) => r.execution)).toEqual(['emulated', 'emulated']);
    model.dispose();
  });
});
