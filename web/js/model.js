// Loading the published model: index.json -> metadata.json -> checked model files, on the fastest backend.
// The server's default model is used whenever it loads; when it cannot (no network, or a new version
// whose files fail to download or fail their checks), the last complete version saved in this
// browser is used instead and the page says why. A version is used whole or not at all.
import { checkSpec } from './preprocess.js';
import { schemaProblem } from './schema.js';
import { ModelLoadError, VersionReader, parseJson, readModelArtifacts, readReplay, versionProblem } from './model-files.js';
import * as store from './model-store.js';
import facts from './facts.json' with { type: 'json' };
import metadataSchema from './metadata.schema.json' with { type: 'json' };

export { ModelLoadError };

const BACKENDS = ['wasm', 'webgl', 'cpu'];
const BACKEND_START_LIMIT_MS = 15000;
const FIX = facts.no_model_fix;

async function fetchIndex() {
  let response;
  try {
    response = await fetch('models/index.json', { cache: 'no-cache' });
  } catch (error) {
    throw new ModelLoadError('Could not reach the server for the model list.');
  }
  if (response.status === 404) throw new ModelLoadError(`No model is published yet. ${FIX}`);
  if (!response.ok) throw new ModelLoadError(`The model list could not be loaded (HTTP ${response.status}).`);
  try {
    return await response.json();
  } catch (error) {
    throw new ModelLoadError(`The model list is damaged (not valid JSON). ${FIX}`);
  }
}

function defaultEntry(index) {
  const entry = index && Array.isArray(index.models) ? index.models.find((m) => m && m.name === index.default) : null;
  if (!entry || typeof entry.path !== 'string' || typeof entry.version !== 'string') {
    throw new ModelLoadError(`The model list names no usable default model. ${FIX}`);
  }
  return entry;
}

// The shape guard for metadata.json: its schema (metadata.schema.json), the one Python checks too.
export function metadataProblem(metadata) {
  return schemaProblem(metadata, metadataSchema);
}

async function metadataFileProblem(bytes, entry) {
  const metadata = parseJson(bytes);
  if (metadata === undefined) return `The model's metadata.json is damaged (not valid JSON). ${FIX}`;
  const problem = metadataProblem(metadata);
  if (problem) return `The model's metadata is damaged: ${problem}.`;
  return versionProblem(metadata, entry.version);
}

// A backend whose start-up hangs (a blocked worker, a stalled download) must not stall the page forever.
// Giving up on its promise is not enough: TensorFlow.js keeps waiting for a pending start, so tf.ready()
// and every later operation would wait for it too, whichever backend is set next. Removing the
// backend from TensorFlow.js's registry is what ends that wait.
function withinLimit(promise, name) {
  let timer;
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      tf.removeBackend(name);
      reject(new Error(`${name} did not start`));
    }, BACKEND_START_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

async function startBackend() {
  tf.wasm.setWasmPaths(new URL('vendor/tfjs/', document.baseURI).href);
  // The single-threaded SIMD build, on purpose. The page is cross-origin isolated, so tfjs would
  // otherwise pick its threaded build, which here does not start and would not be faster (measured
  // in headless Chromium 156, tfjs 4.22, on a 2-core machine that other jobs kept busy):
  // - Under this CSP it never starts: its 8 pool workers come from blob: URLs and then importScripts()
  //   the backend's code from another blob: URL, which worker-src and script-src refuse (a blob: worker
  //   inherits the page's CSP). tf.setBackend('wasm') never settles; without this line the page would
  //   wait BACKEND_START_LIMIT_MS, then use webgl. (Measured when worker-src still allowed blob:.)
  // - With blob: added to script-src it starts (0.13 s instead of 0.03 s) and is no faster. tfjs
  //   caps its pool at navigator.hardwareConcurrency / 2 threads, so 2 cores get one thread
  //   (setThreadsCount cannot raise that). Medians for the shipped model, threaded vs this build:
  //   7.4 vs 7.4 ms for one 80x80 image, 7.0 vs 6.8 ms per image in batches of 32. Forced to 2
  //   threads (hardwareConcurrency emulated as 4) it was slower: 21 ms and 8.7 ms.
  // Worth measuring again only on machines with 4 or more logical cores (it needs blob: in worker-src and script-src).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  for (const name of BACKENDS) {
    try {
      if (await withinLimit(tf.setBackend(name), name)) {
        await tf.ready();
        return name;
      }
    } catch (error) {
      // This backend cannot start here (no WebAssembly, no WebGL): try the next one.
    }
  }
  throw new ModelLoadError('No TensorFlow.js backend could start in this browser.');
}

// Started once, on first need; every load attempt awaits the same start.
let backendStarting = null;
const backend = () => {
  backendStarting = backendStarting || startBackend();
  return backendStarting;
};

