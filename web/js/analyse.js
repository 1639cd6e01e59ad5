// One photo, from its file to its white cells and what the network says of each. No DOM.
import { cropSquare, decodeImageFile, squareInput, toModelInput } from './preprocess.js';
import { findCandidates, pickMain } from './finder.js';
import { classifyBatch } from './model.js';
import { calibrated, calibrationOf, needsReview, ranked, reviewRule } from './differential.js';

// Cells classified per call: one call per photo in practice, bounded for a photo with very many cells.
const BATCH = 32;

// Lets the browser handle clicks, keys and painting before the next piece of work. It must be a new
// task: awaiting an already resolved promise (a microtask) would let nothing else run.
export function nextTask() {
  if (globalThis.scheduler && typeof globalThis.scheduler.yield === 'function') return globalThis.scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

const byScore = (a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : 0);

// Where the white cells are: { smear, found: [{ square, touchesEdge }], main }.
// With a finder spec: every white cell, most prominent first, exactly as findCells() lists them (done
// here from the one findCandidates() call, which findCells would repeat), and the photo's main cell
// (pickMain, the cell Python's training and evaluation use for one-cell photos) when it is among them.
// Models from before the finder see each photo as one cell: the square they were trained on.
function locate(image, spec) {
  if (spec.crop !== 'cell_sized') {
    return { smear: true, found: [{ square: spec.crop === 'full_frame' ? null : cropSquare(image, spec), touchesEdge: false }], main: 0 };
  }
  const { cells: candidates, info } = findCandidates(image, spec.finder);
  if (spec.finder.require_smear && !info.smear.is_smear) return { smear: false, found: [], main: null };
  const white = candidates.filter((cell) => cell.white).sort(byScore);
  const main = white.indexOf(pickMain(candidates));
  return {
    smear: true,
    found: white.map((cell) => ({ square: cell.crop, touchesEdge: cell.touches_edge, nucleus: cell.nucleus_box })),
    main: main >= 0 ? main : null,
  };
}

// The cell's outline, [left, top, width, height] clipped to the photo: its nucleus's box (top, left,
// bottom, right) widened by a quarter of its longer side all round, for the cytoplasm around it. Drawn
// on the photo; the crop square (twice the nucleus) is what the network saw.
function cellOutline(nucleus, image) {
  if (!nucleus) return null;
  const [top, left, bottom, right] = nucleus;
  const margin = Math.floor(Math.max(bottom - top, right - left) / 4);
  const x0 = Math.max(0, left - margin);
  const y0 = Math.max(0, top - margin);
  return [x0, y0, Math.min(image.width, right + margin) - x0, Math.min(image.height, bottom + margin) - y0];
}

// [left, top, width, height] of the square clipped to the photo (a cell_sized square may reach past it).
function visibleBox(square, image) {
  if (!square) return [0, 0, image.width, image.height];
  const [top, left, side] = square;
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  return [x0, y0, Math.max(0, Math.min(image.width, left + side) - x0), Math.max(0, Math.min(image.height, top + side) - y0)];
}

async function classifyInBatches(model, inputs, spec) {
  const outputs = [];
  for (let start = 0; start < inputs.length; start += BATCH) {
    await nextTask();
    outputs.push(...classifyBatch(model, inputs.slice(start, start + BATCH), spec));
  }
  return outputs;
}

function describeCell(cell, number, image, output, metadata, rule) {
  const values = calibrated(output.values, calibrationOf(metadata));  // as the review thresholds were chosen
  const probabilities = Object.fromEntries(metadata.classes.map((name, k) => [name, values[k]]));
  const [[modelClass, probability]] = ranked(probabilities);
  const [height, width] = metadata.preprocessing.input_size;
  return {
    number,
    square: cell.square,
    box: visibleBox(cell.square, image),
    outline: cellOutline(cell.nucleus, image),
    touchesEdge: cell.touchesEdge,
    probabilities,
    modelClass,
    probability,
    review: needsReview(probabilities, rule),
    // What the network saw, as 8-bit RGB: shown enlarged when the cell is selected, and kept with the sample.
    input: { width, height, rgb: Uint8ClampedArray.from(output.input) },
  };
}

// Resolves to { status: 'cells' | 'no-cells' | 'not-smear', width, height, main, cells, classes, model,
// milliseconds }; throws ImageReadError for a file that is not a readable photo. Yields to the browser
// between the photo's steps and between its cells, so a long run keeps the page responsive.
export async function analysePhoto(file, { model, metadata }) {
  const started = performance.now();
  const spec = metadata.preprocessing;
  const image = await decodeImageFile(file, spec);
  await nextTask();
  const { smear, found, main } = locate(image, spec);
  const inputs = [];
  for (const cell of found) {
    await nextTask();
    inputs.push(cell.square ? squareInput(image, cell.square, spec) : toModelInput(image, spec));
  }
  const outputs = await classifyInBatches(model, inputs, spec);
  const rule = reviewRule(metadata);
  const cells = found.map((cell, i) => describeCell(cell, i + 1, image, { values: outputs[i], input: inputs[i] }, metadata, rule));
  return {
    status: !smear ? 'not-smear' : cells.length ? 'cells' : 'no-cells',
    width: image.width,
    height: image.height,
    main,
    cells,
    classes: [...metadata.classes],
    model: { name: metadata.name, version: metadata.version },
    milliseconds: performance.now() - started,
  };
}
