import * as tf from '@tensorflow/tfjs';
import {dropHalfCopies} from '@tfjs-amp/kernels';
import type {NamedTensorMap, Scalar, Tensor, Variable} from '@tensorflow/tfjs';
import {
  FUSED_OPTIMIZER_NAMES,
  type FusedRule,
  fusedRuleFor,
  type StepScalars,
} from './fused-rules.js';
import {activeFusedNode, type FusedNode, float32Attr, float32Scalar} from './internal/native.js';
import {ResourceVariable} from './internal/resource-variable.js';
import {OPTIMIZER_STATE, type OptimizerStateProtocol} from './optimizer-state.js';

/** A named tensor as tfjs's optimizers take and return them (tfjs does not export the type). */
type NamedTensor = {name: string; tensor: Tensor};

type Gradients = NamedTensorMap | NamedTensor[];

/**
 * A {@link FusedOptimizer}'s captured state ({@link FusedOptimizer.captureState}): opaque; pass
 * it to the same optimizer's `restoreState` and `disposeState`.
 */
export type FusedOptimizerState = {
  readonly [stateBrand]: 'FusedOptimizerState';
};

declare const stateBrand: unique symbol;

/** Where a {@link FusedOptimizer} runs its steps; decided by its first step or `setWeights`. */
export type FusedMode = 'undecided' | 'fused' | 'delegate';

/** One position of the gradient list (tfjs keys slots by position): master copy and slots. */
interface Entry {
  name: string;
  master: ResourceVariable | null;
  /** The tfjs variable's `dataId` right after the last fused write; another one means "re-sync". */
  masterDataId: object | null;
  /** The native handle of that value (a `ReadVariableOp` of `master`); null: unknown. */
  readId?: number | null;
  slots: (ResourceVariable | undefined)[];
  slotNames: string[];
}

/** tfjs-node's record of a tensor's data (`tensorMap` entry). */
interface NodeTensorData {
  id: number;
  refCount: number;
  values: unknown;
}

/**
 * Deletes the native handle of `variable`'s value when that value is the read of `entry`'s master
 * that the last fused step gave it (so it shares the master's buffer) and only the variable holds
 * it (tfjs refCount 1: no clone, no other tensor on the same data); returns its tfjs-node record,
 * whose `id` is then -1 until `variable.assign` frees it (tfjs-node deletes no negative id). Else
 * null, and nothing changes: TensorFlow then copies the master before updating it, as it must
 * while another handle shares its buffer. Runs synchronously right before the update: no tfjs code
 * can read the variable in between.
 */
function releaseStaleRead(
  node: FusedNode,
  entry: Entry,
  variable: Variable,
): NodeTensorData | null {
  if (entry.masterDataId !== variable.dataId || entry.readId == null) return null;
  const map = (
    node as unknown as {
      tensorMap: {get(dataId: object): NodeTensorData | undefined};
    }
  ).tensorMap;
  const data = map.get(variable.dataId as object);
  if (data == null || data.refCount !== 1 || data.values != null || data.id !== entry.readId) {
    return null;
  }
  node.binding.deleteTensor(data.id);
  data.id = -1;
  entry.readId = null;
  return data;
}

/** The tfjs fields of the wrapped optimizer the fused path reads and writes (tfjs 4.x layout). */
type InnerFields = Record<string, unknown> & {
  iterations: number;
  iterations_?: number;
  incrementIterations(): void;
};

/** A slot entry of a tfjs optimizer (`accumulatedFirstMoment[i]`, ...). */
type SlotItem = {originalName: string; variable: Variable};

/** One position of a fused capture: its name, slot names and slot values (null: no slot). */
interface CapturedEntry {
  name: string;
  slotNames: string[];
  slots: (Tensor | null)[];
}

/**
 * What {@link FusedOptimizer.captureState} returns (opaque to callers). `'fused'`: the TensorFlow
 * slots as tensors made from `ReadVariableOp` handles (no copy; the next update copies before
 * writing), the step scalars and `iterations`. `'inner'`: the wrapped optimizer's state (before
 * the fused path took it over), as tensors sharing its variables' data.
 */
