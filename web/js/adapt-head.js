// The adaptation's arithmetic on pooled features: a new output layer for the network, fitted to a
// clinic's reviewed cells, and measured on reviewed cells it was not fitted to. No DOM; `tf` is the
// TensorFlow.js global (the worker's, or Node's in the tests). Features are flat Float32Arrays,
// count x dim; labels are class indices; a head is { kernel: dim x classes, bias: classes }.
//
// Two heads were measured (bench/adaptation.md):
// - 'refit': the shipped output layer, trained further on the reviewed cells and on the replay set of
//   the training labs' cells (which keeps the classes this clinic has not reviewed), pulled towards the
//   shipped weights so that a few cells cannot drag it far;
// - 'prototype': each class's mean feature (Teachable Machine's pattern), as a layer of the same shape;
// - 'blend': the two added (logits of the re-fitted layer + blend x the prototypes'), still one layer.
// 'refit' is the page's: the others were no better on tecom's cells not reviewed. 100 steps at 0.1
// converge (more steps, or 0.03, gave the same answers); the 60 steps at 0.03 used before stopped short.

export const DEFAULTS = {
  head: 'refit',
  steps: 100,            // full-batch Adam steps
  learningRate: 0.1,
  pull: 0.001,           // weight of |W - W_shipped|^2
  replayWeight: 0.5,     // the replay set's share of the loss
  folds: 4,
  blend: 0.5,            // the prototypes' share in 'blend'
};

// Mean over the classes present in `truth` of the share of their cells predicted right.
export function balancedAccuracy(predicted, truth) {
  const right = new Map();
  const total = new Map();
  truth.forEach((label, i) => {
    total.set(label, (total.get(label) || 0) + 1);
    if (predicted[i] === label) right.set(label, (right.get(label) || 0) + 1);
  });
  if (!total.size) return null;
  let sum = 0;
  for (const [label, count] of total) sum += (right.get(label) || 0) / count;
  return sum / total.size;
}

export function argmaxRows(values, classes) {
  const out = new Int32Array(values.length / classes);
  for (let row = 0; row < out.length; row += 1) {
    let best = 0;
    for (let c = 1; c < classes; c += 1) if (values[row * classes + c] > values[row * classes + best]) best = c;
    out[row] = best;
  }
  return out;
}

// Softmax probabilities of a head on features, count x classes.
export function headProbabilities(features, dim, head) {
  return tf.tidy(() => {
    const x = tf.tensor2d(features, [features.length / dim, dim]);
    const kernel = tf.tensor2d(head.kernel, [dim, head.bias.length]);
    return tf.softmax(x.matMul(kernel).add(tf.tensor1d(head.bias))).dataSync();
  });
}

export const predictHead = (features, dim, head) => argmaxRows(headProbabilities(features, dim, head), head.bias.length);

// Per-cell weights that give every class the same total: balanced accuracy is what is measured,
// and a clinic's neutrophils would otherwise drown its few eosinophils.
function classBalancedWeights(labels, total) {
  const counts = new Map();
  labels.forEach((label) => counts.set(label, (counts.get(label) || 0) + 1));
  const perClass = total / counts.size;
  return Float32Array.from(labels, (label) => perClass / counts.get(label));
}

function oneHot(labels, classes) {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => { out[i * classes + label] = 1; });
  return out;
}

// The shipped output layer trained further on the reviewed cells and the replay set.
export function refitHead({ features, labels, dim, replay, base, settings }) {
  const classes = base.bias.length;
  const s = { ...DEFAULTS, ...settings };
  return tf.tidy(() => {
    const kernel0 = tf.tensor2d(base.kernel, [dim, classes]);
    const bias0 = tf.tensor1d(base.bias);
    const kernel = tf.variable(kernel0.clone());
    const bias = tf.variable(bias0.clone());
    const parts = [{ x: features, y: labels, share: replay && replay.count ? 1 - s.replayWeight : 1 }];
    if (replay && replay.count) parts.push({ x: replay.features, y: replay.labels, share: s.replayWeight });
    const tensors = parts.map(({ x, y, share }) => ({
      x: tf.tensor2d(x, [y.length, dim]),
      y: tf.tensor2d(oneHot(y, classes), [y.length, classes]),
      w: tf.tensor1d(classBalancedWeights(Array.from(y), share)),
    }));
    const optimizer = tf.train.adam(s.learningRate);
    for (let step = 0; step < s.steps; step += 1) {
      optimizer.minimize(() => {
        const fit = tensors.map(({ x, y, w }) => tf.losses.softmaxCrossEntropy(y, x.matMul(kernel).add(bias), w,
          0, tf.Reduction.SUM));
        const pull = kernel.sub(kernel0).square().sum().add(bias.sub(bias0).square().sum()).mul(s.pull);
        return tf.addN([...fit, pull]);
      });
      if (settings && settings.onStep) settings.onStep(step + 1, s.steps);
    }
    optimizer.dispose();
    const head = { kernel: kernel.dataSync().slice(), bias: bias.dataSync().slice() };
    kernel.dispose();
    bias.dispose();
    return head;
  });
}

