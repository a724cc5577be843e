import type {backend_util} from '@tensorflow/tfjs';
import {type FusedEpilogue, WGSL_GRID16, wgslEpilogue} from './epilogue.js';
import {wgslFloat16} from './wgsl-float16.js';
import {entryPoint, type WgslProgram} from './wgsl-program.js';

/** Which result of a convolution the program computes. */
export type ConvKind = 'forward' | 'input' | 'filter';

/**
 * The WGSL float16 convolution family (Conv2D, DepthwiseConv2dNative and both their backprops),
 * NHWC, one thread per output element: each operand is read as float32, rounded to float16
 * exactly (`ampF16`, an `f16` value) and widened to float32 for the product (exact: 11 × 11
 * significant bits), the products are summed in float32 over the window (forward), the filter
 * taps and output channels that reach an input position (input gradient), or the batch and
 * output positions (filter gradient), and the sum is rounded once to float16. So each result
 * is the float16 rounding of a float32 sum of exact products, as TF's float16 convolutions with
 * float32 accumulation (the `tensorflow` backend on CPUs with AVX512-FP16, cuDNN).
 * A forward program may fuse an epilogue (FusedConv2D, FusedDepthwiseConv2D: bias and activation,
 * each rounded to float16, see `wgslEpilogue`).
 * Bindings: output, then the kernel's two inputs in tfjs's order (x, filter | dy, filter | x, dy),
 * then the bias.
 */
export function convProgram(
  kind: ConvKind,
  info: backend_util.Conv2DInfo,
  depthwise: boolean,
  epilogue: FusedEpilogue | null = null,
): WgslProgram {
  if (epilogue != null && kind !== 'forward') {
    throw new Error(`convProgram: only the forward convolution fuses an epilogue; got '${kind}'.`);
  }
  const {batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels} = info;
  const {strideHeight, strideWidth, dilationHeight, dilationWidth} = info;
  const {filterHeight, filterWidth} = info;
  const mul = depthwise ? outChannels / inChannels : 1;
  const constants = `const B = ${batchSize}u; const IH = ${inHeight}; const IW = ${inWidth};
const IC = ${inChannels}u; const OH = ${outHeight}; const OW = ${outWidth}; const OC = ${outChannels}u;
const SH = ${strideHeight}; const SW = ${strideWidth}; const DH = ${dilationHeight}; const DW = ${dilationWidth};
const FH = ${filterHeight}; const FW = ${filterWidth}; const MUL = ${mul}u;
const TOP = ${info.padInfo.top}; const LEFT = ${info.padInfo.left};
// Filter layout: [FH, FW, IC, FC] with FC = OC (conv) or MUL (depthwise).
const FC = ${depthwise ? 'MUL' : 'OC'};`;
  const names: Record<ConvKind, [string, string]> = {
    forward: ['X', 'F'],
    input: ['DY', 'F'],
    filter: ['X', 'DY'],
  };
  const [in1, in2] = names[kind];
  let threads: number;
  let body: string;
  const xAt = 'X[((b * u32(IH) + u32(ih)) * u32(IW) + u32(iw)) * IC + c]';
  const fAt = 'F[((u32(i) * u32(FW) + u32(j)) * IC + c) * FC + q]';
  const dyAt = 'DY[((b * u32(OH) + u32(oh)) * u32(OW) + u32(ow)) * OC + oc]';
  const term = (u: string, v: string) => `acc = acc + f32(ampF16(${u})) * f32(ampF16(${v}));`;
  switch (kind) {
    case 'forward':
      threads = batchSize * outHeight * outWidth * outChannels;
      body = `
  let oc = gid % OC;
  let ow = i32((gid / OC) % u32(OW));
  let oh = i32((gid / (OC * u32(OW))) % u32(OH));
  let b = gid / (OC * u32(OW) * u32(OH));
  for (var i = 0; i < FH; i = i + 1) {
    let ih = oh * SH + i * DH - TOP;
    if (ih < 0 || ih >= IH) { continue; }
    for (var j = 0; j < FW; j = j + 1) {
      let iw = ow * SW + j * DW - LEFT;
      if (iw < 0 || iw >= IW) { continue; }
      ${
        depthwise
          ? `let c = oc / MUL;
      let q = oc % MUL;
      ${term(xAt, fAt)}`
          : `let q = oc;
      for (var c = 0u; c < IC; c = c + 1u) {
        ${term(xAt, fAt)}
      }`
      }
    }
  }`;
      break;
    case 'input':
      threads = batchSize * inHeight * inWidth * inChannels;
      body = `
  let c = gid % IC;
  let iw = i32((gid / IC) % u32(IW));
  let ih = i32((gid / (IC * u32(IW))) % u32(IH));
  let b = gid / (IC * u32(IW) * u32(IH));
  for (var i = 0; i < FH; i = i + 1) {
    let hNum = ih + TOP - i * DH;
    if (hNum < 0 || hNum % SH != 0) { continue; }
    let oh = hNum / SH;
    if (oh >= OH) { continue; }
    for (var j = 0; j < FW; j = j + 1) {
      let wNum = iw + LEFT - j * DW;
      if (wNum < 0 || wNum % SW != 0) { continue; }
      let ow = wNum / SW;
      if (ow >= OW) { continue; }
      for (var q = 0u; q < FC; q = q + 1u) {
        let oc = ${depthwise ? 'c * MUL + q' : 'q'};
        ${term(dyAt, fAt)}
      }
    }
  }`;
      break;
    case 'filter':
      threads = filterHeight * filterWidth * inChannels * (depthwise ? mul : outChannels);
      body = `
  let q = gid % FC;
  let c = (gid / FC) % IC;
  let j = i32((gid / (FC * IC)) % u32(FW));
  let i = i32(gid / (FC * IC * u32(FW)));
  let oc = ${depthwise ? 'c * MUL + q' : 'q'};
  for (var b = 0u; b < B; b = b + 1u) {
    for (var oh = 0; oh < OH; oh = oh + 1) {
      let ih = oh * SH + i * DH - TOP;
      if (ih < 0 || ih >= IH) { continue; }
      for (var ow = 0; ow < OW; ow = ow + 1) {
        let iw = ow * SW + j * DW - LEFT;
        if (iw < 0 || iw >= IW) { continue; }
        ${term(xAt, dyAt)}
      }
    }
  }`;
      break;
  }
  const code = `enable f16;
${constants}
@group(0) @binding(0) var<storage, read_write> Y: array<u32>;
@group(0) @binding(1) var<storage, read> ${in1}: array<u32>;
@group(0) @binding(2) var<storage, read> ${in2}: array<u32>;
${epilogue?.biasSize != null ? '@group(0) @binding(3) var<storage, read> bias: array<u32>;' : ''}
${wgslFloat16(false, true)}
${WGSL_GRID16}
fn run(gid: u32) {
  var acc = 0.0;
${body}
  var v = grid16(acc);
  ${wgslEpilogue(epilogue, 'gid % OC')}
  Y[gid] = bitcast<u32>(v);
}

${entryPoint(threads)}`;
  return {
    name: `Amp${epilogue == null ? '' : 'Fused'}Conv${depthwise ? 'Depthwise' : ''}${kind}F16`,
    code,
    threads,
  };
}
