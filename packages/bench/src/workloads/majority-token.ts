import * as tf from '@tensorflow/tfjs';
import {checkInteger} from '../internal/errors.js';
import {createRng, deriveSeed} from '../internal/prng.js';
import type {WorkloadData, WorkloadDataOptions} from './workload.js';

/** Tokens in the vocabulary, and so classes. */
export const MAJORITY_VOCABULARY = 8;
/** Tokens per sequence. */
export const MAJORITY_LENGTH = 24;

/**
 * A sequence task with a learnable rule, as no npm package in this repository ships a text corpus:
 * each example is 24 tokens drawn uniformly from a vocabulary of 8, and its class is the token that
 * occurs most often (sequences whose most frequent token is tied are drawn again, so the label is
 * unique; the classes are balanced by symmetry). Solving it means counting over the whole
 * sequence, which self-attention does by attending to equal tokens; the most frequent token often
 * leads by a single occurrence, so the task is not solved in a few steps. Inputs are token ids as
 * float32 (`[examples, 24]`), which an Embedding layer reads as indices.
 * @throws RangeError when trainSize or testSize is not a positive integer.
 * @example majorityToken({trainSize: 4000, testSize: 1000, seed: 0}).xTrain.shape // [4000, 24]
 */
export function majorityToken(options: WorkloadDataOptions): WorkloadData {
  const {trainSize, testSize, seed} = options;
  checkInteger('majorityToken', 'trainSize', trainSize, 1);
  checkInteger('majorityToken', 'testSize', testSize, 1);
  const v = MAJORITY_VOCABULARY;
  const t = MAJORITY_LENGTH;
  const make = (count: number, stream: number) => {
    const rng = createRng(deriveSeed(seed, stream));
    const x = new Float32Array(count * t);
    const labels = new Int32Array(count);
    const counts = new Int32Array(v);
    for (let i = 0; i < count; i++) {
      let label = -1;
      while (label < 0) {
        counts.fill(0);
        for (let j = 0; j < t; j++) {
          const token = Math.min(v - 1, Math.floor(rng() * v));
          x[i * t + j] = token;
          counts[token]!++;
        }
        let best = 0;
        for (let k = 1; k < v; k++) if (counts[k]! > counts[best]!) best = k;
        let ties = 0;
        for (let k = 0; k < v; k++) if (counts[k] === counts[best]) ties++;
        if (ties === 1) label = best;
      }
      labels[i] = label;
    }
    return {x, labels};
  };
  const train = make(trainSize, 9201);
  const test = make(testSize, 9202);
  return tf.tidy(() => {
    const oneHot = (labels: Int32Array) => tf.oneHot(tf.tensor1d(labels, 'int32'), v).toFloat();
    return {
      xTrain: tf.tensor2d(train.x, [trainSize, t]),
      yTrain: oneHot(train.labels),
      xTest: tf.tensor2d(test.x, [testSize, t]),
      yTest: oneHot(test.labels),
    };
  });
}

/** Where the Transformer workload's data comes from, for reports. */
export const MAJORITY_DATA_DESCRIPTION = `synthetic sequences (no npm package here ships a corpus): ${MAJORITY_LENGTH} tokens from a vocabulary of ${MAJORITY_VOCABULARY}, class = the most frequent token (ties redrawn)`;