class FusedStateCapture {
  disposed = false;
  constructor(
    readonly owner: FusedOptimizer,
    readonly kind: 'fused' | 'inner',
    readonly iterations: number,
    readonly node: FusedNode | null,
    readonly stepScalars: StepScalars,
    readonly entries: (CapturedEntry | null)[],
    /** `'inner'`: values of the rule's `stepFields`, in order. */
    readonly stepValues: Tensor[],
    /** `'inner'`: per slot field, the entries as `{originalName, tensor}` (null where none). */
    readonly slotLists: ({originalName: string; tensor: Tensor} | null)[][],
  ) {}

  values(): Tensor[] {
    return this.disposed ? [] : this.held();
  }

  dispose(): void {
    if (this.disposed) return;
    tf.dispose(this.held());
    this.disposed = true;
  }

  private held(): Tensor[] {
    return [
      ...this.entries.flatMap((e) => (e == null ? [] : e.slots.filter((t) => t != null))),
      ...this.stepValues,
      ...this.slotLists.flatMap((list) =>
        list.flatMap((item) => (item == null ? [] : [item.tensor])),
      ),
    ] as Tensor[];
  }
}

/**
 * A tfjs optimizer whose update runs as one TensorFlow training op per variable on tfjs-node
 * (`ResourceApplyAdam`, `ResourceApplyMomentum`, ...), instead of the 10-20 separate ops of
 * tfjs's own optimizers; on every other backend it calls the wrapped optimizer, bit for bit.
 * Create it with {@link fuseOptimizer}.
 *
 * On the `tensorflow` backend each variable's value and slots (Adam's `m` and `v`, ...) live in
 * TensorFlow resource variables owned by this object. A step runs, per variable, the
 * `ResourceApply*` op (in place) and a `ReadVariableOp` whose result becomes the tfjs variable's
 * new value: 2 ops per variable, no per-step allocation of intermediates. A variable that someone
 * else changed since (`setWeights`, `loadWeights`, `assign`) is noticed by its `dataId` and copied
 * in first (one `AssignVariableOp`).
 *
 * It is the wrapped optimizer for tfjs: `getClassName()`, `getConfig()`, `iterations`,
 * `getWeights()` and `setWeights()` answer as the wrapped one does (same names, order, values),
 * so `model.save(..., {includeOptimizer: true})` writes the wrapped class, and a model loaded
 * back (with a plain tfjs optimizer) continues where this one stopped; fuse it again to keep the
 * speed. The weights `getWeights()` returns are snapshots owned by this object, freed by the next
 * `getWeights()` or `dispose()`.
 *
 * Numerics: the same formulas as tfjs's classes, evaluated in TensorFlow's order, so results agree
 * to float32 rounding, not bit for bit (SGD and non-Nesterov Momentum: the same operations). Adam
 * uses TensorFlow's `epsilon-hat` form with `eps * sqrt(1 - beta2^t)`, which equals tfjs's
 * `m̂ / (sqrt(v̂) + eps)` exactly in real arithmetic.
 *
 * Once the state has moved to TensorFlow the wrapped optimizer's own slots are freed: use this
 * object, not the wrapped one, from then on. The backend must not change while fused.
 * @example
 * model.compile({optimizer: fuseOptimizer(tf.train.adam(1e-3)), loss: 'meanSquaredError'});
 */
export class FusedOptimizer extends tf.Optimizer {
  /** Name under which the class would register; saved models carry the wrapped class instead. */
  static get className(): string {
    return 'FusedOptimizer';
  }

  /** The wrapped tfjs optimizer (its hyperparameters are read at every step). */
  readonly innerOptimizer: tf.Optimizer;
  /** The fused update of the wrapped class, or null when it has none. */
  readonly rule: FusedRule | null;

  private mode_: FusedMode = 'undecided';
  private node: FusedNode | null = null;
  private entries: Entry[] = [];
  private stepScalars: StepScalars = [];
  /** The wrapped optimizer holds state the fused path has not taken over yet. */
  private importPending = true;
  private snapshot: Tensor[] = [];
  private disposed = false;

