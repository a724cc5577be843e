import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-node';
import {fuseOptimizer} from '@tfjs-amp/optimizers';

const model = tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [4]})]});
const optimizer = fuseOptimizer(tf.train.adam(1e-2));
model.compile({optimizer, loss: 'meanSquaredError'});
const x = tf.randomNormal([64, 4]);
const y = x.sum(1, true);
await model.fit(x, y, {epochs: 5, batchSize: 16, verbose: 0});
console.log(optimizer.mode); // 'fused' on tfjs-node, 'delegate' elsewhere
tf.dispose([x, y]);
model.dispose();
optimizer.dispose();
