// Adapting the loaded model to this clinic's reviewed cells: what is needed before, the worker that
// does it (adapt-worker.js), what is adopted after, and how an adapted model is named. No DOM.
export const MIN_CELLS = 30;
export const MIN_CLASSES = 2;
export const OUTPUT_LAYER = 'probabilities';

export class AdaptationError extends Error {}

// The reviewed cells the model can learn from: those of classes it knows, with an input of its size.
export function usableCells(cells, metadata) {
  const [height, width] = metadata.preprocessing.input_size;
  return cells.filter((cell) => metadata.classes.includes(cell.className)
    && cell.input && cell.input.width === width && cell.input.height === height && cell.input.rgb.length === width * height * 3);
}

// Why adapting cannot start yet, or null.
export function notReadyReason(cells, loaded) {
  if (!loaded) return 'No model is loaded.';
  if (loaded.replay && loaded.replay.problem) return `This model cannot be adapted: ${loaded.replay.problem}.`;
  const usable = usableCells(cells, loaded.metadata);
  const classes = new Set(usable.map((cell) => cell.className)).size;
  if (usable.length < MIN_CELLS || classes < MIN_CLASSES) {
    return `Adapting needs at least ${MIN_CELLS} reviewed cells of at least ${MIN_CLASSES} classes `
      + `(${usable.length} of ${classes} ${classes === 1 ? 'class' : 'classes'} so far).`;
  }
  return null;
}

// The output layer the model was published with, to return to.
export function currentHead(model) {
  const [kernel, bias] = model.getLayer(OUTPUT_LAYER).getWeights().map((tensor) => tensor.dataSync().slice());
  return { kernel, bias };
}

export function applyHead(model, head) {
  const layer = model.getLayer(OUTPUT_LAYER);
  const [kernelShape, biasShape] = layer.getWeights().map((tensor) => tensor.shape);
  const weights = [tf.tensor(head.kernel, kernelShape), tf.tensor(head.bias, biasShape)];
  layer.setWeights(weights);
  weights.forEach((tensor) => tensor.dispose());
}

function workerInput(cells, loaded, settings) {
  const [height, width] = loaded.metadata.preprocessing.input_size;
  const size = height * width * 3;
  const inputs = new Float32Array(cells.length * size);
  cells.forEach((cell, i) => inputs.set(cell.input.rgb, i * size));
  const labels = Int32Array.from(cells, (cell) => loaded.metadata.classes.indexOf(cell.className));
  return {
    artifacts: loaded.artifacts,
    wasmPath: new URL('vendor/tfjs/', document.baseURI).href,
    inputs,
    inputSize: [height, width],
    labels,
    replay: { bytes: loaded.replay.bytes, labels: loaded.replay.labels, count: loaded.replay.count },
    settings,
  };
}

// Runs the worker on the reviewed cells; resolves with { head, before, after, heldOut, ... }.
// onProgress(fraction, stage). The page's thread only copies the inputs and waits.
export function runAdaptation(cells, loaded, { onProgress = () => {}, settings = {}, workerUrl } = {}) {
  const input = workerInput(cells, loaded, settings);
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl || new URL('./adapt-worker.js', import.meta.url), { type: 'module' });
    const finish = (settle, value) => { worker.terminate(); settle(value); };
    worker.onerror = (event) => {
      event.preventDefault();
      finish(reject, new AdaptationError(`the adaptation worker failed to run (${event.message || 'it could not be loaded'})`));
    };
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') {
        // Features are about a fifth of the work; training the heads the rest.
        onProgress(data.stage === 'features' ? 0.2 * (data.done / data.total) : 0.2 + 0.8 * (data.done / data.total), data.stage);
      } else if (data.type === 'done') {
        finish(resolve, data);
      } else if (data.type === 'error') {
        finish(reject, new AdaptationError(data.message));
      }
    };
    worker.postMessage(input, [input.inputs.buffer]);
  });
}

function shortId() {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function perClass(cells) {
  const counts = {};
  for (const cell of cells) counts[cell.className] = (counts[cell.className] || 0) + 1;
  return counts;
}

// What is kept of an adaptation, and exported with it: never a cell, only counts and figures.
export function adaptationRecord(result, cells, metadata, seconds) {
  return {
    id: shortId(),
    base: { name: metadata.name, version: metadata.version },
    head: { kernel: Float32Array.from(result.head.kernel), bias: Float32Array.from(result.head.bias) },
    classes: metadata.classes,
    cells: cells.length,
    perClass: perClass(cells),
    before: result.before,
    after: result.after,
    heldOut: result.heldOut,
    seconds,
    adopted: result.after > result.before,
    created: new Date().toISOString(),
    source: 'this browser',
  };
}

// Adopted only when it is better on the reviewed cells it was not fitted to.
export const isImprovement = (record) => record.after !== null && record.before !== null && record.after > record.before;

// How the page, the CSV and the report name a model adapted here: shipped name and version, adaptation id, cells.
export function adaptedMetadata(shipped, adaptation) {
  if (!adaptation) return shipped;
  return {
    ...shipped,
    name: `${shipped.name} + adaptation ${adaptation.id} from ${adaptation.cells} reviewed cells`,
    adaptation: summary(adaptation),
  };
}

export function summary(adaptation) {
  const { id, base, cells, perClass: counts, before, after, heldOut, created, source } = adaptation;
  return { id, base, cells, per_class: counts, before, after, held_out: heldOut, created, source,
    method: 'output layer re-fitted on the reviewed cells and the replay set (web/js/adapt-head.js)' };
}
