// A Dense layer whose product is small runs natively in a format the CPU has no units for, where
// the dispatch's small-product rule allows it (avx512f; see @tfjs-amp/kernels' decideNative): the
// layer skips its emulated cast points then, and a large layer of the same model stays emulated.
import * as tf from '@tensorflow/tfjs';
import {
  type NativeDispatch,
  SMALL_PRODUCT_MACS,
  cpuFeatures,
  nativeKernelReport,
  setNativeDispatch,
} from '@tfjs-amp/kernels';
import {NativeOpSpy, describeBackends} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {applyPolicy, describePolicy} from '../src/index.js';

/** The (op, T or DstT, output shape) of every op tfjs-node runs while `body` runs. */
async function opsOf(
  body: () => Promise<unknown>,
): Promise<Array<{op: string; t: unknown; shape: string}>> {
  const spy = new NativeOpSpy();
  try {
    await body();
  } finally {
    spy.restore();
  }
  return spy.records.map((r) => ({
    op: r.op,
    t: r.attrs.T ?? r.attrs.DstT,
    shape: String(r.shapes[0]),
  }));
}

describeBackends(['tensorflow'], () => {
  let previous: NativeDispatch;
  beforeAll(() => {
    previous = setNativeDispatch('auto');
  });
  afterAll(() => {
    setNativeDispatch(previous);
  });

  // Needs: avx512f and no float16 units (amx_fp16), and TF's float16 MatMul summing in float32.
  const bmm = (macs?: number) =>
    nativeKernelReport('float16', 'tensorflow', {macs}).find((r) => r.kernel === 'BatchMatMul');
  const applies = () =>
    cpuFeatures().flags.includes('avx512f') &&
    !cpuFeatures().fp16Units &&
    bmm(1000)?.native === true;

  it('runs the small Dense natively in float16 and the large one emulated, in one model', async (ctx) => {
    if (!applies()) ctx.skip(); // rule not in force on this CPU [needs avx512f, no amx_fp16]
    const model = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [1024], units: 1024, activation: 'relu', name: 'large'}),
        tf.layers.dense({units: 8, activation: 'softmax', name: 'small'}),
      ],
    });
    applyPolicy(model, 'mixed_float16');
    model.compile({optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy'});
    const batch = 32; // large: 32·1024·1024 = 2^25 multiply-adds; small: 32·1024·8 = 2^18
    expect(batch * 1024 * 1024).toBeGreaterThan(SMALL_PRODUCT_MACS);
    const x = tf.randomNormal([batch, 1024], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 8, 'int32', 2), 8).toFloat();
    await model.trainOnBatch(x, y);
    const ops = await opsOf(() => model.trainOnBatch(x, y));
    const f16 = 19;
    const halfProducts = ops.filter(
      (o) => (o.op === 'MatMul' || o.op === 'BatchMatMulV2') && o.t === f16,
    );
    // The small layer's three products (forward, dx, dW) run in float16; the large one's none.
    expect(halfProducts.map((o) => o.shape).sort()).toEqual(['1024,8', '32,1024', '32,8']);
    // The small layer's kernel is cast to float16 once and its float16 gradient widened once;
    // the large layer's kernel is rounded through float32 and so is its gradient (2 + 2 casts).
    const casts = (shape: string) => ops.filter((o) => o.op === 'Cast' && o.shape === shape);
    expect(casts('1024,8').map((o) => o.t)).toEqual([f16, 1]);
    expect(casts('1024,1024').map((o) => o.t)).toEqual([f16, 1, f16, 1]);
    // describePolicy answers for products in general, and says up to which batch the small layer
    // runs natively.
    const rows = describePolicy(model);
    expect(rows.map((r) => r.execution)).toEqual(['emulated', 'emulated']);
    expect(rows[1]!.executionDetail).toContain(
      `natively for calls of up to ${SMALL_PRODUCT_MACS / 8192} rows`,
    );
    expect(rows[0]!.executionDetail).toContain('natively for calls of up to 16 rows');
    // At a given batch size, the execution of that size: the small layer native at batch 32, the
    // large one native only up to 16 rows.
    expect(describePolicy(model, {batchSize: 32}).map((r) => r.execution)).toEqual([
      'emulated',
      'native',
    ]);
    expect(describePolicy(model, {batchSize: 16}).map((r) => r.execution)).toEqual([
      'native',
      'native',
    ]);
    expect(() => describePolicy(model, {batchSize: 0})).toThrow(/batchSize.*positive integer/);
    tf.dispose([x, y]);
    model.dispose();
  });
});