  /**
   * The {@link OptimizerStateProtocol} under the well-known {@link OPTIMIZER_STATE} key: the
   * methods {@link captureState}, {@link restoreState}, {@link disposeState} and
   * {@link stateValues}, for tools that snapshot training state without knowing this class.
   */
  readonly [OPTIMIZER_STATE]: OptimizerStateProtocol<FusedOptimizerState>;

  /** Use {@link fuseOptimizer}. */
  constructor(inner: tf.Optimizer) {
    super();
    this.innerOptimizer = inner;
    this.rule = fusedRuleFor(inner);
    this[OPTIMIZER_STATE] = Object.freeze({
      capture: () => this.captureState(),
      restore: (state: FusedOptimizerState) => this.restoreState(state),
      dispose: (state: FusedOptimizerState) => this.disposeState(state),
      values: (state: FusedOptimizerState) => this.stateValues(state),
    });
  }

  /** `'fused'` once steps run as TF training ops, `'delegate'` when they go to the wrapped one. */
  get mode(): FusedMode {
    return this.mode_;
  }

  /**
   * Why steps are not (or would not be) fused on the current backend, or null when they are or
   * would be.
   */
  get unfusedReason(): string | null {
    if (this.mode_ === 'fused') return null;
    if (this.rule == null) {
      return `no fused update for ${this.innerOptimizer.getClassName()} (fused: ${FUSED_OPTIMIZER_NAMES.join(
        ', ',
      )})`;
    }
    const unsupported = this.rule.unsupported(this.inner());
    if (unsupported != null) return unsupported;
    if (this.mode_ === 'delegate') return 'the first step ran on another backend than tensorflow';
    if (activeFusedNode() == null)
      return `backend '${tf.getBackend()}' is not tfjs-node's tensorflow`;
    return null;
  }

  /** The wrapped optimizer's class name: saved models name it, not this wrapper. */
  override getClassName(): string {
    return this.innerOptimizer.getClassName();
  }

  /** The wrapped optimizer's config. */
  override getConfig(): tf.serialization.ConfigDict {
    return this.innerOptimizer.getConfig();
  }

  /** The wrapped optimizer's step count (fused steps advance it too). */
  override get iterations(): number {
    return this.innerOptimizer.iterations;
  }

  /** The wrapped optimizer's learning rate. */
  get learningRate(): number {
    return this.inner().learningRate as number;
  }

  /** Sets the wrapped optimizer's learning rate (read again at every fused step). */
  set learningRate(value: number) {
    this.setLearningRate(value);
  }

