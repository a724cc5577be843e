import * as tf from '@tensorflow/tfjs';
import type {DataId, TensorInfo} from '@tensorflow/tfjs';

/**
 * The members of tfjs-backend-webgpu's `WebGPUBackend` (4.22) that tfjs-amp's WGSL kernels use.
 * tfjs generates a prelude for its own programs (`makeShader`) that starts with declarations, so a
 * shader that needs `enable f16;` (which must come first) cannot go through `runWebGPUProgram`:
 * these kernels compile their own pipelines and record their dispatches into the backend's
 * command encoder and compute pass exactly as `recordAndSubmit` does.
 */
export interface WebGPUBackendLike {
  readonly device: GPUDeviceLike;
  commandEncoder: {beginComputePass(d: object): ComputePassLike} | null;
  computePassEncoder: ComputePassLike | null;
  dispatchCountInPass: number;
  readonly commandQueueOwnedIds: WeakSet<DataId>;
  readonly tensorMap: {get(dataId: DataId): {resource?: unknown} | undefined};
  makeTensorInfo(shape: number[], dtype: 'float32'): TensorInfo;
  uploadToGPU(dataId: DataId): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  activeTimers?: unknown[] | null;
}

interface GPUDeviceLike {
  readonly features: {has(name: string): boolean};
  createShaderModule(d: {code: string; label?: string}): unknown;
  createComputePipeline(d: object): {getBindGroupLayout(i: number): unknown};
  createBindGroup(d: object): unknown;
}

interface ComputePassLike {
  setPipeline(p: unknown): void;
  setBindGroup(i: number, g: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

/** Whether `backend` looks like tfjs-backend-webgpu's backend (the members above exist). */
export function asWebGPUBackend(backend: unknown): WebGPUBackendLike | null {
  const b = backend as Partial<WebGPUBackendLike> | null;
  if (
    b == null ||
    typeof b !== 'object' ||
    b.device == null ||
    typeof b.uploadToGPU !== 'function' ||
    typeof b.ensureCommandEncoderReady !== 'function' ||
    typeof b.submitQueue !== 'function' ||
    typeof b.makeTensorInfo !== 'function' ||
    b.tensorMap == null
  ) {
    return null;
  }
  return b as WebGPUBackendLike;
}

/** Threads per workgroup of every tfjs-amp WGSL kernel (1-D). */
export const WORKGROUP_SIZE = 64;
/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension. */
const MAX_GROUPS_PER_DIMENSION = 65535;

/** One WGSL program: full source (its own `enable` lines first) and how many threads it needs. */
export interface WgslProgram {
  /** Label for errors and debugging tools. */
  readonly name: string;
  /** Complete WGSL source; binding 0 is the output, bindings 1… the inputs, in order. */
  readonly code: string;
  /** Threads to launch (one per output element unless the program says otherwise). */
  readonly threads: number;
  /**
   * Workgroups to dispatch, for programs with their own workgroup shape; default: enough 1-D
   * groups of {@link WORKGROUP_SIZE} for `threads`, as {@link entryPoint} expects.
   */
  readonly workgroups?: readonly [number, number, number];
}

/** Dispatches recorded per program name since the process started (test and benchmark hook). */
const dispatches = new Map<string, number>();

/** How many times each tfjs-amp WGSL program has been dispatched, by program name. */
export function wgslDispatchCounts(): ReadonlyMap<string, number> {
  return dispatches;
}

const pipelines = new WeakMap<object, Map<string, {getBindGroupLayout(i: number): unknown}>>();

/**
 * The `main` entry point's header and the flat thread index `gid` (dispatches over x and y when
 * one dimension's 65535 workgroups are not enough); a program's body returns when `gid` is past
 * its thread count.
 */
export function entryPoint(threads: number): string {
  const groups = Math.ceil(threads / WORKGROUP_SIZE);
  const columns = Math.min(groups, MAX_GROUPS_PER_DIMENSION);
  return `@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = (wid.y * ${columns}u + wid.x) * ${WORKGROUP_SIZE}u + lid;
  if (gid >= ${threads}u) { return; }
  run(gid);
}
`;
}

/**
 * Runs `program` on the webgpu backend: compiles (once per device and source), binds the output
 * (a new float32 tensor of `outShape`) and `inputs` (uploaded first if still on the CPU), and
 * records one dispatch into the backend's open compute pass, submitting when tfjs would
 * (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` dispatches per pass). Nothing is read back.
 * @returns the output, or null when an input lives in a texture rather than a buffer (tfjs's
 * imported video frames): the caller then runs the backend's own kernel.
 */
export function runWgsl(
  backend: WebGPUBackendLike,
  program: WgslProgram,
  inputs: readonly TensorInfo[],
  outShape: number[],
): TensorInfo | null {
  for (const x of inputs) backend.uploadToGPU(x.dataId);
  const resources = inputs.map((t) => backend.tensorMap.get(t.dataId)?.resource);
  if (!resources.every(isBuffer)) return null;
  const output = backend.makeTensorInfo(outShape, 'float32');
  backend.uploadToGPU(output.dataId);
  const device = backend.device;
  let cache = pipelines.get(device);
  if (cache == null) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  let pipeline = cache.get(program.code);
  if (pipeline == null) {
    const module = device.createShaderModule({code: program.code, label: program.name});
    pipeline = device.createComputePipeline({
      label: program.name,
      layout: 'auto',
      compute: {module, entryPoint: 'main'},
    });
    cache.set(program.code, pipeline);
  }
  const buffers = [backend.tensorMap.get(output.dataId)?.resource, ...resources];
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({binding, resource: {buffer}})),
  });
  for (const x of inputs) backend.commandQueueOwnedIds.add(x.dataId);
  backend.commandQueueOwnedIds.add(output.dataId);
  backend.ensureCommandEncoderReady();
  if (backend.computePassEncoder == null) {
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
  }
  const pass = backend.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  if (program.workgroups != null) {
    pass.dispatchWorkgroups(...program.workgroups);
  } else {
    const groups = Math.ceil(program.threads / WORKGROUP_SIZE);
    const x = Math.min(groups, MAX_GROUPS_PER_DIMENSION);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x), 1);
  }
  backend.dispatchCountInPass++;
  dispatches.set(program.name, (dispatches.get(program.name) ?? 0) + 1);
  if (backend.activeTimers != null || submitBatchSize() <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return output;
}

/** A GPUBuffer (tfjs's tensors may also hold a GPUTexture or an external texture). */
function isBuffer(resource: unknown): boolean {
  return typeof (resource as {mapAsync?: unknown} | null)?.mapAsync === 'function';
}

/** tfjs-backend-webgpu's `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` flag (its default, 15, if unset). */
function submitBatchSize(): number {
  try {
    return tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
  } catch {
    return 15;
  }
}
