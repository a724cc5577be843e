import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';

/**
 * Carries a forward kernel's compute format to its backward kernels.
 *
 * Gradient functions run after the forward call has returned, outside any `withComputeFormat`.
 * Every gradient of a matrix kernel takes one of the forward inputs again (BatchMatMul's
 * `dA = dy·Bᵀ` takes B; Conv2D's filter gradient takes x), as a clone that shares the forward
 * input's `dataId`; that holds for registered gradients and for the `customGrad` closures of the
 * fused ops alike. So a forward kernel that ran in a compute format while a gradient tape was
 * recording marks its inputs' dataIds with the format, the tape and the tape depth; a matrix
 * kernel that runs outside any context, on the same tape at a lower depth (its backward pass),
 * with a marked input, runs in that format too.
 *
 * Marks live in WeakMaps keyed by dataId objects and by the tape array, so they go away with the
 * tensors. A mark never applies outside the backward pass of the tape that recorded it.
 */
interface Mark {
  readonly format: FormatName;
  readonly tapeId: number;
  readonly depth: number;
}

/** The part of tfjs-core's `EngineState` this module reads. */
interface TapeState {
  activeTape: object | null;
  gradientDepth: number;
}

const marks = new WeakMap<object, Mark>();
const tapeIds = new WeakMap<object, number>();
let nextTapeId = 1;

function tapeState(): TapeState {
  return tf.engine().state as unknown as TapeState;
}

/**
 * Records that the forward kernel reading `inputs` ran in `format`, when a gradient tape is
 * recording (no-op otherwise: nothing will run backward).
 */
export function markForBackward(inputs: readonly TensorInfo[], format: FormatName): void {
  const state = tapeState();
  if (state.gradientDepth === 0 || state.activeTape == null) return;
  let tapeId = tapeIds.get(state.activeTape);
  if (tapeId == null) {
    tapeId = nextTapeId++;
    tapeIds.set(state.activeTape, tapeId);
  }
  const mark: Mark = {format, tapeId, depth: state.gradientDepth};
  for (const x of inputs) marks.set(x.dataId, mark);
}

/**
 * The compute format a backward matrix kernel inherits from its forward kernel: the format marked
 * on one of `inputs` (first one wins) by a forward kernel of the tape now being differentiated,
 * or null.
 */
export function backwardFormat(inputs: readonly TensorInfo[]): FormatName | null {
  const state = tapeState();
  if (state.activeTape == null) return null;
  const tapeId = tapeIds.get(state.activeTape);
  if (tapeId == null) return null;
  for (const x of inputs) {
    const mark = marks.get(x.dataId);
    if (mark != null && mark.tapeId === tapeId && state.gradientDepth < mark.depth) {
      return mark.format;
    }
  }
  return null;
}