  /**
   * Sets the wrapped optimizer's learning rate: its `setLearningRate` where it has one (SGD,
   * Momentum), else its `learningRate` field.
   * @throws TypeError when `learningRate` is not a finite number.
   */
  setLearningRate(learningRate: number): void {
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate)) {
      throw new TypeError(
        `FusedOptimizer.setLearningRate: learningRate must be a finite number; got ${String(
          learningRate,
        )}.`,
      );
    }
    const inner = this.inner() as {
      setLearningRate?: (lr: number) => void;
      learningRate?: number;
    };
    if (typeof inner.setLearningRate === 'function') inner.setLearningRate(learningRate);
    else inner.learningRate = learningRate;
  }

  /** The wrapped optimizer's `computeGradients` (so overrides of it keep working). */
  override computeGradients(
    f: () => Scalar,
    varList?: Variable[],
  ): {value: Scalar; grads: NamedTensorMap} {
    this.checkAlive('computeGradients');
    return this.innerOptimizer.computeGradients(f, varList);
  }

  /**
   * Applies one step: fused on tfjs-node, else by the wrapped optimizer. Gradients in either of
   * tfjs's forms (a map, or an array as `minimize` with a `varList` passes); `null` gradients
   * leave their variable alone (its slots are still created, as tfjs does).
   * @throws TypeError for a gradient that is not a float32 tensor of its variable's shape, or a
   *   name that is no registered variable (nothing is updated then); Error after `dispose()` or
   *   when the backend changed away from `tensorflow` after fused steps.
   */
  override applyGradients(variableGradients: Gradients): void {
    this.checkAlive('applyGradients');
    if (this.decide() === 'delegate') {
      this.innerOptimizer.applyGradients(variableGradients);
      return;
    }
    this.fusedStep(variableGradients);
  }

  /**
   * `[iterations, ...slots]` exactly as the wrapped optimizer's `getWeights()` (names, order,
   * values). When fused, the slot tensors are copies owned by this object, valid until the next
   * `getWeights()` or `dispose()`.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.checkAlive('getWeights');
    const rule = this.rule;
    if (this.mode_ !== 'fused' || this.importPending || rule == null || !rule.serializable) {
      return this.innerOptimizer.getWeights();
    }
    const node = this.node!;
    tf.dispose(this.snapshot);
    this.snapshot = [];
    const iter = tf.scalar(this.iterations, 'int32');
    this.snapshot.push(iter);
    const weights: NamedTensor[] = [{name: 'iter', tensor: iter}];
    rule.slots.forEach((_, k) => {
      for (const entry of this.entries) {
        const slot = entry.slots[k]!;
        const tensor = node.createOutputTensor(slot.snapshot());
        this.snapshot.push(tensor);
        weights.push({name: entry.slotNames[k]!, tensor});
      }
    });
    return weights;
  }

  /**
   * Restores what `getWeights()` returned (from this class or the wrapped one): the wrapped
   * optimizer validates and takes them, and the next fused step copies them into TensorFlow.
   * @throws what the wrapped optimizer's `setWeights` throws; Error after `dispose()`.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.checkAlive('setWeights');
    await this.innerOptimizer.setWeights(weightValues);
    this.destroyEntries();
    this.importPending = true;
  }

  /**
   * Captures the whole optimizer state synchronously, for {@link restoreState}: Adam's `m` and
   * `v` (the slots of each rule), the step scalars (Adam's `beta1^t`, `beta2^t`) and
   * `iterations`. Cheap enough for every step: no value is read back to JavaScript; when fused,
   * each slot is one `ReadVariableOp` whose tensor shares the variable's buffer (TensorFlow copies
   * before the next update writes, so the capture keeps its values).
   *
   * Before the fused path has taken the state over (the first step, or the first after
   * `setWeights`), the wrapped optimizer's state is captured instead (tensors sharing its
   * variables' data), and restoring it puts it back there. Free the capture with
   * {@link disposeState} (it holds tfjs tensors and TensorFlow handles).
   * @returns the capture, or `null` when steps go to the wrapped optimizer (`mode` `'delegate'`,
   *   or a wrapped class or configuration without a fused update): its state is in its own tfjs
   *   variables, which a snapshot of tfjs variables covers.
   * @throws Error after `dispose()`, or when fused and the backend is no longer `tensorflow`.
   */
  captureState(): FusedOptimizerState | null {
    this.checkAlive('captureState');
    const rule = this.rule;
    if (this.mode_ === 'delegate' || rule == null || rule.unsupported(this.inner()) != null) {
      return null;
    }
    const inner = this.inner();
    if (this.mode_ === 'fused' && !this.importPending) {
      const node = this.checkNode('captureState');
      const entries = Array.from(this.entries, (entry): CapturedEntry | null =>
        entry == null
          ? null
          : {
              name: entry.name,
              slotNames: [...entry.slotNames],
              slots: rule.slots.map((_, k) => {
                const slot = entry.slots[k];
                return slot == null ? null : tf.keep(node.createOutputTensor(slot.read()));
              }),
            },
      );
      return new FusedStateCapture(
        this,
        'fused',
        inner.iterations,
        node,
        [...this.stepScalars],
        entries,
        [],
        [],
      ) as unknown as FusedOptimizerState;
    }
    const share = (t: Tensor): Tensor => tf.keep(tf.clone(t));
    const stepValues = rule.stepFields.map((field) => share(inner[field] as Tensor));
    const slotLists = rule.slotFields.map((field) =>
      Array.from((inner[field] ?? []) as (SlotItem | null)[], (item) =>
        item == null ? null : {originalName: item.originalName, tensor: share(item.variable)},
      ),
    );
    return new FusedStateCapture(
      this,
      'inner',
      inner.iterations,
      null,
      [],
      [],
      stepValues,
      slotLists,
    ) as unknown as FusedOptimizerState;
  }

  /**
   * Puts back what {@link captureState} captured: slots, step scalars and `iterations` become
   * bit-identical to the captured ones, so the next step (with the model's weights restored too)
   * gives exactly the weights it would have given right after the capture. Slots of variables
   * first stepped after the capture are dropped (they start from zero again at their next step).
   * The capture stays valid and may be restored again. The model's weights are not touched: they
   * are re-read at the next step (restore them first, with `model.setWeights`).
   * @throws TypeError for a capture of another optimizer, or one already disposed; Error after
   *   `dispose()`, or for a fused capture when the backend is no longer `tensorflow`.
   */
  restoreState(state: FusedOptimizerState): void {
    this.checkAlive('restoreState');
    const capture = this.ownCapture(state, 'restoreState');
    const rule = this.rule!;
    const inner = this.inner();
    if (capture.kind === 'fused') {
      const node = this.checkNode('restoreState');
      if (this.importPending) {
        // setWeights since the capture: the wrapped optimizer's slots are superseded.
        this.freeInnerSlots();
        this.importPending = false;
      }
      capture.entries.forEach((captured, i) => {
        const entry = this.entries[i];
        if (captured == null) {
          this.destroyEntry(i);
          return;
        }
        const target: Entry = entry ?? {
          name: captured.name,
          master: null,
          masterDataId: null,
          slots: [],
          slotNames: [],
        };
        target.name = captured.name;
        target.slotNames = [...captured.slotNames];
        // Re-sync the master from the (restored) tfjs variable at the next step.
        target.masterDataId = null;
        captured.slots.forEach((value, k) => {
          let slot = target.slots[k];
          if (value == null) {
            slot?.destroy();
            target.slots[k] = undefined;
            return;
          }
          if (slot == null || !tf.util.arraysEqual([...slot.shape], value.shape)) {
            slot?.destroy();
            slot = new ResourceVariable(node, value.shape);
            target.slots[k] = slot;
          }
          slot.assign(node.getInputTensorIds([value])[0]!);
        });
        this.entries[i] = target;
      });
      for (let i = this.entries.length - 1; i >= capture.entries.length; i--) this.destroyEntry(i);
      this.entries.length = capture.entries.length;
      this.stepScalars = [...capture.stepScalars];
    } else {
      if (this.mode_ === 'fused') {
        // The fused path took the state over since: hand it back to the wrapped optimizer.
        this.destroyEntries();
        this.stepScalars = [];
        this.importPending = true;
      }
      rule.stepFields.forEach((field, j) => {
        (inner[field] as Variable).assign(capture.stepValues[j]!);
      });
      rule.slotFields.forEach((field, k) => {
        const captured = capture.slotLists[k]!;
        const list = (inner[field] ?? []) as (SlotItem | null)[];
        captured.forEach((item, i) => {
          const current = list[i];
          if (item == null) {
            current?.variable.dispose();
            list[i] = null;
          } else if (
            current != null &&
            tf.util.arraysEqual(current.variable.shape, item.tensor.shape)
          ) {
            current.variable.assign(item.tensor);
            current.originalName = item.originalName;
          } else {
            current?.variable.dispose();
            list[i] = {
              originalName: item.originalName,
              variable: tf.variable(item.tensor, false),
            };
          }
        });
        for (const item of list.splice(captured.length)) item?.variable.dispose();
        inner[field] = list;
      });
    }
    inner.iterations_ = capture.iterations;
  }

  /** Frees what a {@link captureState} result holds; later calls do nothing. */
  disposeState(state: FusedOptimizerState): void {
    this.ownCapture(state, 'disposeState', true).dispose();
  }

  /**
   * The float32 tensors a capture holds (slots, and the wrapped optimizer's step variables in an
   * `'inner'` capture), owned by the capture: to check them (e.g. for non-finite values) without
   * reading them back one by one. Empty once disposed.
   */
  stateValues(state: FusedOptimizerState): readonly Tensor[] {
    return this.ownCapture(state, 'stateValues', true).values();
  }

  /** Frees every TensorFlow resource variable and handle, the last snapshot and the wrapped optimizer. */
  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.destroyEntries();
    tf.dispose(this.snapshot);
    this.snapshot = [];
    this.innerOptimizer.dispose();
  }

  private inner(): InnerFields {
    return this.innerOptimizer as unknown as InnerFields;
  }

  private ownCapture(state: unknown, where: string, disposedOk = false): FusedStateCapture {
    if (!(state instanceof FusedStateCapture) || state.owner !== this) {
      throw new TypeError(
        `FusedOptimizer.${where}: state must be what this optimizer's captureState() returned.`,
      );
    }
    if (state.disposed && !disposedOk) {
      throw new TypeError(`FusedOptimizer.${where}: the state was disposed; capture a new one.`);
    }
    return state;
  }

  /** The fused node, after checking it is still the active backend. */
  private checkNode(where: string): FusedNode {
    const node = this.node!;
    if (activeFusedNode() !== node) {
      throw new Error(
        `FusedOptimizer.${where}: its state lives in tfjs-node's TensorFlow, but the backend is ` +
          `now '${tf.getBackend()}'. Switch back with tf.setBackend('tensorflow').`,
      );
    }
    return node;
  }

  /** Frees the wrapped optimizer's slot variables (the fused path holds the slots). */
  private freeInnerSlots(): void {
    const inner = this.inner();
    for (const field of this.rule!.slotFields) {
      const list = (inner[field] ?? []) as (SlotItem | null)[];
      tf.dispose(list.filter((item) => item != null).map((item) => item!.variable));
      inner[field] = [];
    }
  }

  private destroyEntry(i: number): void {
    const entry = this.entries[i];
    if (entry == null) return;
    entry.master?.destroy();
    for (const slot of entry.slots) slot?.destroy();
    delete this.entries[i];
  }

  private checkAlive(where: string): void {
    if (this.disposed) {
      throw new Error(`FusedOptimizer.${where}: the optimizer was disposed; create a new one.`);
    }
  }

  private decide(): FusedMode {
    if (this.mode_ === 'fused') {
      if (activeFusedNode() !== this.node) {
        throw new Error(
          `FusedOptimizer: its state lives in tfjs-node's TensorFlow, but the backend is now ` +
            `'${tf.getBackend()}'. Switch back with tf.setBackend('tensorflow'), or save the ` +
            'weights (getWeights) and load them into a new optimizer on the other backend.',
        );
      }
      return 'fused';
    }
    if (this.mode_ === 'undecided') {
      this.node = activeFusedNode();
      const fusable =
        this.node != null && this.rule != null && this.rule.unsupported(this.inner()) == null;
      this.mode_ = fusable ? 'fused' : 'delegate';
      if (!fusable) this.node = null;
    }
    return this.mode_;
  }

  private fusedStep(grads: Gradients): void {
    const rule = this.rule!;
    const node = this.node!;
    const b = node.binding;
    const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
    const tensors = names.map((name, i) =>
      Array.isArray(grads) ? (grads[i]!.tensor ?? null) : (grads[name] ?? null),
    );
    const variables = names.map((name, i) => checkGradient(name, tensors[i]!));
    if (this.importPending) this.importInner(node);
    const inner = this.inner();
    const inputs = rule.inputs(inner, this.stepScalars);
    const attrs = [
      float32Attr(b, 'T'),
      {name: 'use_locking', type: b.TF_ATTR_BOOL, value: false},
      ...Object.entries(rule.boolAttrs(inner)).map(([name, value]) => ({
        name,
        type: b.TF_ATTR_BOOL,
        value,
      })),
    ];
    // The backward pass is over: every weight is read in float32 only from here, so all their
    // 16-bit copies (a mixed policy's native kernels) go now, before the first gradient is
    // widened, not one by one beside the float32 work of the updates before theirs.
    dropHalfCopies(variables);
    const scalarIds: number[] = [];
    try {
      for (const input of inputs) {
        if (input !== 'grad') scalarIds.push(float32Scalar(b, input.scalar));
      }
      variables.forEach((variable, i) => {
        const entry = this.entryAt(i, names[i]!, variable, node);
        const gradient = tensors[i];
        if (gradient == null) return;
        // Read in float32 only from here: a 16-bit gradient gets its float32 data (an exact
        // cast) and its 16-bit copy goes now, not when the step ends.
        dropHalfCopies([gradient]);
        if (entry.masterDataId !== variable.dataId) {
          entry.master!.assign(node.getInputTensorIds([variable])[0]!);
        }
        const [gradId] = node.getInputTensorIds([gradient]);
        let next = 0;
        const ids = [
          entry.master!.handleId,
          ...entry.slots.map((s) => s!.handleId),
          ...inputs.map((input) => (input === 'grad' ? gradId! : scalarIds[next++]!)),
        ];
        // The variable's value is a read of the master that shares its buffer, so TensorFlow would
        // copy the whole master before updating it in place (copy-on-write): a weight-sized
        // allocation and copy per variable per step. Where nothing else can see that value, its
        // handle goes first and the update writes the buffer itself.
        const released = releaseStaleRead(node, entry, variable);
        try {
          b.executeOp(rule.op, attrs, ids, 0);
        } catch (error) {
          if (released != null) {
            // The update did not run (TensorFlow checks its inputs first): the master still
            // holds the variable's value, so a new read of it is that value again.
            released.id = entry.master!.read().id;
            entry.readId = released.id;
          }
          throw error;
        }
        const read = entry.master!.read();
        const value = node.createOutputTensor(read);
        variable.assign(value as Tensor as Variable);
        value.dispose();
        entry.masterDataId = variable.dataId;
        entry.readId = read.id;
      });
    } finally {
      for (const id of scalarIds) b.deleteTensor(id);
    }
    this.stepScalars = rule.advance(inner, this.stepScalars);
    inner.incrementIterations();
  }

  /** The entry of position `i`, with its master and slots created (slots start at zero). */
  private entryAt(i: number, name: string, variable: Variable, node: FusedNode): Entry {
    const rule = this.rule!;
    let entry = this.entries[i];
    if (entry == null) {
      entry = {
        name,
        master: null,
        masterDataId: null,
        slots: [],
        slotNames: rule.slots.map((s) => `${name}/${s}`),
      };
      this.entries[i] = entry;
    }
    if (entry.name !== name) {
      entry.name = name;
      entry.masterDataId = null;
    }
    if (entry.master == null) entry.master = new ResourceVariable(node, variable.shape);
    rule.slots.forEach((suffix, k) => {
      const slot = entry.slots[k];
      if (slot != null) {
        if (!tf.util.arraysEqual([...slot.shape], variable.shape)) {
          throw new RangeError(
            `FusedOptimizer: slot '${entry.slotNames[k]}' has shape [${slot.shape}] but variable ` +
              `'${name}' has shape [${variable.shape}]. setWeights() got weights of another model; ` +
              'load the optimizer weights saved with this model.',
          );
        }
        return;
      }
      const created = new ResourceVariable(node, variable.shape);
      created.assignZeros(node.getInputTensorIds([variable])[0]!);
      entry.slots[k] = created;
      entry.slotNames[k] = `${name}/${suffix}`;
    });
    return entry;
  }

  /**
   * Takes over the wrapped optimizer's state (after `setWeights`, or when it trained before being
   * fused): its step scalars (one device read each) and slots, which it then frees.
   */
  private importInner(node: FusedNode): void {
    const rule = this.rule!;
    const inner = this.inner();
    this.stepScalars = rule.stepFields.map(
      (field) => (inner[field] as Tensor).dataSync()[0] as number,
    );
    rule.slotFields.forEach((field, k) => {
      const list = (inner[field] ?? []) as (SlotItem | null)[];
      list.forEach((item, i) => {
        if (item == null) return;
        let entry = this.entries[i];
        if (entry == null) {
          const name = item.originalName.slice(0, -(rule.slots[k]!.length + 1));
          entry = {
            name,
            master: null,
            masterDataId: null,
            slots: [],
            slotNames: [],
          };
          this.entries[i] = entry;
        }
        const slot = new ResourceVariable(node, item.variable.shape);
        slot.assign(node.getInputTensorIds([item.variable])[0]!);
        entry.slots[k]?.destroy();
        entry.slots[k] = slot;
        entry.slotNames[k] = item.originalName;
      });
    });
    this.freeInnerSlots();
    this.importPending = false;
  }

  private destroyEntries(): void {
    for (let i = 0; i < this.entries.length; i++) this.destroyEntry(i);
    this.entries.length = 0;
  }
}

