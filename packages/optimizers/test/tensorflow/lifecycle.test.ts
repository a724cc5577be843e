// The fused path on tfjs-node: TF ops per step, native handles, re-syncing variables changed
// elsewhere, weights, dispose, and clear errors.
import * as tf from '@tensorflow/tfjs';
import {NativeOpSpy, describeBackends, expectBitsEqual, expectNoLeaks} from '@tfjs-amp/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {FUSED_RULES, fuseOptimizer} from '../../src/index.js';
import {lcg, makeVariables, materialize} from './support.js';

const SHAPES = [[20, 30], [30], [30, 4], [4]];

function gradients(vars: tf.Variable[], seed: number) {
  return vars.map((v, k) => ({
    name: v.name,
    tensor: tf.tensor(lcg(v.size, seed * 10 + k), v.shape),
  }));
}

function step(opt: tf.Optimizer, vars: tf.Variable[], seed: number): void {
  const grads = gradients(vars, seed);
  materialize(...grads.map((g) => g.tensor));
  opt.applyGradients(grads);
  tf.dispose(grads.map((g) => g.tensor));
}

describe('FusedOptimizer on tfjs-node', () => {
  describeBackends(['tensorflow'], () => {
    let spy: NativeOpSpy;
    beforeAll(() => {
      spy = new NativeOpSpy();
    });
    afterAll(() => spy.restore());

    it('runs 2 TF ops per variable per step (the ResourceApply op and a read) instead of tfjs’s ~15', () => {
      for (const [name, make] of [
        ['Adam', () => tf.train.adam(1e-3)],
        ['SGD', () => tf.train.sgd(0.1)],
        ['Momentum', () => tf.train.momentum(0.1, 0.9)],
        ['RMSProp', () => tf.train.rmsprop(0.01)],
        ['Adamax', () => tf.train.adamax(0.01)],
      ] as const) {
        const plainVars = makeVariables(SHAPES);
        const fusedVars = makeVariables(SHAPES);
        const plain = make();
        const fused = fuseOptimizer(make());
        step(plain, plainVars, 1);
        step(fused, fusedVars, 1); // first step: creates resource variables, copies values in
        spy.reset();
        step(plain, plainVars, 2);
        const tfjsOps = spy.ops.length;
        spy.reset();
        step(fused, fusedVars, 2);
        const rule = FUSED_RULES[name]!;
        const expected = SHAPES.flatMap(() => [rule.op, 'ReadVariableOp']);
        expect(spy.ops, name).toEqual(expected);
        expect(spy.ops.length, name).toBeLessThanOrEqual(tfjsOps);
        if (name === 'Adam') expect(tfjsOps).toBeGreaterThanOrEqual(10 * SHAPES.length);
        plain.dispose();
        fused.dispose();
        tf.dispose([...plainVars, ...fusedVars]);
      }
    });

    it('leaves no tensor and no native handle behind over many steps, and dispose() frees all', async () => {
      const vars = makeVariables(SHAPES);
      materialize(...vars);
      await expectNoLeaks(() => {
        spy.reset();
        const opt = fuseOptimizer(tf.train.adam(1e-3));
        step(opt, vars, 0);
        const afterFirst = spy.liveHandles;
        // Master + 2 slots per variable (resource handles).
        expect(afterFirst).toBe(3 * SHAPES.length);
        for (let t = 1; t <= 30; t++) step(opt, vars, t);
        expect(spy.liveHandles).toBe(afterFirst);
        opt.dispose();
        expect(spy.liveHandles).toBe(0);
      });
      tf.dispose(vars);
    });

    /** The native handle id of `t`'s data on tfjs-node (-1: none). */
    const handleOf = (t: tf.Tensor) =>
      (
        tf.backend() as unknown as {
          tensorMap: {get(d: object): {id: number}};
        }
      ).tensorMap.get(t.dataId as object).id;

    /** Runs `f` with the binding's executeOp and deleteTensor calls logged into `log`, in order (also when `f` throws); `fail` names an op that throws instead of running. */
    function logged(f: () => void, fail?: string, log: string[] = []): string[] {
      const backend = tf.backend() as unknown as {
        binding: Record<string, unknown>;
      };
      const real = backend.binding;
      const copy: Record<string, unknown> = {};
      for (const key of Object.getOwnPropertyNames(real)) {
        const value = real[key];
        copy[key] = typeof value === 'function' ? value.bind(real) : value;
      }
      const exec = real.executeOp as (op: string, ...rest: unknown[]) => {id: number}[];
      copy.executeOp = (op: string, ...rest: unknown[]) => {
        if (op === fail) throw new Error(`injected ${op} failure`);
        const out = exec.call(real, op, ...rest);
        log.push(`${op}${out.map((o) => ` ->${o.id}`).join('')}`);
        return out;
      };
      copy.deleteTensor = (id: number) => {
        log.push(`delete ${id}`);
        (real.deleteTensor as (id: number) => void).call(real, id);
      };
      backend.binding = copy;
      try {
        f();
      } finally {
        backend.binding = real;
      }
      return log;
    }

    it('updates each variable in place: its previous value goes before the update, so TF copies nothing', () => {
      // A variable's value is a read of the master sharing its buffer; were it alive during the
      // update, TensorFlow would copy the whole master first (copy-on-write) every step.
      const vars = makeVariables(SHAPES);
      const opt = fuseOptimizer(tf.train.adam(1e-3));
      step(opt, vars, 1);
      const before = vars.map(handleOf);
      const log = logged(() => step(opt, vars, 2));
      const applies = log.flatMap((e, i) => (e.startsWith('ResourceApplyAdam') ? [i] : []));
      expect(applies).toHaveLength(SHAPES.length);
      before.forEach((id, k) => {
        const freed = log.indexOf(`delete ${id}`);
        expect(freed, `variable ${k}: ${log.join(', ')}`).toBeGreaterThanOrEqual(0);
        expect(freed, `variable ${k}`).toBeLessThan(applies[k]!);
        expect(freed, `variable ${k}`).toBeGreaterThan(k === 0 ? -1 : applies[k - 1]!);
      });
      // Its new value is the read right after the update.
      vars.forEach((v, k) => {
        expect(log[applies[k]! + 1]).toBe(`ReadVariableOp ->${handleOf(v)}`);
      });
      opt.dispose();
      tf.dispose(vars);
    });

    it('leaves a value someone else holds (a clone) alone: the clone keeps its values, the step is the same', () => {
      const reference = makeVariables(SHAPES);
      const vars = makeVariables(SHAPES);
      const refOpt = fuseOptimizer(tf.train.adam(1e-3));
      const opt = fuseOptimizer(tf.train.adam(1e-3));
      step(refOpt, reference, 1);
      step(opt, vars, 1);
      const clones = vars.map((v) => tf.clone(v));
      const held = clones.map((c) => c.dataSync().slice());
      step(refOpt, reference, 2);
      step(opt, vars, 2);
      clones.forEach((c, k) => {
        expectBitsEqual(c.dataSync() as Float32Array, held[k] as Float32Array);
        expectBitsEqual(
          vars[k]!.dataSync() as Float32Array,
          reference[k]!.dataSync() as Float32Array,
        );
        expect(Array.from(vars[k]!.dataSync())).not.toEqual(Array.from(held[k]!));
      });
      // Without the clones, the next steps update in place and still agree bit for bit.
      tf.dispose(clones);
      for (let t = 3; t <= 5; t++) {
        step(refOpt, reference, t);
        step(opt, vars, t);
      }
      vars.forEach((v, k) => {
        expectBitsEqual(v.dataSync() as Float32Array, reference[k]!.dataSync() as Float32Array);
      });
      refOpt.dispose();
      opt.dispose();
      tf.dispose([...reference, ...vars]);
    });

    it('keeps the variable readable when the update op fails after its value was released', async () => {
      const reference = makeVariables(SHAPES);
      const vars = makeVariables(SHAPES);
      const refOpt = fuseOptimizer(tf.train.adam(1e-3));
      const opt = fuseOptimizer(tf.train.adam(1e-3));
      step(refOpt, reference, 1);
      step(opt, vars, 1);
      const held = vars.map((v) => v.dataSync().slice());
      const grads = gradients(vars, 2);
      // Give the gradients their native handles first (tfjs-node makes them on first use).
      tf.tidy(() => {
        for (const g of grads) tf.add(g.tensor, 0);
      });
      const first = handleOf(vars[0]!);
      const log: string[] = [];
      await expectNoLeaks(() => {
        expect(() => logged(() => opt.applyGradients(grads), 'ResourceApplyAdam', log)).toThrow(
          /injected ResourceApplyAdam failure/,
        );
      });
      tf.dispose(grads.map((g) => g.tensor));
      // The first variable's value was released and read back; none changed.
      expect(log).toContain(`delete ${first}`);
      expect(handleOf(vars[0]!)).not.toBe(first);
      vars.forEach((v, k) => {
        expect(handleOf(v)).toBeGreaterThanOrEqual(0);
        expectBitsEqual(v.dataSync() as Float32Array, held[k] as Float32Array);
      });
      step(refOpt, reference, 2);
      step(opt, vars, 2);
      vars.forEach((v, k) => {
        expectBitsEqual(v.dataSync() as Float32Array, reference[k]!.dataSync() as Float32Array);
      });
      refOpt.dispose();
      opt.dispose();
      tf.dispose([...reference, ...vars]);
    });

    it('destroys its TF resource variables on dispose (DestroyResourceOp) and refuses later calls', () => {
      const vars = makeVariables([[3]]);
      const opt = fuseOptimizer(tf.train.sgd(0.1));
      spy.reset();
      step(opt, vars, 1);
      const handleOp = spy.ops.indexOf('VarHandleOp');
      expect(handleOp).toBeGreaterThanOrEqual(0);
      opt.dispose();
      expect(spy.ops.filter((op) => op === 'DestroyResourceOp')).toHaveLength(1);
      expect(() => opt.applyGradients([])).toThrow(/disposed/);
      tf.dispose(vars);
    });

    it('copies in a variable changed elsewhere (assign, setWeights) before the next step', () => {
      const [a] = makeVariables([[5]]);
      const [b] = makeVariables([[5]]);
      const plain = tf.train.momentum(0.1, 0.9);
      const fused = fuseOptimizer(tf.train.momentum(0.1, 0.9));
      step(plain, [a!], 1);
      step(fused, [b!], 1);
      const reset = tf.tensor1d([1, 2, 3, 4, 5]);
      a!.assign(reset);
      b!.assign(reset);
      spy.reset();
      step(plain, [a!], 2);
      step(fused, [b!], 2);
      expect(spy.ops).toContain('AssignVariableOp');
      expectBitsEqual(b!.dataSync() as Float32Array, a!.dataSync() as Float32Array);
      tf.dispose([a!, b!, reset]);
      plain.dispose();
      fused.dispose();
    });

    it('answers getWeights like the wrapped class; snapshots do not move with later steps', async () => {
      const vars = makeVariables(SHAPES);
      const opt = fuseOptimizer(tf.train.adam(1e-2));
      step(opt, vars, 1);
      const w = await opt.getWeights();
      expect(w.map((x) => x.name)).toEqual([
        'iter',
        ...vars.map((v) => `${v.name}/m`),
        ...vars.map((v) => `${v.name}/v`),
      ]);
      expect(w[0]!.tensor.dataSync()[0]).toBe(1);
      const m0 = w[1]!.tensor.dataSync().slice();
      step(opt, vars, 2);
      expectBitsEqual(w[1]!.tensor.dataSync() as Float32Array, m0 as Float32Array);
      const w2 = await opt.getWeights();
      expect(w[1]!.tensor.isDisposed).toBe(true); // the previous snapshot is freed
      expect(w2[0]!.tensor.dataSync()[0]).toBe(2);
      opt.dispose();
      tf.dispose(vars);
    });

    it('restores weights with setWeights: a new optimizer continues exactly as the restored one', async () => {
      // tfjs's Adam recomputes beta^t with pow() in setWeights (its uninterrupted run multiplies),
      // so the reference is the original optimizer restored from its own weights.
      for (const make of [() => tf.train.adam(1e-2), () => tf.train.momentum(0.1, 0.9)]) {
        const straight = makeVariables(SHAPES);
        const resumed = makeVariables(SHAPES);
        const a = fuseOptimizer(make());
        const b = fuseOptimizer(make());
        for (let t = 0; t < 5; t++) step(a, straight, t);
        for (let t = 0; t < 5; t++) step(b, resumed, t);
        b.dispose();
        const saved = (await a.getWeights()).map((x) => ({
          name: x.name,
          tensor: x.tensor.clone(),
        }));
        await a.setWeights(saved);
        const c = fuseOptimizer(make());
        await c.setWeights(saved);
        expect(c.iterations).toBe(5);
        for (let t = 5; t < 10; t++) step(a, straight, t);
        for (let t = 5; t < 10; t++) step(c, resumed, t);
        straight.forEach((v, k) => {
          expectBitsEqual(resumed[k]!.dataSync() as Float32Array, v.dataSync() as Float32Array);
        });
        a.dispose();
        c.dispose();
        tf.dispose([...straight, ...resumed, ...saved.map((x) => x.tensor)]);
      }
    });

    it('throws clear errors for gradients it cannot apply, before touching any variable', () => {
      const vars = makeVariables([[2, 3], [3]]);
      const before = vars.map((v) => v.dataSync().slice());
      const opt = fuseOptimizer(tf.train.adam(1e-2));
      const good = tf.zeros([2, 3]);
      const wrongShape = tf.zeros([2]);
      const wrongType = tf.zeros([3], 'int32');
      expect(() =>
        opt.applyGradients([
          {name: vars[0]!.name, tensor: good},
          {name: vars[1]!.name, tensor: wrongShape},
        ]),
      ).toThrow(/has shape \[2\] but the variable has shape \[3\]/);
      expect(() =>
        opt.applyGradients([
          {name: vars[0]!.name, tensor: good},
          {name: vars[1]!.name, tensor: wrongType},
        ]),
      ).toThrow(/must be a float32 tensor; got a tensor of dtype int32/);
      expect(() => opt.applyGradients({nope: good})).toThrow(/'nope' is not a registered variable/);
      vars.forEach((v, k) => {
        expectBitsEqual(v.dataSync() as Float32Array, before[k] as Float32Array);
      });
      expect(opt.iterations).toBe(0);
      tf.dispose([good, wrongShape, wrongType, ...vars]);
      opt.dispose();
    });

    it('refuses a step after the backend changed away from tensorflow, and says how to move', async () => {
      const vars = makeVariables([[3]]);
      const opt = fuseOptimizer(tf.train.adam(0.1));
      step(opt, vars, 1);
      await tf.setBackend('cpu');
      try {
        const grads = [{name: vars[0]!.name, tensor: tf.ones([3])}];
        expect(() => opt.applyGradients(grads)).toThrow(
          /state lives in tfjs-node's TensorFlow, but the backend is now 'cpu'/,
        );
        tf.dispose(grads[0]!.tensor);
      } finally {
        await tf.setBackend('tensorflow');
      }
      step(opt, vars, 2);
      expect(opt.iterations).toBe(2);
      opt.dispose();
      tf.dispose(vars);
    });

    it('delegates optimizers TensorFlow has no matching op for, and says why', () => {
      for (const make of [
        () => tf.train.adagrad(0.1),
        () => tf.train.adadelta(1, 0.9),
        () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7, true),
      ]) {
        const [v] = makeVariables([[4]]);
        const opt = fuseOptimizer(make());
        expect(opt.unfusedReason).toMatch(/no fused update|centered/);
        step(opt, [v!], 1);
        expect(opt.mode).toBe('delegate');
        opt.dispose();
        tf.dispose(v!);
      }
    });
  });
});
