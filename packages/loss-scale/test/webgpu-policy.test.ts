// A policy on the webgpu backend with shader-f16: its Dense layers run @tfjs-amp/kernels' WGSL
// float16 kernels, and mixed_float16 trains with a sync-free LossScaleOptimizer in model.fit.
// The Dawn + lavapipe setup is the kernels package's WebGPU test support (npm run
// provision:webgpu); without it the suite skips with a notice (TFJS_AMP_REQUIRE_WEBGPU=1: fails).
import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '../src/index.js';
import {expect, it} from 'vitest';
import {describeWithWebGPU, useWebGPU} from '../../kernels/test/webgpu/support.js';
import {applyPolicy, describePolicy, recommendedPolicy} from '@tfjs-amp/policy';

await describeWithWebGPU('a policy on webgpu with shader-f16', () => {
  it('runs mixed_float16 Dense layers on the WGSL float16 kernels and trains with loss scaling', async () => {
    await useWebGPU();
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [8],
          units: 32,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({seed: 1}),
        }),
        tf.layers.dense({
          units: 4,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotUniform({seed: 2}),
        }),
      ],
    });
    applyPolicy(model, 'mixed_float16');
    const rows = describePolicy(model);
    expect(rows.map((r) => r.execution)).toEqual(['native', 'native']);
    expect(rows[0]!.executionDetail).toMatch(/WGSL|natively in float16/);
    const lso = new LossScaleOptimizer(tf.train.adam(0.01), {mode: 'device'});
    model.compile({optimizer: lso, loss: 'categoricalCrossentropy'});
    const x = tf.randomNormal([64, 8], 0, 1, 'float32', 3);
    // A learnable rule: the class is the argmax of the first four features.
    const y = tf.oneHot(tf.argMax(x.slice([0, 0], [64, 4]), 1), 4).toFloat();
    const h = await model.fit(x, y, {epochs: 15, batchSize: 16, verbose: 0});
    const loss = h.history.loss as number[];
    expect(loss.at(-1)!).toBeLessThan(loss[0]! * 0.7);
    expect(tf.getBackend()).toBe('webgpu');
    // The 'auto' recommendation stays float32 off tfjs-node (speed is unmeasured on WebGPU).
    expect(recommendedPolicy().policy).toBe('float32');
    tf.dispose([x, y]);
    model.dispose();
  });
});
