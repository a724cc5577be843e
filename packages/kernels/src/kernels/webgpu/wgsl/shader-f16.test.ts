import * as tf from '@tensorflow/tfjs';
import {afterEach, describe, expect, it} from 'vitest';
import {requestShaderF16} from './shader-f16.js';

/** A stand-in for navigator.gpu and its adapter that records what the device was asked for. */
function fakeGpu(adapterFeatures: string[]) {
  const asked: unknown[][] = [];
  class Gpu {
    async requestAdapter() {
      return {
        features: new Set(adapterFeatures),
        limits: {},
        info: {vendor: 'fake'},
        async requestDevice(d: {requiredFeatures?: Iterable<unknown>} = {}) {
          asked.push([...(d.requiredFeatures ?? [])]);
          return {features: new Set(d.requiredFeatures as Iterable<string>)};
        },
      };
    }
  }
  return {gpu: new Gpu(), asked};
}

/** Registers a 'webgpu' factory that does what tfjs-backend-webgpu's does, on the cpu backend. */
function registerFakeWebGPU(gpu: unknown): void {
  Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true});
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await (
        gpu as {requestAdapter(): Promise<{requestDevice(d: object): Promise<unknown>}>}
      ).requestAdapter();
      await adapter.requestDevice({requiredFeatures: ['timestamp-query']});
      // A fresh cpu backend: the registry disposes it with the 'webgpu' entry.
      const Cpu = tf.findBackend('cpu')!.constructor as new () => tf.KernelBackend;
      return new Cpu();
    },
    3,
  );
}

/** Creates a registered backend without making it the active one. */
async function initialize(name: string): Promise<void> {
  const engine = tf.engine() as unknown as {
    initializeBackend(n: string): {success: boolean | Promise<boolean>};
  };
  expect(await engine.initializeBackend(name).success).toBe(true);
}

const originalNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

describe('requestShaderF16', () => {
  afterEach(() => {
    if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
    if (originalNavigator == null) delete (globalThis as {navigator?: unknown}).navigator;
    else Object.defineProperty(globalThis, 'navigator', originalNavigator);
  });

  it("returns 'no-webgpu' when no webgpu backend is registered", () => {
    expect(requestShaderF16()).toBe('no-webgpu');
  });

  it('adds shader-f16 to the device tfjs requests, keeps its features, restores requestAdapter', async () => {
    await tf.ready();
    const {gpu, asked} = fakeGpu(['shader-f16', 'timestamp-query']);
    registerFakeWebGPU(gpu);
    expect(requestShaderF16()).toBe('requested');
    expect(requestShaderF16(), 'idempotent').toBe('requested');
    await initialize('webgpu');
    expect(asked).toEqual([['timestamp-query', 'shader-f16']]);
    expect(Object.hasOwn(gpu, 'requestAdapter'), 'restored to the prototype method').toBe(false);
  });

  it('asks for nothing more on an adapter without shader-f16', async () => {
    const {gpu, asked} = fakeGpu(['timestamp-query']);
    registerFakeWebGPU(gpu);
    expect(requestShaderF16()).toBe('requested');
    await initialize('webgpu');
    expect(asked).toEqual([['timestamp-query']]);
  });
});
