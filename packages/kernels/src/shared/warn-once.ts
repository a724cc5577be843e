const warned = new Set<string>();

/**
 * Prints `message` with `console.warn` the first time `key` is seen in this process (one set for
 * every tfjs-amp package). Only for notices whose result stays correct (emulation instead of a
 * native kernel); anything that would be wrong throws instead.
 * @example warnOnce('native:float8', 'float8 runs emulated on this backend.');
 */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}
