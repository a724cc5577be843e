// @tfjs-amp/kernels: low-precision number formats, bit-exact rounding, and the tfjs kernels
// that emulate or run them. Importing this module registers the kernels (see registerAmpKernels).
import {registerAmpKernels} from './register.js';

// Formats
export {FORMAT_NAMES, getFormat, isFormatName} from './formats/index.js';
export type {FormatName, FormatSpec} from './formats/format-spec.js';

// Tensor ops
export {quantize} from './ops/quantize.js';
export type {QuantizeOptions} from './ops/quantize.js';

export {FUSED_MAT_MUL_ACTIVATIONS, fusedMatMul} from './ops/fused-mat-mul.js';
export type {FusedMatMulArgs} from './ops/fused-mat-mul.js';
export {fusedConv2d} from './ops/fused-conv2d.js';
export {relu} from './ops/relu.js';
export type {FusedConv2dArgs} from './ops/fused-conv2d.js';

// Array-level rounding and storage
export {roundArray} from './rounding/round-array.js';
export type {RoundingOptions} from './rounding/round-array.js';
export {encode} from './rounding/encode.js';
export type {EncodedArray} from './rounding/encode.js';
export {decode} from './rounding/decode.js';

// Kernel registry
export {AmpQuantize} from './kernel-names.js';
export type {AmpQuantizeAttrs} from './kernel-names.js';
export {ensureAmpKernels} from './kernels/register-kernels.js';
export {registerAmpKernels} from './register.js';

// Native half-precision kernels (tfjs-node, tfjs-node-gpu)
export {getComputeFormat} from './native/context.js';
export {withComputeFormat} from './ops/with-compute-format.js';
export {
  nativeBackendInfo,
  nativeKernelReport,
  nativeKernelSupport,
} from './ops/native-kernel-support.js';
export type {
  NativeBackendInfo,
  NativeKernelReportOptions,
  NativeKernelRow,
} from './ops/native-kernel-support.js';
export {
  NATIVE_DISPATCH_MODES,
  SMALL_PRODUCT_MACS,
  fasterThanFloat32,
  getNativeDispatch,
  setNativeDispatch,
} from './native/dispatch.js';
export type {NativeDecision, NativeDispatch, NativeReason} from './native/dispatch.js';
export {dropHalfCopies, nativeMemory, resetNativeMemoryPeak} from './native/half-cache.js';
export type {NativeMemory} from './native/half-cache.js';
export {trackTensorBytes} from './native/tensor-bytes.js';
export type {TensorBytes, TensorBytesTracker} from './native/tensor-bytes.js';
export {CPU_FLAGS_OF_INTEREST, cpuFeatures, parseCpuInfo} from './native/cpu-features.js';
export type {CpuFeatures} from './native/cpu-features.js';

// WebGPU float16 kernels (tfjs-backend-webgpu on a device with shader-f16)
export {requestShaderF16} from './kernels/webgpu/wgsl/shader-f16.js';

// Native backend access (for sibling packages): tfjs-node's binding, typed by shape
export {asNodeBackend} from './native/binding.js';
export type {NodeBackend, TfBinding, TfHandle, TfOpAttr} from './native/binding.js';

registerAmpKernels();
