const warned = new Set<string>();

/**
 * Prints `message` with `console.warn` the first time `key` is seen in this process. For notices
 * where the result stays correct (emulation instead of a native kernel), never for errors.
 */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}
