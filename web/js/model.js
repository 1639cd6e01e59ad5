// Loading the published model: index.json -> metadata.json -> weights, on the fastest backend.
import { checkSpec } from './preprocess.js';

const BACKENDS = ['wasm', 'webgl', 'cpu'];
const BACKEND_START_LIMIT_MS = 15000;
const FIX = 'Run `make train convert` on the server machine to publish one.';

export class ModelLoadError extends Error {}

async function fetchJson(url, what, missing) {
  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (error) {
    throw new ModelLoadError(`Could not reach the server for ${what}.`);
  }
  if (response.status === 404) throw new ModelLoadError(missing || `${what} is missing (${url}). ${FIX}`);
  if (!response.ok) throw new ModelLoadError(`${what} could not be loaded (HTTP ${response.status}).`);
  try {
    return await response.json();
  } catch (error) {
    throw new ModelLoadError(`${what} is damaged (not valid JSON). ${FIX}`);
  }
}

// The shape guard for metadata.json: what the page relies on must be there.
export function metadataProblem(metadata) {
  if (!metadata || typeof metadata !== 'object') return 'it is not an object';
  const { classes, preprocessing, model } = metadata;
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string')) {
    return '"classes" must list at least two class names';
  }
  if (!preprocessing || !Array.isArray(preprocessing.input_size)) return '"preprocessing.input_size" is missing';
  if (!model || typeof model.file !== 'string') return '"model.file" is missing';
  return null;
}

// A backend whose start-up hangs (a blocked worker, say) must not stall the page forever.
function withinLimit(promise, name) {
  let timer;
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not start`)), BACKEND_START_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

async function startBackend() {
  tf.wasm.setWasmPaths(new URL('vendor/tfjs/', document.baseURI).href);
  // The threaded WASM build loads its workers from blob: URLs, which the page's CSP does not
  // allow; the single-threaded SIMD build needs no workers.
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

export async function loadDefaultModel() {
  const index = await fetchJson('models/index.json', 'The model list',
    'No model is published yet: run `make train convert` on the server machine.');
  const entry = (index.models || []).find((m) => m.name === index.default);
  if (!entry) throw new ModelLoadError(`The model list names no usable default model. ${FIX}`);
  const base = `models/${entry.path}`;
  const metadata = await fetchJson(`${base}metadata.json`, `The metadata of model "${entry.name}"`);
  const problem = metadataProblem(metadata);
  if (problem) throw new ModelLoadError(`The model's metadata is damaged: ${problem}.`);
  try {
    checkSpec(metadata.preprocessing);
  } catch (error) {
    throw new ModelLoadError(`This page cannot prepare photos the way the model expects (${error.message}). Update the page or convert the model again.`);
  }
  const backend = await startBackend();
  let model;
  try {
    model = await tf.loadLayersModel(`${base}${metadata.model.file}`);
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
  return { model, metadata, backend };
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
  const [height, width] = preprocessing.input_size;
  return tf.tidy(() => Array.from(model.predict(tf.tensor4d(input, [1, height, width, 3])).dataSync()));
}
