import * as tf from '@tensorflow/tfjs';
import type {NamedTensorMap, Scalar, Tensor, Variable} from '@tensorflow/tfjs';
import {FusedOptimizer, fuseOptimizer} from '@tfjs-amp/optimizers';
import {applyWhereFinite} from './apply-where-finite.js';
import {
  type LossScaleEvent,
  type LossScaleListener,
  type LossScaleState,
  ListenerSet,
} from './events.js';
import {DeviceState, type StateNumbers, type StepRecord} from './internal/device-state.js';
import {describeValue, warnOnce, wrongType} from './internal/errors.js';
import type {NamedTensor} from './internal/types.js';
import {
  type LossScaleOptions,
  type ResolvedLossScaleOptions,
  resolveLossScaleOptions,
} from './options.js';
import {initialScaleState, nextScale, type ScaleChange, type ScaleState} from './scale-rule.js';
import {hasHostScaleRule, lossScaleUpdate} from './kernels/loss-scale-update.js';
import {
  nextScaleOnDevice,
  type ScaleRuleConstants,
  scaleRuleConstants,
} from './scale-rule-on-device.js';
import {
  deserializeOptimizer,
  serializeOptimizer,
  splitStateWeights,
  stateToWeights,
} from './serialization.js';
import {checkDeviceFactors, type StepMode, stepModeFor} from './step-mode.js';
import {checkPhase, type StepPhase} from './step-phase.js';
import {
  type DeviceUnscaleResult,
  type UnscaleResult,
  unscaleAndCheck,
  unscaleAndCheckOnDevice,
} from './unscale-and-check.js';

type Gradients = NamedTensorMap | NamedTensor[];

let instances = 0;

/**
 * Wraps a tfjs optimizer with dynamic loss scaling, for `model.fit` or a custom loop.
 *
 * Each step multiplies the loss by {@link lossScale}, computes the gradients with the inner
 * optimizer's `computeGradients`, then unscales, checks and clips every gradient in one pass with
 * one scalar read from the device. Finite gradients go to the inner optimizer's `applyGradients`;
 * otherwise the step is skipped entirely: the inner optimizer is not called, so the variables, its
 * slots and its `iterations` stay bit-identical. The scale is then updated by {@link nextScale}
 * (back off on overflow, grow after `growthInterval` clean steps) and listeners get a
 * {@link LossScaleEvent}.
 *
 * On tfjs-node's `tensorflow` backend the applied steps run fused by default (option `fused`):
 * `fuseOptimizer` of `@tfjs-amp/optimizers` applies Adam, Adamax, Momentum, RMSProp or SGD as one
 * TensorFlow training op per variable, with the slots in TensorFlow (so `innerOptimizer`'s own
 * slots are not used; `getWeights()` here returns them); skipped steps leave them untouched as
 * before. On every other backend nothing changes.
 *
 * With `fit`, `fitDataset` and `trainOnBatch` it only needs to be the compiled optimizer (`fit`
 * calls `minimize`); the loss that `minimize` returns, and so the logged loss, is the unscaled
 * loss. In custom loops use `minimize(f)` or the four calls of the {@link StepPhase} lifecycle:
 * `scaleLoss` (inside `computeGradients`' f) → `computeGradients` → `unscaleGradients` →
 * `applyGradients`.
 *
 * **Sync-free steps** (option `mode`, {@link stepMode}): in `'device'` mode, the default on webgl,
 * webgpu and tfjs-node on a GPU, a step reads nothing back. The check, the skip, the scale update
 * and the clipping stay on the device: the inner optimizer's update is computed every step and
 * each variable and slot it assigned is set to `where(finite, new, old)` (Keras 3's `ops.cond`),
 * and the scale and counters are tensors. The state getters then cost one read each time a step
 * ran since the last read (do not call them per step there); {@link readState} reads without
 * blocking; `onUpdate` events of the steps since the last read are delivered at that read.
 *
 * In `'sync'` mode (default on cpu, wasm, tfjs-node on the CPU), state is kept in plain JS
 * numbers, readable at no cost: {@link lossScale}, {@link goodSteps},
 * {@link overflowCount}, {@link skippedSteps}, {@link lastStepSkipped}, `iterations` (every step,
 * skipped ones included; `innerOptimizer.iterations` counts applied steps only).
 * `getWeights()`/`setWeights()` carry it beside the inner optimizer's weights, so
 * `model.save(handler, {includeOptimizer: true})` and `tf.loadLayersModel` resume exactly.
 *
 * Differs from Keras 3's `LossScaleOptimizer`: `iterations` counts skipped steps (Keras returns the
 * inner optimizer's), scale bounds `minScale`/`maxScale` and `hysteresis` exist, and clipping is
 * configured here (Keras refuses clip options on the wrapper and clips the inner optimizer's
 * gradients). Differs from PyTorch's `GradScaler`: one object instead of a scaler beside the
 * optimizer, default initial scale 2^15 instead of 2^16, and bounds.
 * @throws TypeError when `inner` is not a tf.Optimizer (or is itself a LossScaleOptimizer, or is a
 *   FusedOptimizer that may run fused in `'device'` mode), or an option has the wrong type; RangeError when an option is out of range (the message names it).
 * @example
 * model.compile({optimizer: new LossScaleOptimizer(tf.train.adam(1e-3)), loss: 'meanSquaredError'});
 */
