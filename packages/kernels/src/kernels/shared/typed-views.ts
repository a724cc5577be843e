/** A Uint32Array over the same memory as a Float32Array (no copy). */
export function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}
