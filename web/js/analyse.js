// One photo, from its file to its white cells and what the network says of each. No DOM.
import { cropMode, decodeBalancedImageFile, squareInput } from './preprocess.js';
import { cellAt, photoCells } from './photo-cells.js';
import { describeBatch } from './model.js';
import { neighbourDistances } from './familiarity.js';
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

// The cell's outline, [left, top, width, height]: its own extent (photo-cells.js cell_box: its nucleus and
// the cytoplasm round it, already clipped to the photo). Drawn on the photo; the crop square (about twice
// the nucleus) is what the network saw.
function cellOutline(cellBox) {
  if (!cellBox) return null;
  const [top, left, bottom, right] = cellBox;
  return [left, top, right - left, bottom - top];
}

// [left, top, width, height] of the square clipped to the photo (a cell_sized square may reach past it).
function visibleBox(square, image) {
  if (!square) return [0, 0, image.width, image.height];
  const [top, left, side] = square;
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  return [x0, y0, Math.max(0, Math.min(image.width, left + side) - x0), Math.max(0, Math.min(image.height, top + side) - y0)];
}

// [{ values (probabilities), distance (to the training labs' cells, familiarity.js; null without a reference) }].
async function classifyInBatches(model, inputs, spec, reference) {
  const outputs = [];
  for (let start = 0; start < inputs.length; start += BATCH) {
    await nextTask();
    const { probabilities, features, dim } = describeBatch(model, inputs.slice(start, start + BATCH), spec);
    const distances = reference && features && dim === reference.dim ? neighbourDistances(features, reference) : [];
    outputs.push(...probabilities.map((values, i) => ({ values, distance: distances[i] ?? null })));
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
    outline: cellOutline(cell.cell_box),
    touchesEdge: cell.touches_edge,
    probabilities,
    modelClass,
    probability,
    review: needsReview(probabilities, rule),
    distance: output.distance,  // from the training labs' cells (familiarity.js), or null
    // What the network saw, as 8-bit RGB: shown enlarged when the cell is selected, and kept with the sample.
    input: { width, height, rgb: Uint8ClampedArray.from(output.input) },
  };
}

// Resolves to { status: 'cells' | 'no-cells' | 'not-smear', lookedAnyway, width, height, main, cells, classes,
// model, colour, milliseconds }; throws ImageReadError for a file that is not a readable photo. lookAnyway: the
// person asked for the cells of a photo the smear check refused. pooled: the sample's pooled white point, to
// balance the photo's colour by in place of its own (colour-pool.js). Yields to the browser between the photo's
// steps and between its cells, so a long run keeps the page responsive.
export async function analysePhoto(file, { model, metadata, reference = null }, { lookAnyway = false, pooled = null } = {}) {
  const started = performance.now();
  const spec = metadata.preprocessing;
  const { image, colour } = await decodeBalancedImageFile(file, spec, pooled);
  await nextTask();
  const found = photoCells(image, spec, lookAnyway);
  const inputs = [];
  for (const cell of found.cells) {
    await nextTask();
    inputs.push(squareInput(image, cell.square, spec));
  }
  const outputs = await classifyInBatches(model, inputs, spec, reference);
  const rule = reviewRule(metadata);
  const cells = found.cells.map((cell, i) => describeCell(cell, i + 1, image, { ...outputs[i], input: inputs[i] }, metadata, rule));
  return {
    status: found.status,
    lookedAnyway: lookAnyway && !found.smear,
    width: image.width,
    height: image.height,
    main: found.main,
    cells,
    classes: [...metadata.classes],
    model: { name: metadata.name, version: metadata.version },
    colour,
    milliseconds: performance.now() - started,
  };
}

// A white cell a person adds where the finder gave none ([y, x] in photo pixels; photo-cells.js cellAt),
// classified as the photo's own cells were: the photo balanced by the white point they were balanced by
// (`whitePoint`, the photo's colour.used; null: its own). number: the cell's number in its photo; sides:
// the crop sides of the photo's other cells. The cell is marked added, and flagged as the others are.
export async function analyseAddedCell(file, { model, metadata, reference = null }, point, { whitePoint = null, number, sides = [] }) {
  const spec = metadata.preprocessing;
  if (!cropMode(spec).findsCells) throw new Error('this model classifies whole photos: it has no cells to add');
  const { image } = await decodeBalancedImageFile(file, spec, whitePoint);
  await nextTask();
  const cell = cellAt(image, spec, point, sides);
  const input = squareInput(image, cell.square, spec);
  const [output] = await classifyInBatches(model, [input], spec, reference);
  // Named with its cell: an adaptation adopted since may classify it, not the photo's other cells' model.
  return { ...describeCell(cell, number, image, { ...output, input }, metadata, reviewRule(metadata)), added: true,
    model: { name: metadata.name, version: metadata.version } };
}
