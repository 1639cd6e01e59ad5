// Run inside the Leukolens page by Selenium's execute_async_script: times TensorFlow.js itself on
// a backend (load, first prediction, single images, batches) or predicts every input of a file.
// The page's own model and backend are left as they were; web/js/model.js is not involved.
// Arguments: one options object ({task: 'speed' | 'predict', ...}), then WebDriver's callback.
const [options, done] = arguments;

const median = (values) => quantile(values, 0.5);

// Linear interpolation between order statistics (numpy's default), so Python can check it.
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

// Fixed pseudo-random pixels (0..255): speed does not depend on the values, only their count.
function pixels(count) {
  const values = new Float32Array(count);
  let state = 12345;
  for (let i = 0; i < count; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state >>> 24;
  }
  return values;
}

// What the page does per photo: a tensor from the prepared pixels, predict, read the probabilities.
function classifyOnce(model, input, shape) {
  return tf.tidy(() => model.predict(tf.tensor4d(input, shape)).dataSync());
}

// Repeats a timed call until `repeats` runs or `budgetMs` has passed (at least `minimum` runs).
function timeRepeatedly(call, { repeats, budgetMs, minimum }) {
  const times = [];
  const started = performance.now();
  while (times.length < repeats && (times.length < minimum || performance.now() - started < budgetMs)) {
    const begin = performance.now();
    call();
    times.push(performance.now() - begin);
  }
  return times;
}

async function onBackend(name, work) {
  const previous = tf.getBackend();
  try {
    if (!(await tf.setBackend(name))) return { available: false, reason: `${name} did not start in this browser` };
    await tf.ready();
    return { available: true, ...(await work()) };
  } finally {
    await tf.setBackend(previous);
  }
}

async function speed({ url, backend, height, width, repeats, batch, batchRepeats, budgetMs }) {
  return onBackend(backend, async () => {
    let begin = performance.now();
    const model = await tf.loadLayersModel(url);
    const loadMs = performance.now() - begin;
    try {
      const single = pixels(height * width * 3);
      begin = performance.now();
      classifyOnce(model, single, [1, height, width, 3]);
      const firstMs = performance.now() - begin;
      const singleMs = timeRepeatedly(() => classifyOnce(model, single, [1, height, width, 3]),
        { repeats, budgetMs, minimum: 5 });
      const many = pixels(batch * height * width * 3);
      classifyOnce(model, many, [batch, height, width, 3]);  // a new shape compiles new kernels on WebGL
      const batchMs = timeRepeatedly(() => classifyOnce(model, many, [batch, height, width, 3]),
        { repeats: batchRepeats, budgetMs, minimum: 2 });
      return {
        load_ms: loadMs,
        first_inference_ms: firstMs,
        single_ms: singleMs,
        single_median_ms: median(singleMs),
        single_p95_ms: quantile(singleMs, 0.95),
        batch_size: batch,
        batch_ms: batchMs,
        batch_per_image_median_ms: median(batchMs) / batch,
      };
    } finally {
      model.dispose();
    }
  });
}

async function readInputs(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Float32Array(await response.arrayBuffer());
}

// Probabilities for every input in raw float32 files (each N x height x width x 3), in batches.
async function predict({ url, inputUrls, backend, height, width, batch }) {
  return onBackend(backend, async () => {
    const model = await tf.loadLayersModel(url);
    try {
      const size = height * width * 3;
      const probabilities = [];
      for (const inputUrl of inputUrls) {
        const inputs = await readInputs(inputUrl);
        for (let start = 0; start < inputs.length; start += batch * size) {
          const chunk = inputs.subarray(start, Math.min(inputs.length, start + batch * size));
          const shape = [chunk.length / size, height, width, 3];
          probabilities.push(...tf.tidy(() => model.predict(tf.tensor4d(chunk, shape)).arraySync()));
        }
      }
      return { probabilities };
    } finally {
      model.dispose();
    }
  });
}

const TASKS = { speed, predict };
const failed = (error) => done({ available: false, reason: String((error && error.message) || error) });
TASKS[options.task](options).then(done, failed);
