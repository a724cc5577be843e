import type {CastPlan} from '../cast-points.js';
import type {Policy} from '../policy.js';
import type {CallPatch} from './instrument.js';
import type {Layer} from './layer-walk.js';
import type {VariableRounding} from './variable-rounding.js';

/** Options as applied and recorded: plain JSON, policy names instead of objects. */
export interface NormalizedOptions {
  readonly overrides: Readonly<Record<string, string>>;
  readonly keepFloat32: readonly string[];
}

/** What applying a policy did to one layer. */
export interface LayerRecord {
  /** The model `applyPolicy` was called on. */
  readonly root: Layer;
  /** The layer's cast points (a sub-layer shares its owner's). */
  readonly plan: CastPlan;
  /** Set when `call` was instrumented (layers computing in float32 are left as they are). */
  readonly patch: CallPatch | null;
  /** Whether the layer is a container (its layers carry the work) or an RNN cell / wrapped layer. */
  readonly role: 'layer' | 'container' | 'sub-layer';
}

/** What applying a policy did to one model. */
export interface RootRecord {
  readonly policy: Policy;
  readonly options: NormalizedOptions;
  /** `policy.name` and options as one string, to tell "the same again" from "a different one". */
  readonly key: string;
  /** Every layer given a record, in instrumenting order. */
  readonly layers: Layer[];
  readonly variables: VariableRounding | null;
  /**
   * User-defined metadata before the policy was recorded in it (value undefined: there was none);
   * null for a plain layer, which has no metadata.
   */
  metadataBefore: {readonly value: object | undefined} | null;
}

/** Layers touched by some applied policy. A layer belongs to one root at a time. */
export const LAYER_RECORDS = new WeakMap<Layer, LayerRecord>();

/** Models a policy was applied to. */
export const ROOT_RECORDS = new WeakMap<Layer, RootRecord>();
