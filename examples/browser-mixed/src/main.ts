// The page: pickers, live charts, and float32 vs mixed side by side. State for tests and scripts
// is on <html>: data-state (idle, loading, training, done, unavailable, error) and data-backend.
import * as tf from '@tensorflow/tfjs';
import {activateBackend, checkWebGPU, PAGE_BACKENDS, type PageBackend} from './backends.js';
import {LineChart} from './line-chart.js';
import {fetchMnist, type MnistSet} from './mnist-data.js';
import {renderComparison} from './comparison.js';
import {
  DEFAULT_RUN_SETTINGS,
  PAGE_POLICIES,
  type PagePolicy,
  type RunResult,
  trainRun,
} from './train-run.js';

const COLORS: Record<PagePolicy, string> = {
  float32: '#4a6fa5',
  mixed_float16: '#d1495b',
  mixed_bfloat16: '#2e933c',
};

function $(id: string): HTMLElement {
  const node = document.getElementById(id);
  if (node == null) throw new Error(`browser-mixed: the page has no #${id}.`);
  return node;
}

const root = document.documentElement;
const backendPicker = $('backend') as HTMLSelectElement;
const policyPicker = $('policy') as HTMLSelectElement;
const epochsInput = $('epochs') as HTMLInputElement;
const compareBox = $('compare') as HTMLInputElement;
const trainButton = $('train') as HTMLButtonElement;
const status = $('status');
const backendNote = $('backend-note');
const progress = $('progress') as HTMLProgressElement;
const charts = {
  loss: new LineChart($('chart-loss'), {title: 'training loss (per step)'}),
  scale: new LineChart($('chart-scale'), {
    title: 'loss scale',
    log2: true,
    stepped: true,
    emptyText: 'only mixed_float16 uses loss scaling',
  }),
  skipped: new LineChart($('chart-skipped'), {
    title: 'skipped steps (total)',
    stepped: true,
    emptyText: 'only mixed_float16 skips steps',
  }),
};

function setState(state: string, message: string): void {
  root.dataset.state = state;
  status.textContent = message;
}

// Pickers, preset from the query string (?backend=wasm&policy=mixed_float16&epochs=3&autostart=1).
const query = new URLSearchParams(location.search);
backendPicker.replaceChildren(...PAGE_BACKENDS.map((b) => new Option(b, b)));
policyPicker.replaceChildren(...PAGE_POLICIES.map((p) => new Option(p, p)));
backendPicker.value = PAGE_BACKENDS.includes(query.get('backend') as PageBackend)
  ? (query.get('backend') as string)
  : 'wasm';
policyPicker.value = PAGE_POLICIES.includes(query.get('policy') as PagePolicy)
  ? (query.get('policy') as string)
  : 'mixed_float16';
epochsInput.value = query.get('epochs') ?? String(DEFAULT_RUN_SETTINGS.epochs);

async function describeBackendChoice(): Promise<void> {
  const backend = backendPicker.value as PageBackend;
  if (backend !== 'webgpu') {
    backendNote.textContent = '';
    delete root.dataset.webgpu;
    return;
  }
  const check = await checkWebGPU();
  root.dataset.webgpu = check.available ? 'available' : 'unavailable';
  backendNote.textContent = check.detail;
}
backendPicker.addEventListener('change', () => void describeBackendChoice());
void describeBackendChoice();

let mnist: Promise<MnistSet> | null = null;

async function run(): Promise<void> {
  const backend = backendPicker.value as PageBackend;
  const policy = policyPicker.value as PagePolicy;
  const epochs = Number(epochsInput.value);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 50) {
    setState('error', `Epochs must be an integer from 1 to 50; got '${epochsInput.value}'.`);
    return;
  }
  trainButton.disabled = true;
  try {
    if (backend === 'webgpu') {
      const check = await checkWebGPU();
      if (!check.available) {
        setState('unavailable', `${check.detail} Pick webgl or wasm.`);
        return;
      }
    }
    setState('loading', `Starting ${backend} and loading MNIST…`);
    root.dataset.backend = await activateBackend(backend);
    backendNote.textContent = `Running on ${root.dataset.backend}.`;
    mnist ??= fetchMnist();
    const {train: all, test} = await mnist;
    // ?train=N trains on the first N digits only (quick checks); default all of them.
    const limit = Number(query.get('train') ?? all.count);
    if (!Number.isInteger(limit) || limit < 1 || limit > all.count) {
      throw new RangeError(
        `?train must be an integer from 1 to ${all.count}; got '${query.get('train')}'.`,
      );
    }
    const train = {
      images: all.images.subarray(0, limit * 784),
      labels: all.labels.subarray(0, limit),
      count: limit,
    };

    for (const chart of Object.values(charts)) chart.clear();
    const tensorsBefore = tf.memory().numTensors;
    const policies: PagePolicy[] =
      policy !== 'float32' && compareBox.checked ? ['float32', policy] : [policy];
    const results: RunResult[] = [];
    $('legend').replaceChildren(
      ...policies.map((p) => {
        const item = document.createElement('span');
        item.style.setProperty('--color', COLORS[p]);
        item.textContent = p === 'mixed_float16' ? `${p} (loss scaling)` : p;
        return item;
      }),
    );
    for (const [i, p] of policies.entries()) {
      const label = `${p} (${i + 1}/${policies.length})`;
      setState('training', `Training ${label} on ${backend}…`);
      const result = await trainRun(
        train,
        test,
        {...DEFAULT_RUN_SETTINGS, epochs, policy: p},
        {
          step(step, total, loss) {
            progress.max = total;
            progress.value = step;
            charts.loss.push(p, COLORS[p], step, loss);
            if (step % 10 === 0 || step === total) {
              status.textContent = `Training ${label} on ${backend}: step ${step}/${total}, loss ${loss.toFixed(4)}`;
            }
          },
          scale(step, lossScale, skippedSteps) {
            charts.scale.push(p, COLORS[p], step, lossScale);
            charts.skipped.push(p, COLORS[p], step, skippedSteps);
          },
        },
      );
      results.push(result);
      renderComparison($('comparison'), results);
    }
    for (const chart of Object.values(charts)) chart.draw();
    // Every run disposes what it made: the count is back where it started (tests check it).
    root.dataset.leakedTensors = String(tf.memory().numTensors - tensorsBefore);
    setState('done', `Done on ${root.dataset.backend}: ${results.length} run(s).`);
  } catch (e) {
    console.error(e);
    setState('error', `Failed: ${(e as Error).message}`);
  } finally {
    trainButton.disabled = false;
  }
}

trainButton.addEventListener('click', () => void run());
root.dataset.state = 'idle';
if (query.get('autostart') === '1') void run();
