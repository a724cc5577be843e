import {type FormatName, SMALL_PRODUCT_MACS} from '@tfjs-amp/kernels';
import type {PolicyReason} from './cast-points.js';
import {describeValue, wrongType} from './internal/errors.js';
import {type LayerExecution, type PolicyExecution, layerExecution} from './internal/execution.js';
import {isLayer, type Layer, walkLayers} from './internal/layer-walk.js';
import {denseMacsPerRow} from './internal/native-shortcut.js';
import {LAYER_RECORDS} from './internal/registry.js';

export type {PolicyExecution} from './internal/execution.js';

/** One layer in {@link describePolicy}'s table. */
export interface PolicyRow {
  /** Layer names from the described model down to this layer, joined by `/`. */
  readonly path: string;
  /** `layer.name`. */
  readonly name: string;
  /** `layer.getClassName()`. */
  readonly className: string;
  /** Format inputs and weights are rounded to when the layer runs (float32: none). */
  readonly computeFormat: FormatName;
  /** Format the layer's variables are stored in. */
  readonly variableFormat: FormatName;
  /** Format the layer's outputs are rounded to (float32 for kept softmax outputs). */
  readonly outputFormat: FormatName;
  /** `default` (the model's policy), `override`, or `kept-float32`. */
  readonly reason: PolicyReason;
  /**
   * How the compute format is carried out on the current backend: `native` (matrix work in the
   * format inside libtensorflow, tfjs-node), `emulated` (rounding float32), `none` (float32).
   */
  readonly execution: PolicyExecution;
  /**
   * Why the layer runs as it does: for `emulated` layers on tfjs-node, which kernel the dispatch
   * keeps in float32 and on what facts (no TF kernel, a kernel that sums in the format, a CPU
   * without 16-bit units, with its flags).
   */
  readonly executionDetail: string;
}

/** Options of {@link describePolicy}. */
export interface DescribePolicyOptions {
  /**
   * The rows a call feeds a Dense layer (the batch size, for `[batch, features]` inputs): its
   * execution is then the one for products of that size (on tfjs-node a small product may run
   * natively where the format is emulated in general). Default: the answer for products in
   * general, with the largest batch that runs natively in `executionDetail`.
   */
  readonly batchSize?: number;
}

/**
 * One row per computing layer of `model` (layers of nested models included, input layers and
 * the containers themselves left out), in the model's layer order: what each layer rounds to and
 * why. A model with no policy applied is described as plain float32.
 * @throws TypeError when `model` is not a tfjs layer, or `batchSize` is not a positive integer.
 * @example
 * console.table(describePolicy(model));
 * describePolicy(model, {batchSize: 64}); // as the layers run at batch 64
 */
export function describePolicy(model: Layer, options: DescribePolicyOptions = {}): PolicyRow[] {
  if (!isLayer(model)) {
    throw wrongType('describePolicy', 'model', 'a tfjs LayersModel or Layer', describeValue(model));
  }
  const batchSize = options?.batchSize;
  if (batchSize != null && !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw wrongType(
      'describePolicy',
      'options.batchSize',
      'a positive integer',
      describeValue(batchSize),
    );
  }
  const rows: PolicyRow[] = [];
  for (const step of walkLayers(model)) {
    if (step.isContainer) continue;
    const layer = step.layer;
    const plan = LAYER_RECORDS.get(layer)?.plan;
    const computeFormat = plan?.computeFormat ?? 'float32';
    const {execution, detail} = describeExecution(layer, computeFormat, batchSize);
    rows.push(
      Object.freeze({
        path: step.path,
        name: layer.name,
        className: layer.getClassName(),
        computeFormat,
        variableFormat: plan?.variableFormat ?? 'float32',
        outputFormat: plan?.outputFormat ?? 'float32',
        reason: plan?.reason ?? 'default',
        execution,
        executionDetail: detail,
      }),
    );
  }
  return rows;
}

/**
 * A layer's execution for products in general; for a Dense layer the dispatch would run natively
 * when its product is small, the detail also says up to how many rows a call runs natively.
 */
function describeExecution(
  layer: Layer,
  computeFormat: FormatName,
  batchSize: number | undefined,
): LayerExecution {
  const perRow = denseMacsPerRow(layer);
  if (perRow != null && batchSize != null) {
    return layerExecution(layer, computeFormat, batchSize * perRow);
  }
  const general = layerExecution(layer, computeFormat);
  if (general.execution !== 'emulated' || perRow == null) return general;
  const rows = Math.floor(SMALL_PRODUCT_MACS / perRow);
  if (rows < 1 || layerExecution(layer, computeFormat, rows * perRow).execution !== 'native') {
    return general;
  }
  return {
    execution: 'emulated',
    detail:
      `${general.detail}; natively for calls of up to ${rows} rows (products of at most 2^24 ` +
      'multiply-adds, where emulating costs more than the 16-bit kernel loses)',
  };
}
