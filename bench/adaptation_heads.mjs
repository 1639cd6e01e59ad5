// Which output layer to adapt, measured under Node on features the published model computed
// (python -m bench.adaptation_heads writes them): web/js/adapt-head.js's heads on a clinic's cells
// reviewed in a fixed order, the rest scored, and the training labs' TEST samples (forgetting).
// Usage: node adaptation_heads.mjs <tf.min.js> <adapt-head.js> <work folder> <settings JSON list> <cells JSON list>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [tfPath, headPath, work, settingsList, cellsList] = process.argv.slice(2);
globalThis.tf = createRequire(import.meta.url)(tfPath);
const H = await import(pathToFileURL(headPath).href);
await tf.setBackend('cpu');

const bytes = (name) => { const b = readFileSync(`${work}/${name}`); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
const facts = JSON.parse(readFileSync(`${work}/facts.json`, 'utf8'));
const dim = facts.features;
const set = (name) => ({ x: new Float32Array(bytes(`${name}.f32`)), y: new Int32Array(bytes(`${name}.i32`)) });
const base = { kernel: new Float32Array(bytes('kernel.f32')), bias: new Float32Array(bytes('bias.f32')) };
const replay = { features: H.float16ToFloat32(new Uint8Array(bytes('replay.f16'))), labels: Int32Array.from(facts.replay_labels),
  count: facts.replay_labels.length };
const clinic = set('clinic');
const labs = Object.fromEntries(facts.labs.map((lab) => [lab, set(lab)]));
const rows = (data, indices) => {
  const x = new Float32Array(indices.length * dim);
  indices.forEach((row, i) => x.set(data.x.subarray(row * dim, (row + 1) * dim), i * dim));
  return { x, y: Int32Array.from(indices, (i) => data.y[i]) };
};
const score = (data, head) => H.balancedAccuracy(H.predictHead(data.x, dim, head), data.y);
// The same over the classes with at least 5 cells (tecom's one basophil would weigh as much as its neutrophils).
const MIN_CLASS_CELLS = 5;
const scoreCommon = (data, head) => {
  const counts = new Map();
  data.y.forEach((label) => counts.set(label, (counts.get(label) || 0) + 1));
  const keep = [...data.y.keys()].filter((i) => counts.get(data.y[i]) >= MIN_CLASS_CELLS);
  const predicted = H.predictHead(data.x, dim, head);
  return H.balancedAccuracy(Int32Array.from(keep, (i) => predicted[i]), Int32Array.from(keep, (i) => data.y[i]));
};
const order = facts.order;
const runs = [];
for (const settings of JSON.parse(settingsList)) {
  for (const cells of JSON.parse(cellsList)) {
    const reviewed = rows(clinic, order.slice(0, cells));
    const rest = rows(clinic, order.slice(cells));
    const started = performance.now();
    const head = H.fitHead({ features: reviewed.x, labels: reviewed.y, dim, base, settings,
      replay: settings.replay === false ? null : replay });
    runs.push({ settings, cells, seconds: (performance.now() - started) / 1000, rest_before: score(rest, base),
      rest_after: score(rest, head), rest_before_common: scoreCommon(rest, base), rest_after_common: scoreCommon(rest, head), labs: Object.fromEntries(Object.entries(labs).map(([lab, data]) => [lab, score(data, head)])) });
  }
}
process.stdout.write(JSON.stringify({ shipped: Object.fromEntries(Object.entries(labs).map(([lab, data]) => [lab, score(data, base)])), runs }));
