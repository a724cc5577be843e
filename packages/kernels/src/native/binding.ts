import type {Tensor, TensorInfo} from '@tensorflow/tfjs';
import type {FormatName} from '../formats/format-spec.js';

/**
 * The slice of tfjs-node's `TFJSBinding` (the N-API addon) that tfjs-amp uses, typed by shape so
 * that nothing imports `@tensorflow/tfjs-node` (an optional peer).
 */
export interface TfBinding {
  executeOp(opName: string, attrs: TfOpAttr[], inputIds: number[], numOutputs: number): TfHandle[];
  createTensor(shape: number[], dtype: number, values: Float32Array | Int32Array): number;
  deleteTensor(id: number): void;
  /** The values of a float32 or int32 handle. */
  tensorDataSync(id: number): Float32Array | Int32Array | Uint8Array;
  isUsingGpuDevice(): boolean;
  readonly TF_FLOAT: number;
  readonly TF_INT32: number;
  readonly TF_ATTR_STRING: number;
  readonly TF_ATTR_INT: number;
  readonly TF_ATTR_BOOL: number;
  readonly TF_ATTR_FLOAT: number;
  readonly TF_ATTR_TYPE: number;
  readonly TF_Version: string;
}

/** An op attribute as the binding takes it (`value` is a plain enum int for type attributes). */
export interface TfOpAttr {
  name: string;
  type: number;
  value: boolean | number | number[] | string;
}

/** What `executeOp` returns per output: the native handle id, its shape and `TF_DataType`. */
export interface TfHandle {
  id: number;
  shape: number[];
  dtype: number;
}

/** The slice of tfjs-node's `NodeJSKernelBackend` that tfjs-amp uses. */
export interface NodeBackend {
  readonly binding: TfBinding;
  getInputTensorIds(tensors: TensorInfo[]): number[];
  /** Wraps a float32/int32 handle as a tfjs tensor that owns it. Never pass a 16-bit handle. */
  createOutputTensor(handle: TfHandle): Tensor;
  /** Drops one reference to a tensor's data (its TF handle goes with the last). */
  disposeData(dataId: object): boolean;
  /** tfjs-node's fused-op activations (linear, relu, prelu, leakyrelu, elu, relu6, sigmoid). */
  applyActivation(
    x: Tensor,
    activation: string | undefined,
    preluActivationWeights?: Tensor,
    leakyreluAlpha?: number,
  ): Tensor;
}

/**
 * `TF_DataType` of each format TensorFlow stores natively (tensorflow/c/tf_datatype.h). tf32 has
 * no storage type (it is float32 with a shorter multiply), so it is absent.
 */
export const TF_DTYPES: Readonly<Partial<Record<FormatName, number>>> = Object.freeze({
  bfloat16: 14,
  float16: 19,
  float8_e4m3fn: 25,
  float8_e5m2: 24,
});

/** Formats whose matrix kernels can run natively in libtensorflow (half-precision arithmetic). */
export const NATIVE_COMPUTE_FORMATS: readonly FormatName[] = Object.freeze(['bfloat16', 'float16']);

/** Whether `format` is one the native matrix kernels compute in. */
export function isNativeComputeFormat(format: FormatName): boolean {
  return NATIVE_COMPUTE_FORMATS.includes(format);
}

/** The backend as tfjs-node's, or null when it is not (checked by shape, not by class). */
export function asNodeBackend(backend: unknown): NodeBackend | null {
  const b = backend as Partial<NodeBackend> | null;
  if (b == null || typeof b.getInputTensorIds !== 'function') return null;
  if (typeof b.createOutputTensor !== 'function') return null;
  const binding = b.binding as Partial<TfBinding> | undefined;
  if (binding == null || typeof binding.executeOp !== 'function') return null;
  return b as NodeBackend;
}

/** A type attribute (`T`, `SrcT`, ...). */
export function typeAttr(binding: TfBinding, name: string, dtype: number): TfOpAttr {
  return {name, type: binding.TF_ATTR_TYPE, value: dtype};
}

/** Attributes of TF's `Cast` from `src` to `dst`, rounding to nearest even (not truncating). */
export function castAttrs(binding: TfBinding, src: number, dst: number): TfOpAttr[] {
  return [
    typeAttr(binding, 'SrcT', src),
    typeAttr(binding, 'DstT', dst),
    {name: 'Truncate', type: binding.TF_ATTR_BOOL, value: false},
  ];
}

/**
 * Native handles created during one native kernel call, all deleted at the end whether the call
 * succeeds or throws; intermediates never become tfjs tensors.
 */
export class HandleScope {
  private readonly ids: number[] = [];

  constructor(readonly binding: TfBinding) {}

  /** Runs a single-output op and tracks its output handle. */
  run(opName: string, attrs: TfOpAttr[], inputIds: number[]): TfHandle {
    const out = this.binding.executeOp(opName, attrs, inputIds, 1)[0]!;
    this.ids.push(out.id);
    return out;
  }

  /** Casts a handle to another `TF_DataType` and tracks the result. */
  cast(id: number, src: number, dst: number): TfHandle {
    return this.run('Cast', castAttrs(this.binding, src, dst), [id]);
  }

  /** A new tracked int32 vector (shape arguments such as `input_sizes`). */
  int32(values: readonly number[]): number {
    const id = this.binding.createTensor(
      [values.length],
      this.binding.TF_INT32,
      Int32Array.from(values),
    );
    this.ids.push(id);
    return id;
  }

  /** A new tracked int32 scalar. */
  int32Scalar(value: number): number {
    const id = this.binding.createTensor([], this.binding.TF_INT32, Int32Array.of(value));
    this.ids.push(id);
    return id;
  }

  /** A new tracked float32 tensor. */
  float32(shape: number[], values: Float32Array): number {
    const id = this.binding.createTensor(shape, this.binding.TF_FLOAT, values);
    this.ids.push(id);
    return id;
  }

  /** Stops tracking `handle` (its ownership moves to a tfjs tensor) and returns it. */
  release(handle: TfHandle): TfHandle {
    const at = this.ids.lastIndexOf(handle.id);
    if (at >= 0) this.ids.splice(at, 1);
    return handle;
  }

  /** Deletes every handle still tracked. */
  dispose(): void {
    for (const id of this.ids.splice(0)) this.binding.deleteTensor(id);
  }
}