export class LossScaleOptimizer extends tf.Optimizer {
  /** Name under which the class is registered for tfjs serialization. */
  static get className(): string {
    return 'LossScaleOptimizer';
  }

  /** The wrapped optimizer; it sees only unscaled, clipped, finite gradients. */
  readonly innerOptimizer: tf.Optimizer;
  /**
   * What applies the steps and holds the state: `fuseOptimizer(innerOptimizer)` with the `fused`
   * option (default), else the inner optimizer itself.
   */
  private readonly stepper: tf.Optimizer;
  /** The options in force, defaults filled in (frozen). */
  readonly options: ResolvedLossScaleOptions;

  private scale: ScaleState;
  private overflowCount_ = 0;
  private skippedSteps_ = 0;
  private lastStepSkipped_ = false;
  private phase: StepPhase = 'ready';
  private stepScale = 0;
  private stepFinite = false;
  private stepGradNorm: number | undefined;
  private inMinimize = false;
  private scaledInMinimize = false;
  private readonly listeners = new ListenerSet<LossScaleEvent>();
  private stateTensors: Tensor[] = [];
  private readonly instanceId = ++instances;
  /** `'device'` mode's state tensors; null in `'sync'` mode. */
  private readonly device: DeviceState | null;
  /** The device state's version the JS numbers were last read at. */
  private syncedVersion = 0;
  /** `'device'` custom loop: the decision and norm of the unscaled step (kept tensors). */
  private stepFiniteT: Scalar | null = null;
  private stepNormT: Scalar | undefined;
  /** The scale rule's options as kept tensors, made at the first step without the host kernel. */
  private ruleConstants_: ScaleRuleConstants | null = null;

  constructor(inner: tf.Optimizer, options: LossScaleOptions = {}) {
    super();
    if (inner == null || !(inner instanceof tf.Optimizer)) {
      throw wrongType(
        'LossScaleOptimizer',
        'inner',
        'a tf.Optimizer (e.g. tf.train.adam())',
        describeValue(inner),
      );
    }
    if (inner instanceof LossScaleOptimizer) {
      throw wrongType(
        'LossScaleOptimizer',
        'inner',
        'an optimizer without loss scaling',
        'a LossScaleOptimizer',
        'Wrap the inner optimizer once.',
      );
    }
    this.options = resolveLossScaleOptions(options);
    this.innerOptimizer = inner;
    this.stepMode = stepModeFor(this.options);
    if (this.stepMode === 'device') checkDeviceFactors(this.options, hasHostScaleRule());
    const mayFuse =
      inner instanceof FusedOptimizer &&
      (inner.mode === 'fused' || (inner.mode === 'undecided' && tf.getBackend() === 'tensorflow'));
    if (this.stepMode === 'device' && mayFuse) {
      throw wrongType(
        'LossScaleOptimizer',
        'inner',
        "an optimizer that updates through tf.Variable.assign in mode 'device'",
        'a FusedOptimizer (its TensorFlow training ops update variables in place, which a skipped step cannot undo)',
        "Pass the plain optimizer (mode 'device' applies tfjs's own update), or use mode 'sync'.",
      );
    }
    // The fused ops update TensorFlow variables in place, which a select cannot undo: 'device'
    // mode applies through the inner optimizer (tfjs's own update).
    this.stepper =
      this.stepMode === 'sync' && this.options.fused && !(inner instanceof FusedOptimizer)
        ? fuseOptimizer(inner)
        : inner;
    this.scale = initialScaleState(this.options);
    this.iterations_ = 0;
    this.device =
      this.stepMode === 'device' ? new DeviceState(this.stateNumbers(inner.iterations)) : null;
  }

