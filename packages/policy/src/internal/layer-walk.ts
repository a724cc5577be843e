import * as tf from '@tensorflow/tfjs';
import type {LayerFacts} from '../keep-float32.js';

export type Layer = tf.layers.Layer;

/** A model used as a layer (LayersModel, Sequential): its own layers do the work. */
export function isContainer(layer: Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** Whether `value` is a tfjs layer (any subclass, custom ones included). */
export function isLayer(value: unknown): value is Layer {
  return value instanceof tf.layers.Layer;
}

/** The plain facts keep-float32 rules look at. */
export function layerFacts(layer: Layer): LayerFacts {
  const activation = (layer as unknown as {activation?: {getClassName?: () => string}}).activation;
  return {
    name: layer.name,
    className: layer.getClassName(),
    activation: typeof activation?.getClassName === 'function' ? activation.getClassName() : null,
  };
}

/** The layers a container runs, input layers left out (they compute nothing). */
export function childLayers(container: tf.LayersModel): Layer[] {
  return container.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

/**
 * Layers a layer holds and calls itself: an RNN's `cell` (and a StackedRNNCells' `cells`), a
 * wrapper's `layer`, Bidirectional's `forwardLayer` / `backwardLayer`, and the same in custom
 * layers. Found as own properties whose value is a layer or an array of layers; containers found
 * this way are expanded to their layers. Sorted by discovery, without duplicates.
 */
export function subLayers(layer: Layer): Layer[] {
  const found: Layer[] = [];
  const seen = new Set<Layer>([layer]);
  const visit = (value: unknown): void => {
    if (!isLayer(value) || seen.has(value)) return;
    seen.add(value);
    if (isContainer(value)) {
      for (const child of childLayers(value)) visit(child);
      return;
    }
    if (value.getClassName() === 'InputLayer') return;
    found.push(value);
    for (const nested of ownLayerValues(value)) visit(nested);
  };
  for (const value of ownLayerValues(layer)) visit(value);
  return found;
}

function ownLayerValues(layer: Layer): unknown[] {
  const out: unknown[] = [];
  for (const key of Object.keys(layer)) {
    const value = (layer as unknown as Record<string, unknown>)[key];
    if (isLayer(value)) out.push(value);
    else if (Array.isArray(value) && value.length > 0 && value.every(isLayer)) out.push(...value);
  }
  return out;
}

/** One step of a model walk: a container (entered) or a computing layer. */
export interface WalkStep {
  readonly layer: Layer;
  /** Names from the walked root down to this layer, joined by `/`. */
  readonly path: string;
  /** The enclosing containers, outermost first (the root included when it is a container). */
  readonly ancestors: readonly Layer[];
  readonly isContainer: boolean;
}

/**
 * Every layer reachable from `root` through containers, depth first in each container's layer
 * order; a layer reached twice (shared) is listed once. `root` itself is listed first.
 */
export function walkLayers(root: Layer): WalkStep[] {
  const steps: WalkStep[] = [];
  const seen = new Set<Layer>();
  const visit = (layer: Layer, path: string, ancestors: readonly Layer[]): void => {
    if (seen.has(layer)) return;
    seen.add(layer);
    const container = isContainer(layer);
    steps.push({layer, path, ancestors, isContainer: container});
    if (!container) return;
    const inner = [...ancestors, layer];
    for (const child of childLayers(layer)) visit(child, `${path}/${child.name}`, inner);
  };
  visit(root, root.name, []);
  return steps;
}