// Each class's mean feature, from the reviewed cells (and the replay set's cells of classes not
// reviewed), as a layer: -|x - m|^2 / T = (2 m.x - |m|^2) / T + a term equal for every class.
export function prototypeHead({ features, labels, dim, replay, base }) {
  const classes = base.bias.length;
  const sums = new Float64Array(classes * dim);
  const counts = new Float64Array(classes);
  const add = (x, y, only) => y.forEach((label, i) => {
    if (only && !only(label)) return;
    counts[label] += 1;
    for (let d = 0; d < dim; d += 1) sums[label * dim + d] += x[i * dim + d];
  });
  add(features, labels);
  const reviewed = new Set(labels);
  if (replay && replay.count) add(replay.features, replay.labels, (label) => !reviewed.has(label));
  const means = Array.from({ length: classes }, (_, c) => Float64Array.from({ length: dim },
    (_, d) => (counts[c] ? sums[c * dim + d] / counts[c] : 0)));
  const temperature = meanSquaredDistance(features, labels, dim, means) || 1;
  const kernel = new Float32Array(dim * classes);
  const bias = new Float32Array(classes);
  means.forEach((mean, c) => {
    if (!counts[c]) { bias[c] = -1e9; return; }
    let norm = 0;
    for (let d = 0; d < dim; d += 1) {
      kernel[d * classes + c] = (2 * mean[d]) / temperature;
      norm += mean[d] * mean[d];
    }
    bias[c] = -norm / temperature;
  });
  return { kernel, bias };
}

function meanSquaredDistance(features, labels, dim, means) {
  let sum = 0;
  labels.forEach((label, i) => {
    for (let d = 0; d < dim; d += 1) sum += (features[i * dim + d] - means[label][d]) ** 2;
  });
  return labels.length ? sum / labels.length : 0;
}

// A layer whose logits are the sum of both heads' (classes with no mean keep the re-fitted layer's).
export function blendHead(data) {
  const s = { ...DEFAULTS, ...data.settings };
  const refit = refitHead(data);
  const prototype = prototypeHead(data);
  const known = (c) => prototype.bias[c] > -1e9;
  const classes = refit.bias.length;
  return {
    kernel: Float32Array.from(refit.kernel, (v, i) => v + (known(i % classes) ? s.blend * prototype.kernel[i] : 0)),
    bias: Float32Array.from(refit.bias, (v, c) => v + (known(c) ? s.blend * prototype.bias[c] : 0)),
  };
}

export const HEADS = { refit: refitHead, prototype: prototypeHead, blend: blendHead };

export function fitHead(data) {
  const head = HEADS[(data.settings && data.settings.head) || DEFAULTS.head];
  if (!head) throw new Error(`unknown head ${data.settings.head}`);
  return head(data);
}

function rows(features, dim, indices) {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((row, i) => out.set(features.subarray(row * dim, (row + 1) * dim), i * dim));
  return out;
}

// Folds that each hold every class in proportion (cell i of a class goes to fold i mod k).
export function stratifiedFolds(labels, folds) {
  const seen = new Map();
  return Array.from(labels, (label) => {
    const n = seen.get(label) || 0;
    seen.set(label, n + 1);
    return n % folds;
  });
}

// Balanced accuracy on the reviewed cells before (the shipped layer) and after (each cell predicted
// by a head fitted without its fold), then the head fitted on every reviewed cell.
// onProgress(done, total) counts fitted heads.
export function adaptHead({ features, labels, dim, replay, base, settings = {}, onProgress = () => {} }) {
  const s = { ...DEFAULTS, ...settings };
  const fold = stratifiedFolds(labels, s.folds);
  const outOfFold = new Int32Array(labels.length);
  const total = s.folds + 1;
  for (let k = 0; k < s.folds; k += 1) {
    const train = [...labels.keys()].filter((i) => fold[i] !== k);
    const test = [...labels.keys()].filter((i) => fold[i] === k);
    if (!test.length) continue;
    const head = fitHead({ features: rows(features, dim, train), labels: Int32Array.from(train, (i) => labels[i]),
      dim, replay, base, settings: s });
    predictHead(rows(features, dim, test), dim, head).forEach((p, j) => { outOfFold[test[j]] = p; });
    onProgress(k + 1, total);
  }
  const head = fitHead({ features, labels, dim, replay, base, settings: s });
  onProgress(total, total);
  return {
    head,
    before: balancedAccuracy(predictHead(features, dim, base), labels),
    after: balancedAccuracy(outOfFold, labels),
    heldOut: labels.length,
  };
}

// IEEE half floats (the replay set's storage) to float32.
export function float16ToFloat32(bytes) {
  const half = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i += 1) {
    const h = half[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return out;
}