  /**
   * The mode steps run in: `'sync'` (one read back per step) or `'device'` (none), decided at
   * construction from the `mode` option and, for `'auto'`, the backend active then (see
   * {@link LossScaleOptions.mode}).
   */
  readonly stepMode: StepMode;

  private stateNumbers(appliedSteps: number): StateNumbers {
    return {
      lossScale: this.scale.lossScale,
      goodSteps: this.scale.goodSteps,
      hysteresisLeft: this.scale.hysteresisLeft,
      overflowCount: this.overflowCount_,
      skippedSteps: this.skippedSteps_,
      lastStepSkipped: this.lastStepSkipped_,
      appliedSteps,
    };
  }

  /** Takes numbers read from the device as the state; the inner optimizer's count is fixed up. */
  private takeNumbers(n: StateNumbers): void {
    this.scale = {lossScale: n.lossScale, goodSteps: n.goodSteps, hysteresisLeft: n.hysteresisLeft};
    this.overflowCount_ = n.overflowCount;
    this.skippedSteps_ = n.skippedSteps;
    this.lastStepSkipped_ = n.lastStepSkipped;
    // The inner optimizer counted every step it computed, skipped ones too; the device knows.
    (this.innerOptimizer as unknown as {iterations_: number}).iterations_ = n.appliedSteps;
    if (n.lastStepSkipped && (!this.options.dynamic || n.lossScale <= this.options.minScale)) {
      warnOnce(
        `loss-scale-stuck-${this.instanceId}`,
        `LossScaleOptimizer: the last step (of ${this.iterations}) overflowed with the loss scale at ` +
          `its floor (${n.lossScale}${this.options.dynamic ? ', minScale' : ', fixed'}); it was skipped ` +
          `(${n.skippedSteps} skipped in all). Gradients that are not finite at this scale point at ` +
          'NaN/Inf in the inputs, labels or loss, or a learning rate that diverged.',
      );
    }
  }

  /** In 'device' mode, reads the state (and delivers pending events) when a step ran since. */
  private syncState(): void {
    const device = this.device;
    if (device == null) return;
    if (device.version === this.syncedVersion && device.pendingSteps === 0) return;
    const version = device.version;
    const {numbers, records} = device.readSync();
    this.takeNumbers(numbers);
    this.syncedVersion = version;
    this.emitRecords(records);
  }

  private async syncStateAsync(): Promise<void> {
    const device = this.device;
    if (device == null) return;
    if (device.version === this.syncedVersion && device.pendingSteps === 0) return;
    const version = device.version;
    const {numbers, records, current} = await device.read();
    if (current) {
      this.takeNumbers(numbers);
      this.syncedVersion = version;
    }
    this.emitRecords(records);
  }

  /**
   * The whole state as plain numbers, without blocking: in `'device'` mode one asynchronous read
   * (which also delivers the `onUpdate` events of the steps since the last read); in `'sync'`
   * mode it is already known. Use it at epoch end or wherever a number is needed, instead of the
   * getters, which block on a read in `'device'` mode.
   * @example
   * const {lossScale, skippedSteps} = await optimizer.readState();
   */
  async readState(): Promise<LossScaleState> {
    await this.syncStateAsync();
    return {
      lossScale: this.scale.lossScale,
      goodSteps: this.scale.goodSteps,
      hysteresisLeft: this.scale.hysteresisLeft,
      overflowCount: this.overflowCount_,
      skippedSteps: this.skippedSteps_,
      lastStepSkipped: this.lastStepSkipped_,
      iterations: this.iterations,
      appliedSteps: this.innerOptimizer.iterations,
    };
  }

