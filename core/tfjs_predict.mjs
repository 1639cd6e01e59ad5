// Run a converted model with the vendored TensorFlow.js (pure-JS CPU backend) on raw inputs.
// Usage: node tfjs_predict.mjs <tf.min.js> <model dir> <inputs.f32> <height> <width>
// Prints the probabilities as JSON, one row per input, so convert/ can compare them with Keras.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [tfPath, modelDir, inputsPath, height, width] = process.argv.slice(2);
const tf = createRequire(import.meta.url)(tfPath);

function readArtifacts(dir) {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const groups = modelJson.weightsManifest;
  const shards = groups.flatMap((group) => group.paths).map((path) => readFileSync(join(dir, path)));
  const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: groups.flatMap((group) => group.weights),
    weightData,
  };
}

async function predict() {
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(tf.io.fromMemory(readArtifacts(modelDir)));
  const raw = readFileSync(inputsPath);
  const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const count = values.length / (Number(height) * Number(width) * 3);
  return tf.tidy(() => model.predict(tf.tensor4d(values, [count, Number(height), Number(width), 3])).arraySync());
}

try {
  process.stdout.write(JSON.stringify(await predict()));
} catch (error) {
  // Only the message: Node would otherwise print the offending line of the minified tf.min.js.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
