// Layering of the kernels package (as tfjs: ops → kernel registry → backends' kernels, never
// back): no import cycle between source files, and the folder rules below. Reads the import
// statements of src/**/*.ts (tests excluded).
import {readdirSync, readFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Relative imports of every source file, as paths relative to src/ (`ops/quantize.ts`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)]
      // `import type` disappears at run time: it cannot make a cycle.
      .filter((m) => !/^(?:import|export)\s+type\s/.test(m[0]))
      .map((m) => relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** One cycle through the graph, or null. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

/** Folder → folders it must not import (the layers below never import the layers above). */
const FORBIDDEN: Record<string, readonly string[]> = {
  'kernels/': ['ops/'],
  // The native engine (binding, dispatch, cast cache, overrides) sits below the kernels that use
  // it; the public native APIs that make sure kernels are registered live in ops/.
  'native/': ['ops/', 'kernels/'],
  'rounding/': ['ops/', 'kernels/', 'native/'],
  'formats/': ['ops/', 'kernels/', 'native/', 'rounding/'],
  'shared/': ['ops/', 'kernels/', 'rounding/', 'formats/'],
};

describe('kernels package layering', () => {
  const graph = importGraph();

  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['a.ts']],
    ]);
    expect(findCycle(g)).toEqual(['a.ts', 'b.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['b.ts']]]))).toBeNull();
  });

  it('has no import cycle between source files', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(findCycle(graph)).toBeNull();
  });

  for (const [folder, banned] of Object.entries(FORBIDDEN)) {
    it(`${folder} imports nothing from ${banned.join(', ')}`, () => {
      const bad = [...graph]
        .filter(([file]) => file.startsWith(folder))
        .flatMap(([file, targets]) =>
          targets.filter((t) => banned.some((b) => t.startsWith(b))).map((t) => `${file} → ${t}`),
        );
      expect(bad).toEqual([]);
    });
  }
});