  /**
   * Scale the next step multiplies the loss by (a float32 value). Like every state getter, free in
   * `'sync'` mode and one blocking read in `'device'` mode when a step ran since the last read.
   */
  get lossScale(): number {
    this.syncState();
    return this.scale.lossScale;
  }

  /** Consecutive clean steps since the last overflow or growth. */
  get goodSteps(): number {
    this.syncState();
    return this.scale.goodSteps;
  }

  /** Consecutive skipped (overflowing) steps; 0 after an applied step. */
  get overflowCount(): number {
    this.syncState();
    return this.overflowCount_;
  }

  /** Skipped steps in total. */
  get skippedSteps(): number {
    this.syncState();
    return this.skippedSteps_;
  }

  /** Whether the last step was skipped. */
  get lastStepSkipped(): boolean {
    this.syncState();
    return this.lastStepSkipped_;
  }

  /** Overflows still tolerated before the next back-off (see `hysteresis`). */
  get hysteresisLeft(): number {
    this.syncState();
    return this.scale.hysteresisLeft;
  }

  /**
   * Whether steps run fused (one TensorFlow training op per variable on tfjs-node; see the
   * `fused` option). False until the first applied step decides it, and on other backends.
   */
  get isFused(): boolean {
    return this.stepper instanceof FusedOptimizer && this.stepper.mode === 'fused';
  }

  /** Where the current custom-loop step stands (see {@link StepPhase}). */
  get stepPhase(): StepPhase {
    return this.phase;
  }

  /** The inner optimizer's learning rate, when it has one. */
  get learningRate(): number | undefined {
    return (this.innerOptimizer as unknown as {learningRate?: number}).learningRate;
  }

  /** Sets the inner optimizer's learning rate (through its `setLearningRate` where it has one). */
  set learningRate(value: number) {
    this.setLearningRate(value);
  }