// tf.Optimizer answers `instanceof` by duck typing (any object with minimize, computeGradients and
// applyGradients), and subclasses inherit that; a FusedOptimizer is recognized by its prototype.
Object.defineProperty(FusedOptimizer, Symbol.hasInstance, {
  value: (instance: unknown) =>
    instance != null && Object.prototype.isPrototypeOf.call(FusedOptimizer.prototype, instance),
});

/** The registered variable a gradient belongs to, after checking the gradient's kind and shape. */
function checkGradient(name: string, gradient: Tensor | null): Variable {
  const variable = tf.engine().registeredVariables[name];
  if (variable == null) {
    throw new TypeError(
      `FusedOptimizer.applyGradients: '${name}' is not a registered variable. Pass gradients ` +
        'keyed by variable name, as computeGradients() returns them.',
    );
  }
  if (variable.dtype !== 'float32') {
    throw new TypeError(
      `FusedOptimizer.applyGradients: variable '${name}' is ${variable.dtype}; only float32 ` +
        'variables are trained. Make it a float32 variable or leave it out of varList.',
    );
  }
  if (gradient == null) return variable;
  if (!(gradient instanceof tf.Tensor) || gradient.dtype !== 'float32') {
    const got =
      gradient instanceof tf.Tensor ? `a tensor of dtype ${gradient.dtype}` : typeof gradient;
    throw new TypeError(
      `FusedOptimizer.applyGradients: the gradient of '${name}' must be a float32 tensor; got ${got}.`,
    );
  }
  if (!tf.util.arraysEqual(gradient.shape, variable.shape)) {
    throw new TypeError(
      `FusedOptimizer.applyGradients: the gradient of '${name}' has shape [${gradient.shape}] but ` +
        `the variable has shape [${variable.shape}]; they must be equal (no broadcasting).`,
    );
  }
  return variable;
}