// One version, read from its saved copy or the server, checked, loaded; saved when it came from the server.
async function loadVersion(entry) {
  const base = `models/${entry.path}`;
  const reader = new VersionReader(base, await store.open(entry));
  const metadata = parseJson(await reader.read('metadata.json', (bytes) => metadataFileProblem(bytes, entry)));
  try {
    checkSpec(metadata.preprocessing);
  } catch (error) {
    throw new ModelLoadError(`This page cannot prepare photos the way the model expects (${error.message}). Update the page or convert the model again.`);
  }
  const artifacts = await readModelArtifacts(reader, metadata);
  const backendName = await backend();
  let model;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ModelLoadError(`The model files could not be loaded: ${error.message}`);
  }
  try {
    checkModelMatchesMetadata(model, metadata);
  } catch (error) {
    model.dispose();
    throw error;
  }
  warmUp(model, metadata.preprocessing);
  const replay = await readReplay(reader, metadata);  // before saving: offline adaptation needs it too
  // Saved only now that every file passed its check and the model loaded: a saved copy is always whole and good.
  // Read from the saved copy: it is already whole; versions saved before it can go.
  const saved = reader.fromServer ? store.save(entry, base, reader.files) : store.dropOlder(entry).then(() => true);
  return { model, metadata, backend: backendName, saved, artifacts, replay };
}

// Resolves to { model, metadata, backend, saved (a promise: saved for offline use?), notice (or null) }.
export async function loadDefaultModel() {
  let entry = null;
  try {
    entry = defaultEntry(await fetchIndex());
    return { ...(await loadVersion(entry)), notice: null };
  } catch (problem) {
    if (!(problem instanceof ModelLoadError)) throw problem;
    const fallback = await store.latest(entry);
    if (!fallback) throw problem;
    try {
      const loaded = await loadVersion(fallback);
      return { ...loaded, notice: `${problem.message} Classifying with the model saved in this browser instead: `
        + `${fallback.name} (version ${fallback.version}).` };
    } catch (error) {
      throw problem;  // the saved copy is no better; the first reason is the one to fix
    }
  }
}

// A model.json and metadata.json from different conversions would pair probabilities with the wrong names.
function checkModelMatchesMetadata(model, metadata) {
  const [height, width] = metadata.preprocessing.input_size;
  const [, inputHeight, inputWidth, channels] = model.inputs[0].shape;
  if (inputHeight !== height || inputWidth !== width || channels !== 3) {
    throw new ModelLoadError(`The model's metadata is damaged: it promises ${height}x${width} RGB input, `
      + `but the model takes ${inputHeight}x${inputWidth}x${channels}. ${FIX}`);
  }
  const outputs = model.outputs[0].shape.at(-1);
  if (outputs !== metadata.classes.length) {
    throw new ModelLoadError(`The model's metadata is damaged: it names ${metadata.classes.length} classes, `
      + `but the model gives ${outputs} probabilities. ${FIX}`);
  }
}

// One throwaway prediction compiles the backend's kernels, so the first real photo is fast.
function warmUp(model, preprocessing) {
  const [height, width] = preprocessing.input_size;
  classify(model, new Float32Array(height * width * 3), preprocessing);
}

export function classify(model, input, preprocessing) {
  return classifyBatch(model, [input], preprocessing)[0];
}

// The network answering in one pass with its pooled features (the output layer's input, what the replay set
// and the adaptation hold) as well as its probabilities; built once per model. An adapted output layer is the
// model's own layer with new weights, so the two answer alike. Null for a model without that layer.
const describers = new WeakMap();
function describer(model) {
  if (!describers.has(model)) {
    const head = model.layers.find((layer) => layer.name === 'probabilities');
    describers.set(model, head ? tf.model({ inputs: model.inputs, outputs: [head.input, model.outputs[0]] }) : null);
  }
  return describers.get(model);
}

// { probabilities: one array per input, features: Float32Array (inputs x dim) or null, dim }.
export function describeBatch(model, inputs, preprocessing) {
  const both = describer(model);
  if (!both || !inputs.length) return { probabilities: classifyBatch(model, inputs, preprocessing), features: null, dim: 0 };
  const x = inputBatch(inputs, preprocessing);
  const outputs = both.predict(x);
  const features = outputs[0].dataSync().slice();
  const probabilities = rows(outputs[1].dataSync(), inputs.length);
  tf.dispose([x, ...outputs]);
  return { probabilities, features, dim: features.length / inputs.length };
}

// The inputs as one N x H x W x 3 tensor (the caller disposes it).
function inputBatch(inputs, preprocessing) {
  const [height, width] = preprocessing.input_size;
  const size = height * width * 3;
  const batch = new Float32Array(inputs.length * size);
  inputs.forEach((input, i) => batch.set(input, i * size));
  return tf.tensor4d(batch, [inputs.length, height, width, 3]);
}

const rows = (flat, count) => Array.from({ length: count }, (_, i) => {
  const width = flat.length / count;
  return Array.from(flat.subarray(i * width, (i + 1) * width));
});

// The cells of one photo in one call (one input tensor, one output, both freed by tf.tidy): a batch
// costs far less per cell than one call per cell. Returns one probability array per input.
export function classifyBatch(model, inputs, preprocessing) {
  if (!inputs.length) return [];
  return rows(tf.tidy(() => model.predict(inputBatch(inputs, preprocessing)).dataSync()), inputs.length);
}
