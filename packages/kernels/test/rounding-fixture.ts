// Loads test/fixtures/rounding.json (written by tools/oracles/rounding_fixtures.py from numpy,
// ml_dtypes and an exact rational oracle) into typed arrays for the tests.
import {readFileSync} from 'node:fs';
import type {FormatName} from '@tfjs-amp/kernels';

interface RawFormat {
  oracle: string;
  cases: [string, string, string, string | null, string][];
  random?: {count: number; input: string; out: string; saturated: string; code?: string};
}

/** One format's expected rounding: curated cases first, then random bit patterns. */
export interface FormatFixture {
  oracle: string;
  /** Case labels; random entries are labelled `random #i`. */
  labels: string[];
  /** float32 input bits. */
  input: Uint32Array;
  /** Expected float32 output bits (NaN outputs follow the documented NaN policy). */
  out: Uint32Array;
  /** Expected saturating output bits. */
  saturated: Uint32Array;
  /** Expected format codes (8/16-bit formats), null for float32/tf32. */
  code: Uint8Array | Uint16Array | null;
  /** How many of the entries are curated cases. */
  caseCount: number;
}

function fromBase64<T>(text: string, make: (buffer: ArrayBuffer) => T): T {
  const bytes = Buffer.from(text, 'base64');
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return make(copy);
}

const raw = JSON.parse(
  readFileSync(new URL('./fixtures/rounding.json', import.meta.url), 'utf8'),
) as {formats: Record<FormatName, RawFormat>; generator: Record<string, unknown>};

/** Versions of the oracles that wrote the fixture. */
export const fixtureGenerator = raw.generator;

/** The fixture of one format. */
export function roundingFixture(format: FormatName): FormatFixture {
  const entry = raw.formats[format];
  const random = entry.random;
  const n = entry.cases.length + (random?.count ?? 0);
  const input = new Uint32Array(n);
  const out = new Uint32Array(n);
  const saturated = new Uint32Array(n);
  const codeBits =
    format === 'float16' || format === 'bfloat16' ? 16 : format.startsWith('float8') ? 8 : 0;
  const code = codeBits === 16 ? new Uint16Array(n) : codeBits === 8 ? new Uint8Array(n) : null;
  const labels: string[] = [];
  entry.cases.forEach(([label, x, y, c, s], i) => {
    labels.push(label);
    input[i] = Number(x);
    out[i] = Number(y);
    saturated[i] = Number(s);
    if (code != null) code[i] = Number(c);
  });
  if (random != null) {
    const k = entry.cases.length;
    input.set(
      fromBase64(random.input, (b) => new Uint32Array(b)),
      k,
    );
    out.set(
      fromBase64(random.out, (b) => new Uint32Array(b)),
      k,
    );
    saturated.set(
      fromBase64(random.saturated, (b) => new Uint32Array(b)),
      k,
    );
    if (code != null && random.code != null) {
      code.set(
        fromBase64(random.code, (b) => (codeBits === 16 ? new Uint16Array(b) : new Uint8Array(b))),
        k,
      );
    }
    for (let i = 0; i < random.count; i++) labels.push(`random #${i}`);
  }
  return {oracle: entry.oracle, labels, input, out, saturated, code, caseCount: entry.cases.length};
}

/** float32 view of bit patterns (no copy). */
export function asFloat32(bits: Uint32Array): Float32Array {
  return new Float32Array(bits.buffer, bits.byteOffset, bits.length);
}

/** The first few mismatching entries, labelled, for failure messages; '' when all match. */
export function describeMismatches(
  fixture: FormatFixture,
  actual: Uint32Array,
  expected: Uint32Array,
  sameWhen: (a: number, e: number) => boolean = (a, e) => a === e,
): string {
  const lines: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!sameWhen(actual[i]!, expected[i]!)) {
      count++;
      if (lines.length < 5) {
        const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
        lines.push(
          `${fixture.labels[i]}: input ${hex(fixture.input[i]!)} got ${hex(actual[i]!)} want ${hex(expected[i]!)}`,
        );
      }
    }
  }
  return count === 0 ? '' : `${count} of ${expected.length} differ:\n  ${lines.join('\n  ')}`;
}

/** True for float32 NaN bit patterns. */
export function isNanBits(bits: number): boolean {
  return (bits & 0x7fffffff) > 0x7f800000;
}
