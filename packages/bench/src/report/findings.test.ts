import {describe, expect, it} from 'vitest';
import {fakeRun} from '../../test/support.js';
import {resolveSuiteOptions} from '../options.js';
import {findings, parityVerdict, percent, powerOfTwo, signedPp} from './findings.js';

const o = resolveSuiteOptions({epochs: 3});

describe('findings', () => {
  it('checks parity of mixed policies with their default loss scaling only', () => {
    const {parity} = findings(
      [
        fakeRun({policy: 'float32'}),
        fakeRun({policy: 'mixed_float16', testAccuracy: 0.946}),
        fakeRun({policy: 'mixed_bfloat16', testAccuracy: 0.955}),
        fakeRun({policy: 'mixed_float16', lossScaling: 'none', testAccuracy: 0.9}),
        fakeRun({policy: 'float16', lossScaling: 'dynamic', testAccuracy: 0.5}),
        fakeRun({scenario: 'small-gradients', policy: 'mixed_float16', testAccuracy: 0.2}),
      ],
      o,
    );
    // 0.946 − 0.95 = −0.4 pp (within), 0.955 − 0.95 = +0.5 pp (within: the bound is inclusive).
    expect(parity.map((p) => [p.variant, p.withinTolerance])).toEqual([
      ['mixed_float16', true],
      ['mixed_bfloat16', true],
    ]);
    expect(parity[0]!.accuracyDeltaPp).toBeCloseTo(-0.4, 9);
  });

  it('says parity failed, naming the configuration, beyond ±0.5 pp', () => {
    const {parity, notes} = findings(
      [fakeRun({policy: 'float32'}), fakeRun({policy: 'mixed_float16', testAccuracy: 0.944})],
      o,
    );
    expect(parity[0]!.withinTolerance).toBe(false);
    expect(notes[0]).toMatch(/^Accuracy parity NOT reached for mlp mixed_float16 .*−0\.60 pp/);
  });

  it('does not judge parity when float32 itself did not train (issue #13 defect 4)', () => {
    const runs = [
      fakeRun({policy: 'float32', testAccuracy: 0.1, flatLoss: true}),
      fakeRun({policy: 'mixed_float16', testAccuracy: 0.1, flatLoss: true}),
    ];
    const {parity, notes} = findings(runs, o);
    expect(parity[0]!.baselineLearned).toBe(false);
    expect(parity[0]!.baselineProblem).toBe(
      'its training loss did not fall (2.300 at the first step, 2.310 over the last epoch) and ' +
        'its held-out accuracy 10.00% is not well above chance (10.00%; needs 40.00%)',
    );
    expect(notes[0]).toMatch(/^Accuracy parity NOT JUDGED: float32 itself did not train on mlp/);
    expect(parityVerdict(parity).status).toBe('not-judged');
    expect(parityVerdict(parity).text).toMatch(
      /^Parity: NOT JUDGED for mlp: float32 itself did not train \(mlp: its training loss/,
    );
  });

  it('does not judge parity when float32 diverged, or sits at chance with a falling loss', () => {
    const diverged = findings(
      [fakeRun({policy: 'float32', diverged: true}), fakeRun({policy: 'mixed_bfloat16'})],
      o,
    );
    expect(diverged.parity[0]!.baselineProblem).toBe('its training loss was NaN or infinite');
    // Chance comes from the workload: 60% on a two-class task where one class is 55% is not enough.
    const binary = findings(
      [
        fakeRun({policy: 'float32', testAccuracy: 0.6}),
        fakeRun({policy: 'mixed_bfloat16', testAccuracy: 0.6}),
      ],
      o,
      [
        {
          name: 'mlp',
          description: '',
          dataDescription: '',
          parameters: 1,
          trainExamples: 1,
          testExamples: 1,
          stepsPerEpoch: 1,
          chanceAccuracy: 0.55,
        },
      ],
    );
    expect(binary.parity[0]!.baselineProblem).toMatch(
      /60\.00% is not well above chance \(55\.00%; needs 70\.00%\)/,
    );
  });

  it('judges the workloads whose float32 trained and names the others', () => {
    const {parity, notes} = findings(
      [
        fakeRun({policy: 'float32'}),
        fakeRun({policy: 'mixed_bfloat16', testAccuracy: 0.949}),
        fakeRun({workload: 'w4', policy: 'float32', testAccuracy: 0.12, flatLoss: true}),
        fakeRun({workload: 'w4', policy: 'mixed_bfloat16', testAccuracy: 0.12}),
      ],
      o,
    );
    expect(parity.map((p) => [p.workload, p.baselineLearned])).toEqual([
      ['mlp', true],
      ['w4', false],
    ]);
    const verdict = parityVerdict(parity);
    expect(verdict.status).toBe('not-judged');
    expect(verdict.text).toMatch(
      /^Parity: NOT JUDGED for w4: .*; the other workloads: PASS \(every mixed policy within ±0\.5 pp of float32\)$/,
    );
    expect(notes[1]).toMatch(
      /^Accuracy parity: every mixed policy judged is within ±0\.5 pp .*\(mlp mixed_bfloat16 −0\.10 pp\)/,
    );
  });

  it('gives PASS only when float32 trained and every policy is within tolerance', () => {
    const {parity} = findings(
      [fakeRun({policy: 'float32'}), fakeRun({policy: 'mixed_bfloat16', testAccuracy: 0.952})],
      o,
    );
    expect(parity[0]!.baselineLearned).toBe(true);
    expect(parityVerdict(parity).status).toBe('pass');
  });

  it('says the small-gradient ablation shows nothing when float32 did not train in it', () => {
    const {notes} = findings(
      [
        fakeRun({policy: 'float32'}),
        fakeRun({
          scenario: 'small-gradients',
          policy: 'float32',
          testAccuracy: 0.1,
          flatLoss: true,
        }),
        fakeRun({scenario: 'small-gradients', policy: 'mixed_float16', testAccuracy: 0.1}),
        fakeRun({
          scenario: 'small-gradients',
          policy: 'mixed_float16',
          lossScaling: 'none',
          testAccuracy: 0.1,
        }),
      ],
      o,
    );
    expect(notes.find((n) => n.startsWith('Ablation, small gradients'))).toMatch(
      /NOT JUDGED: with the loss multiplied by 2\^-20, float32 itself did not train/,
    );
  });

  it('describes both ablations with the measured numbers', () => {
    const {notes} = findings(
      [
        fakeRun({policy: 'float32'}),
        fakeRun({policy: 'mixed_float16', testAccuracy: 0.951}),
        fakeRun({policy: 'mixed_float16', lossScaling: 'none', testAccuracy: 0.949}),
        fakeRun({scenario: 'small-gradients', policy: 'float32', testAccuracy: 0.95}),
        fakeRun({scenario: 'small-gradients', policy: 'mixed_float16', testAccuracy: 0.951}),
        fakeRun({
          scenario: 'small-gradients',
          policy: 'mixed_float16',
          lossScaling: 'none',
          testAccuracy: 0.11,
        }),
      ],
      o,
    );
    expect(notes.find((n) => n.startsWith('Ablation, normal settings'))).toMatch(
      /without loss scaling reaches 94\.90%, with loss scaling 95\.10%: .* a safeguard/,
    );
    expect(notes.find((n) => n.startsWith('Ablation, small gradients'))).toMatch(
      /multiplied by 2\^-20 .* float32 reaches 95\.00%; mixed_float16 with dynamic loss scaling 95\.10% \(scale 32768 → 4096, 3 skipped steps\); without loss scaling 11\.00%/,
    );
  });
});

describe('number formats', () => {
  it('formats percentages, signed points and powers of two', () => {
    expect(percent(0.97125)).toBe('97.13%');
    expect(signedPp(0.3)).toBe('+0.30 pp');
    expect(signedPp(-0.25)).toBe('−0.25 pp');
    expect(signedPp(0)).toBe('±0.00 pp');
    expect(powerOfTwo(2 ** -20)).toBe('2^-20');
    expect(powerOfTwo(1e-6)).toBe('0.000001');
  });
});

describe('findings memory note', () => {
  const machine = (backend: string) =>
    ({
      cpu: 'test CPU',
      cores: 2,
      memoryBytes: 2 ** 34,
      cpuFlags: ['avx2'],
      platform: 'linux x64',
      node: 'v20',
      tfjs: '4.22.0',
      backend,
      backendFlags: {},
      loadAverage: [0, 0, 0],
    }) as unknown as Parameters<typeof findings>[3];
  const runs = () => [fakeRun({policy: 'float32'}), fakeRun({policy: 'mixed_bfloat16'})];

  it('on tfjs-node, points at the 16-bit handles and the per-process memory benchmark', () => {
    const {notes} = findings(runs(), o, [], machine('tensorflow'));
    const memory = notes.find((n) => n.startsWith('Memory:'))!;
    expect(memory).toMatch(/16-bit TensorFlow tensors/);
    expect(memory).toContain('npm run bench:memory -w @tfjs-amp/bench');
    expect(memory).not.toMatch(/no 16-bit dtype/);
  });

  it('elsewhere, says every tensor stays float32', () => {
    const {notes} = findings(runs(), o, [], machine('wasm'));
    expect(notes.find((n) => n.startsWith('Memory:'))).toMatch(/tfjs has no 16-bit dtype/);
  });
});