  /**
   * Sets the inner optimizer's learning rate: `setLearningRate` where the inner optimizer has one
   * (SGD, Momentum), else its `learningRate` field (Adam, RMSprop, Adagrad, ...).
   * @throws TypeError when `learningRate` is not a finite number or the inner optimizer has none.
   */
  setLearningRate(learningRate: number): void {
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate)) {
      throw wrongType(
        'LossScaleOptimizer.setLearningRate',
        'learningRate',
        'a finite number',
        describeValue(learningRate),
      );
    }
    const inner = this.innerOptimizer as unknown as {
      learningRate?: number;
      setLearningRate?: (lr: number) => void;
    };
    if (typeof inner.setLearningRate === 'function') {
      inner.setLearningRate(learningRate);
    } else if (typeof inner.learningRate === 'number') {
      inner.learningRate = learningRate;
    } else {
      throw new TypeError(
        `LossScaleOptimizer.setLearningRate: the inner optimizer (${describeValue(this.innerOptimizer)}) ` +
          'has no learningRate.',
      );
    }
  }

  /**
   * Registers a listener called after every step (applied or skipped) with a
   * {@link LossScaleEvent}; returns a function that removes it. Listeners run synchronously in
   * the step, after the state is updated; an exception from one propagates to the caller.
   */
  onUpdate(listener: LossScaleListener): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Multiplies `loss` by the current scale, for custom loops: call it on the loss inside the
   * function you pass to {@link computeGradients}, then call {@link unscaleGradients}.
   * Phase `'ready'`/`'scaled'` → `'scaled'`.
   * @throws Error inside `minimize` (which scales on its own) or after `unscaleGradients`.
   * @example
   * const {value, grads} = opt.computeGradients(() => opt.scaleLoss(lossFn()));
   */
  scaleLoss<T extends Tensor>(loss: T): T {
    if (this.inMinimize) {
      // Throwing here, inside the gradient tape, would leak the tape's saved tensors (tfjs frees
      // them only when f returns); minimize() throws once the gradients are disposed.
      this.scaledInMinimize = true;
      return loss;
    }
    checkPhase('scaleLoss', this.phase);
    if (!(loss instanceof tf.Tensor)) {
      throw wrongType('LossScaleOptimizer.scaleLoss', 'loss', 'a tf.Tensor', describeValue(loss));
    }
    const scaled = tf.mul(loss, this.device?.current.lossScale ?? this.scale.lossScale) as T;
    if (this.phase === 'ready') {
      this.phase = 'scaled';
      this.stepScale = this.scale.lossScale;
    }
    return scaled;
  }

  /**
   * Computes gradients with the inner optimizer's `computeGradients` (so subclasses that override
   * it keep working). Scales nothing by itself: call {@link scaleLoss} on the loss inside `f`.
   */
  override computeGradients(
    f: () => Scalar,
    varList?: Variable[],
  ): {value: Scalar; grads: NamedTensorMap} {
    checkPhase('computeGradients', this.phase);
    return this.innerOptimizer.computeGradients(f, varList);
  }

  /**
   * Divides every gradient by the step's scale, checks them all for Inf/NaN and applies the
   * clipping options, in one pass with one device read. Returns new tensors in the same shape as
   * `grads` (map or array, nulls kept); the caller disposes both. Phase `'scaled'` → `'unscaled'`.
   * @throws Error unless {@link scaleLoss} ran this step and unscaleGradients did not.
   */
  unscaleGradients(grads: NamedTensorMap): NamedTensorMap;
  unscaleGradients(grads: NamedTensor[]): NamedTensor[];
  unscaleGradients(grads: Gradients): Gradients {
    checkPhase('unscaleGradients', this.phase);
    const {names, tensors} = listGradients(grads, 'unscaleGradients');
    if (this.device != null) {
      const onDevice = unscaleAndCheckOnDevice(
        tensors,
        this.device.current.lossScale,
        this.options,
      );
      this.stepFiniteT = tf.keep(onDevice.isFinite);
      this.stepNormT = onDevice.gradNormSquared && tf.keep(onDevice.gradNormSquared);
      this.phase = 'unscaled';
      return packGradients(Array.isArray(grads), names, onDevice.grads);
    }
    const result = unscaleAndCheck(tensors, this.stepScale, this.options);
    this.stepFinite = result.isFinite;
    this.stepGradNorm = result.gradNorm;
    this.phase = 'unscaled';
    return packGradients(Array.isArray(grads), names, result.grads);
  }

  /**
   * Ends a custom-loop step: hands `variableGradients` (from {@link unscaleGradients}) to the
   * inner optimizer when the check found them finite, or skips the step; then updates the scale
   * and notifies listeners. Phase `'unscaled'` → `'ready'`.
   * @throws Error when {@link unscaleGradients} has not run this step.
   */
  override applyGradients(variableGradients: Gradients): void {
    checkPhase('applyGradients', this.phase);
    if (this.device != null) {
      const finite = this.stepFiniteT!;
      try {
        applyWhereFinite(() => this.stepper.applyGradients(variableGradients), finite);
        this.phase = 'ready';
        this.finishDeviceStep(finite, this.stepNormT);
      } finally {
        this.dropDeviceStep();
      }
      return;
    }
    const overflowed = !this.stepFinite;
    if (!overflowed) this.stepper.applyGradients(variableGradients);
    this.phase = 'ready';
    this.finishStep(this.stepScale, overflowed, this.stepGradNorm);
  }

  /** Drops a custom-loop step in progress (e.g. after an exception); the scale state is kept. */
  cancelStep(): void {
    this.phase = 'ready';
    this.stepGradNorm = undefined;
    this.dropDeviceStep();
  }

  private dropDeviceStep(): void {
    tf.dispose([this.stepFiniteT, this.stepNormT].filter((t): t is Scalar => t != null));
    this.stepFiniteT = null;
    this.stepNormT = undefined;
  }

  /**
   * One whole step: scales the loss returned by `f`, computes, unscales, checks and clips the
   * gradients, applies them or skips the step, updates the scale. Returns the unscaled loss when
   * `returnCost` (what `model.fit` logs). One device read per step in `'sync'` mode, none in
   * `'device'` mode.
   * @throws Error when a custom-loop step is in progress.
   */
  override minimize(f: () => Scalar, returnCost = false, varList?: Variable[]): Scalar | null {
    checkPhase('minimize', this.phase);
    if (this.device != null) return this.minimizeOnDevice(this.device, f, returnCost, varList);
    const stepScale = this.scale.lossScale;
    const {loss, grads} = this.scaledGradients(f, stepScale, varList);
    let result: UnscaleResult;
    try {
      const names = varList != null ? varList.map((v) => v.name) : Object.keys(grads);
      try {
        result = unscaleAndCheck(
          names.map((name) => grads[name] ?? null),
          stepScale,
          this.options,
        );
      } finally {
        tf.dispose(grads);
      }
      try {
        // Same form as tfjs's own minimize: an array with a varList, else a map (slots follow
        // the position of each gradient, so nothing is filtered out).
        if (result.isFinite) {
          this.stepper.applyGradients(packGradients(varList != null, names, result.grads));
        }
      } finally {
        tf.dispose(result.grads.filter((g): g is Tensor => g != null));
      }
    } catch (err) {
      loss.dispose();
      throw err;
    }
    this.finishStep(stepScale, !result.isFinite, result.gradNorm);
    if (returnCost) return loss;
    loss.dispose();
    return null;
  }

  /** {@link minimize} in 'device' mode: nothing is read back. */
  private minimizeOnDevice(
    device: DeviceState,
    f: () => Scalar,
    returnCost: boolean,
    varList: Variable[] | undefined,
  ): Scalar | null {
    const stepScale = device.current.lossScale;
    const {loss, grads} = this.scaledGradients(f, stepScale, varList);
    try {
      const names = varList != null ? varList.map((v) => v.name) : Object.keys(grads);
      let result: DeviceUnscaleResult;
      try {
        result = unscaleAndCheckOnDevice(
          names.map((name) => grads[name] ?? null),
          stepScale,
          this.options,
        );
      } finally {
        tf.dispose(grads);
      }
      try {
        const unscaled = packGradients(varList != null, names, result.grads);
        applyWhereFinite(() => this.stepper.applyGradients(unscaled), result.isFinite);
        this.finishDeviceStep(result.isFinite, result.gradNormSquared);
      } finally {
        tf.dispose([
          ...result.grads.filter((g): g is Tensor => g != null),
          result.isFinite,
          ...(result.gradNormSquared ? [result.gradNormSquared] : []),
        ]);
      }
    } catch (err) {
      loss.dispose();
      throw err;
    }
    if (returnCost) return loss;
    loss.dispose();
    return null;
  }

  private ruleConstants(): ScaleRuleConstants {
    if (this.ruleConstants_ == null) {
      const made = scaleRuleConstants(this.options);
      for (const t of Object.values(made)) tf.keep(t);
      this.ruleConstants_ = made;
    }
    return this.ruleConstants_;
  }

  /** Moves the device state past one step (scale rule, counters, event record); reads nothing. */
  private finishDeviceStep(finite: Scalar, gradNormSquared: Scalar | undefined): void {
    const device = this.device!;
    const before = device.current;
    const next = tf.tidy(() => ({
      ...(lossScaleUpdate(before, finite, this.options) ??
        nextScaleOnDevice(before, finite, this.options, this.ruleConstants())),
    }));
    const step = this.iterations;
    device.advance(next, step, before.lossScale, gradNormSquared, this.listeners.size > 0);
    this.incrementIterations();
  }

  /** Delivers the events of steps read back from the device, in order. */
  private emitRecords(records: StepRecord[]): void {
    for (const r of records) {
      this.emitStep(
        r.step,
        r.stepScale,
        r.after,
        r.after.lastStepSkipped,
        r.after.overflowCount,
        r.after.skippedSteps,
        r.gradNorm,
      );
    }
  }

  /** Runs `f` under the inner optimizer's computeGradients with the loss scaled; keeps the plain loss. */
  private scaledGradients(
    f: () => Scalar,
    stepScale: number | Scalar,
    varList: Variable[] | undefined,
  ): {loss: Scalar; grads: NamedTensorMap} {
    let loss: Scalar | null = null;
    const dropLoss = () => {
      (loss as Scalar | null)?.dispose();
      loss = null;
    };
    let computed: {value: Scalar; grads: NamedTensorMap};
    this.inMinimize = true;
    this.scaledInMinimize = false;
    try {
      computed = this.innerOptimizer.computeGradients(() => {
        const raw = f();
        if (loss !== raw) dropLoss();
        loss = tf.keep(raw);
        return tf.mul(raw, stepScale);
      }, varList);
    } catch (err) {
      dropLoss();
      throw err;
    } finally {
      this.inMinimize = false;
    }
    computed.value.dispose();
    const kept = loss as Scalar | null;
    if (this.scaledInMinimize || kept == null) {
      tf.dispose(computed.grads);
      dropLoss();
      throw new Error(
        this.scaledInMinimize
          ? 'LossScaleOptimizer: scaleLoss() called inside minimize(), which scales the loss ' +
              'itself; return the plain loss from f. No step was taken.'
          : `LossScaleOptimizer: the inner optimizer's computeGradients() never called f; ` +
              'no step was taken.',
      );
    }
    return {loss: kept, grads: computed.grads};
  }

  private finishStep(stepScale: number, overflowed: boolean, gradNorm: number | undefined): void {
    const before = this.scale;
    const update = nextScale(before, overflowed, this.options);
    this.scale = {
      lossScale: update.lossScale,
      goodSteps: update.goodSteps,
      hysteresisLeft: update.hysteresisLeft,
    };
    this.overflowCount_ = overflowed ? this.overflowCount_ + 1 : 0;
    if (overflowed) this.skippedSteps_ += 1;
    this.lastStepSkipped_ = overflowed;
    const step = this.iterations;
    this.incrementIterations();
    this.stepGradNorm = undefined;
    this.emitStep(
      step,
      stepScale,
      update,
      overflowed,
      this.overflowCount_,
      this.skippedSteps_,
      gradNorm,
    );
  }

  /** Warns when stuck at the floor and notifies listeners of one step. */
  private emitStep(
    step: number,
    stepScale: number,
    after: ScaleState,
    overflowed: boolean,
    overflowCount: number,
    skippedSteps: number,
    gradNorm: number | undefined,
  ): void {
    const stuck = overflowed && (!this.options.dynamic || stepScale <= this.options.minScale);
    if (stuck) {
      warnOnce(
        `loss-scale-stuck-${this.instanceId}`,
        `LossScaleOptimizer: step ${step} overflowed with the loss scale at its floor ` +
          `(${stepScale}${this.options.dynamic ? ', minScale' : ', fixed'}); the step was skipped. ` +
          'Gradients that are not finite at this scale point at NaN/Inf in the inputs, labels or ' +
          'loss, or a learning rate that diverged; onUpdate() events report each such step ' +
          '(stuckAtMinScale).',
      );
    }
    const event: LossScaleEvent = {
      step,
      stepScale,
      lossScale: after.lossScale,
      scaleChange: changeOf(stepScale, after.lossScale),
      skipped: overflowed,
      goodSteps: after.goodSteps,
      overflowCount,
      skippedSteps,
      stuckAtMinScale: stuck,
      ...(gradNorm === undefined ? {} : {gradNorm}),
    };
    this.listeners.emit(event);
  }

  /**
   * The scale state (as `LossScaleOptimizer/...` scalars: the scale float32, counters int32)
   * followed by the inner optimizer's weights. The state tensors stay owned by this optimizer:
   * they are freed by the next getWeights() or dispose().
   */
  override async getWeights(): Promise<NamedTensor[]> {
    await this.syncStateAsync();
    const inner = await this.stepper.getWeights();
    tf.dispose(this.stateTensors);
    const own = stateToWeights({
      lossScale: this.scale.lossScale,
      goodSteps: this.scale.goodSteps,
      hysteresisLeft: this.scale.hysteresisLeft,
      overflowCount: this.overflowCount_,
      skippedSteps: this.skippedSteps_,
      iterations: this.iterations,
      lastStepSkipped: this.lastStepSkipped_,
    });
    this.stateTensors = own.map((w) => w.tensor);
    return [...own, ...inner];
  }

  /**
   * Restores what {@link getWeights} returned: the scale state and, in order, the inner
   * optimizer's weights. Weights without any `LossScaleOptimizer/` entry (saved from the bare
   * inner optimizer) go to the inner optimizer and leave the scale state as it is. The state is
   * applied only after the inner optimizer accepted its weights.
   * @throws Error for an incomplete state or mid-step; RangeError for an impossible value.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    checkPhase('setWeights', this.phase);
    const {state, inner} = await splitStateWeights(weightValues);
    await this.syncStateAsync();
    await this.stepper.setWeights(inner);
    if (state == null) {
      this.device?.reset(this.stateNumbers(this.innerOptimizer.iterations));
      if (this.device) this.syncedVersion = this.device.version;
      return;
    }
    this.scale = {
      lossScale: state.lossScale,
      goodSteps: state.goodSteps,
      hysteresisLeft: state.hysteresisLeft,
    };
    this.overflowCount_ = state.overflowCount;
    this.skippedSteps_ = state.skippedSteps;
    this.lastStepSkipped_ = state.lastStepSkipped;
    this.iterations_ = state.iterations;
    if (this.device != null) {
      this.device.reset(this.stateNumbers(this.innerOptimizer.iterations));
      this.syncedVersion = this.device.version;
    }
  }

  /** The inner optimizer's `{className, config}` and every option, for `fromConfig`. */
  override getConfig(): tf.serialization.ConfigDict {
    const o = this.options;
    return {
      innerOptimizer: serializeOptimizer(this.innerOptimizer),
      dynamic: o.dynamic,
      initialScale: o.initialScale,
      growthInterval: o.growthInterval,
      growthFactor: o.growthFactor,
      backoffFactor: o.backoffFactor,
      minScale: o.minScale,
      maxScale: o.maxScale,
      hysteresis: o.hysteresis,
      clipNorm: o.clipNorm,
      globalClipNorm: o.globalClipNorm,
      clipValue: o.clipValue,
      reportGradNorm: o.reportGradNorm,
      fused: o.fused,
      mode: o.mode,
    };
  }

  /**
   * Rebuilds a LossScaleOptimizer from {@link getConfig}'s output (the inner optimizer through the
   * tfjs serialization registry). Used by `tf.loadLayersModel` for a model saved with
   * `includeOptimizer: true`.
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    // tfjs-layers adds `customObjects` to every config it deserializes.
    const {innerOptimizer, customObjects: _customObjects, ...options} = config;
    const inner = deserializeOptimizer(innerOptimizer);
    return new cls(inner, options);
  }

  /**
   * Disposes the inner optimizer (and, when fused, the TensorFlow variables holding its state) and
   * the state tensors of the last getWeights().
   */
  override dispose(): void {
    this.dropDeviceStep();
    this.device?.dispose();
    if (this.ruleConstants_ != null) tf.dispose(Object.values(this.ruleConstants_));
    this.ruleConstants_ = null;
    this.stepper.dispose();
    tf.dispose(this.stateTensors);
    this.stateTensors = [];
    super.dispose();
  }
}

