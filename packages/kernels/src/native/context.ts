import type {FormatName} from '../formats/format-spec.js';

/** Formats of the enclosing `withComputeFormat` calls, innermost last. */
const stack: FormatName[] = [];

/**
 * The compute format of the innermost enclosing {@link withComputeFormat} call, or `null` outside
 * any. `float32` means "explicitly full precision" (a kept-float32 layer inside a mixed model).
 * @example
 * withComputeFormat('float16', () => getComputeFormat()) // 'float16'
 */
export function getComputeFormat(): FormatName | null {
  return stack.length === 0 ? null : stack[stack.length - 1]!;
}

/** Runs `fn` with `format` pushed on the context stack; pops it however `fn` ends. */
export function runInContext<T>(format: FormatName, fn: () => T): T {
  stack.push(format);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}
