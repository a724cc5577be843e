import * as tf from '@tensorflow/tfjs';
import {LossScaleOptimizer} from '@tfjs-amp/loss-scale';

const model = tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [4]})]});
const optimizer = new LossScaleOptimizer(tf.train.adam(1e-2), {growthInterval: 100});
optimizer.onUpdate((e) => e.skipped && console.log(`skipped step ${e.step}, scale ${e.lossScale}`));
model.compile({optimizer, loss: 'meanSquaredError'});
const x = tf.randomNormal([64, 4]);
const y = x.sum(1, true);
await model.fit(x, y, {epochs: 5, batchSize: 16, verbose: 0});
console.log(`loss scale ${optimizer.lossScale}, skipped ${optimizer.skippedSteps} steps`);
tf.dispose([x, y]);
model.dispose();
optimizer.dispose();