// tf.Optimizer answers `instanceof` by duck typing (any object with minimize, computeGradients and
// applyGradients), and subclasses inherit that; a LossScaleOptimizer is recognized by its prototype.
Object.defineProperty(LossScaleOptimizer, Symbol.hasInstance, {
  value: (instance: unknown) =>
    instance != null && Object.prototype.isPrototypeOf.call(LossScaleOptimizer.prototype, instance),
});

tf.serialization.registerClass(LossScaleOptimizer);

function listGradients(
  grads: Gradients,
  where: string,
): {names: string[]; tensors: (Tensor | null)[]} {
  if (Array.isArray(grads)) {
    return {names: grads.map((g) => g.name), tensors: grads.map((g) => g.tensor ?? null)};
  }
  if (grads == null || typeof grads !== 'object') {
    throw wrongType(
      `LossScaleOptimizer.${where}`,
      'grads',
      'a NamedTensorMap or NamedTensor[] (from computeGradients)',
      describeValue(grads),
    );
  }
  const names = Object.keys(grads);
  return {names, tensors: names.map((n) => grads[n] ?? null)};
}

function packGradients(asArray: boolean, names: string[], tensors: (Tensor | null)[]): Gradients {
  if (asArray) {
    return names.map((name, i) => ({name, tensor: tensors[i] as Tensor}));
  }
  const map: NamedTensorMap = {};
  names.forEach((name, i) => {
    map[name] = tensors[i] as Tensor;
  });
  return map;
}

function changeOf(before: number, after: number): ScaleChange {
  if (after > before) return 'grew';
  return after < before ? 'backed-off' : 'unchanged';
}
