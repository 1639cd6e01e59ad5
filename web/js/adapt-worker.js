// Adapting the model, off the page's thread: the reviewed cells' pooled features on the WASM backend
// (as the page computes them), then the output layer trained on the cpu backend (tfjs's WASM backend
// registers no gradient for some kernels, tfjs issue #8474; the cpu backend has them all).
// In:  { artifacts, wasmPath, inputs (Float32Array, count x h x w x 3), inputSize [h, w], labels, replay, settings }
// Out: { type: 'progress', stage, done, total } ... then { type: 'done', head, before, after, heldOut, featureSeconds,
//      trainSeconds } or { type: 'error', message }.
import './worker-globals.js';
import '../vendor/tfjs/tf.min.js';
import '../vendor/tfjs/tf-backend-wasm.min.js';
import { adaptHead, float16ToFloat32 } from './adapt-head.js';

const OUTPUT_LAYER = 'probabilities';
const BATCH = 32;

async function pooledFeatures(model, inputs, [height, width]) {
  const head = model.getLayer(OUTPUT_LAYER);
  const extractor = tf.model({ inputs: model.inputs, outputs: head.input });
  const size = height * width * 3;
  const count = inputs.length / size;
  const dim = head.input.shape.at(-1);
  const features = new Float32Array(count * dim);
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const batch = inputs.subarray(start * size, (start + n) * size);
    features.set(tf.tidy(() => extractor.predict(tf.tensor4d(batch, [n, height, width, 3])).dataSync()), start * dim);
    postMessage({ type: 'progress', stage: 'features', done: start + n, total: count });
  }
  const [kernel, bias] = head.getWeights().map((tensor) => tensor.dataSync().slice());
  return { features, dim, base: { kernel, bias } };
}

async function adapt({ artifacts, wasmPath, inputs, inputSize, labels, replay, settings }) {
  const started = performance.now();
  tf.wasm.setWasmPaths(wasmPath);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // as on the page (model.js says why)
  if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend did not start in the worker');
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const { features, dim, base } = await pooledFeatures(model, inputs, inputSize);
  model.dispose();
  const featured = performance.now();
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start in the worker');
  const replaySet = { features: float16ToFloat32(replay.bytes), labels: Int32Array.from(replay.labels), count: replay.count };
  if (replaySet.features.length !== replaySet.count * dim) {
    throw new Error(`the replay set holds ${replaySet.features.length / replaySet.count} features per cell, the model gives ${dim}`);
  }
  const result = adaptHead({ features, labels, dim, replay: replaySet, base, settings,
    onProgress: (done, total) => postMessage({ type: 'progress', stage: 'training', done, total }) });
  return { ...result, featureSeconds: (featured - started) / 1000, trainSeconds: (performance.now() - featured) / 1000 };
}

self.onmessage = async ({ data }) => {
  try {
    postMessage({ type: 'done', ...(await adapt(data)) });
  } catch (error) {
    postMessage({ type: 'error', message: error.message || String(error) });
  }
};
