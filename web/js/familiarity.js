// How unlike the training labs a sample's cells look, without labels: the twin of core/familiarity.py
// (parity-tested). A cell's distance is 1 - the mean cosine similarity of its pooled features to its
// nearest replay cells (the model's training labs' cells); a sample is unlike them when the mean distance
// of its counted cells is past the model's threshold (metadata "familiarity", train/familiarity.py). The
// review flags were chosen on the training labs: on another lab the network can be sure and wrong. No DOM.
import { float16ToFloat32 } from './adapt-head.js';

function unitRows(values, dim) {
  const rows = new Float64Array(values.length);
  for (let start = 0; start < values.length; start += dim) {
    let norm = 0;
    for (let k = 0; k < dim; k += 1) norm += values[start + k] * values[start + k];
    norm = Math.max(Math.sqrt(norm), 1e-12);
    for (let k = 0; k < dim; k += 1) rows[start + k] = values[start + k] / norm;
  }
  return rows;
}

// The replay set as unit rows, or null when the model has no replay set or no familiarity threshold.
export function familiarityReference(metadata, replay) {
  const spec = metadata.familiarity;
  if (!spec || !replay || !replay.bytes) return null;
  const dim = replay.features || metadata.replay.features;
  return { rows: unitRows(float16ToFloat32(replay.bytes), dim), dim, count: replay.count, spec };
}

// Per cell of features (count x dim, row after row): its distance to the reference's nearest rows.
export function neighbourDistances(features, reference) {
  const { rows, dim, count, spec } = reference;
  const unit = unitRows(features, dim);
  const distances = [];
  for (let start = 0; start < unit.length; start += dim) {
    const nearest = [];
    for (let r = 0; r < count; r += 1) {
      let similarity = 0;
      for (let k = 0; k < dim; k += 1) similarity += unit[start + k] * rows[r * dim + k];
      nearest.push(similarity);
    }
    nearest.sort((a, b) => b - a);
    const taken = nearest.slice(0, spec.neighbours);
    distances.push(1 - taken.reduce((sum, value) => sum + value, 0) / taken.length);
  }
  return distances;
}

// { state: 'unavailable' | 'too-few' | 'like' | 'unlike', cells, distance, threshold, minCells } of a sample's
// counted cells (each with its `distance`), under the model's familiarity spec (null: none).
export function sampleFamiliarity(cells, spec) {
  if (!spec) return { state: 'unavailable', cells: 0, distance: null, threshold: null, minCells: null };
  const measured = cells.filter((cell) => typeof cell.distance === 'number' && !cell.excluded);
  const distance = measured.length ? measured.reduce((sum, cell) => sum + cell.distance, 0) / measured.length : null;
  const judged = measured.length >= spec.min_cells;
  const state = !judged ? 'too-few' : distance > spec.threshold ? 'unlike' : 'like';
  return { state, cells: measured.length, distance, threshold: spec.threshold, minCells: spec.min_cells };
}

// What the CSV says of it: one line, or null for a model without a threshold.
export function familiarityText({ state, cells, distance, threshold, minCells }) {
  if (state === 'unavailable') return null;
  const measured = distance === null ? 'no cell measured' : `mean distance ${distance.toFixed(3)} over ${cells} cells`;
  const verdict = { 'too-few': `not judged below ${minCells} cells`, like: 'like the training labs',
    unlike: 'UNLIKE the training labs: review every cell' }[state];
  return `${verdict} (${measured}; threshold ${threshold.toFixed(3)})`;
}