/**
 * Wraps a built-in tfjs optimizer so that, on tfjs-node's `tensorflow` backend, each step runs as
 * one fused TensorFlow training op per variable (Adam, Adamax, Momentum, RMSProp (not centered),
 * SGD); other optimizers, and every other backend, run the wrapped optimizer unchanged. Use the
 * result wherever a `tf.Optimizer` goes (`model.compile`, custom loops).
 * @throws TypeError when `optimizer` is not a tf.Optimizer, or is already fused.
 * @example
 * const optimizer = fuseOptimizer(tf.train.adam(1e-3));
 * model.compile({optimizer, loss: 'categoricalCrossentropy'});
 * await model.fit(x, y, {epochs: 5});
 */
export function fuseOptimizer(optimizer: tf.Optimizer): FusedOptimizer {
  if (optimizer == null || !(optimizer instanceof tf.Optimizer)) {
    throw new TypeError(
      `fuseOptimizer: optimizer must be a tf.Optimizer (e.g. tf.train.adam(1e-3)); got ${describe(
        optimizer,
      )}.`,
    );
  }
  if (optimizer instanceof FusedOptimizer) {
    throw new TypeError('fuseOptimizer: optimizer is already a FusedOptimizer; fuse it once.');
  }
  return new FusedOptimizer(optimizer);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}
