// The features a converted model's output layer reads (the pooled layer before the classifier), computed
// by the vendored TensorFlow.js (pure-JS CPU backend) under Node: the replay set published with the model
// (convert/replay.py) must be what the page's own model computes, not what Keras did before conversion.
// Usage: node tfjs_features.mjs <tf.min.js> <model dir> <inputs.f32> <height> <width> <out.f32>
// Writes count x features float32 to out.f32 and prints {"count", "features", "layer"} as JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [tfPath, modelDir, inputsPath, height, width, outPath] = process.argv.slice(2);
const tf = createRequire(import.meta.url)(tfPath);
const OUTPUT_LAYER = 'probabilities';
const BATCH = 64;

function readArtifacts(dir) {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const groups = modelJson.weightsManifest;
  const shards = groups.flatMap((group) => group.paths).map((path) => readFileSync(join(dir, path)));
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: groups.flatMap((group) => group.weights),
    weightData: new Uint8Array(Buffer.concat(shards)).buffer,
  };
}

async function features() {
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(tf.io.fromMemory(readArtifacts(modelDir)));
  const head = model.getLayer(OUTPUT_LAYER);
  // An averaged ensemble's output layer reads several networks' answers: there is no one layer to adapt.
  if (Array.isArray(head.input)) return { unsupported: `its "${OUTPUT_LAYER}" layer averages several networks` };
  const extractor = tf.model({ inputs: model.inputs, outputs: head.input });
  const raw = readFileSync(inputsPath);
  const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const size = Number(height) * Number(width) * 3;
  const count = values.length / size;
  const dim = head.input.shape.at(-1);
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const batch = values.subarray(start * size, (start + n) * size);
    out.set(tf.tidy(() => extractor.predict(tf.tensor4d(batch, [n, Number(height), Number(width), 3])).dataSync()), start * dim);
  }
  writeFileSync(outPath, Buffer.from(out.buffer));
  return { count, features: dim, layer: head.inboundNodes[0].inboundLayers[0].name };
}

try {
  process.stdout.write(JSON.stringify(await features()));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
