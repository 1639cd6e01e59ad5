// The differential count and what it is made of: which classes are white cells (in clinical order),
// which cells a person should check, what each cell now counts as. No DOM: the page shows what
// these functions return, and the CSV and the printed report use the same numbers.

const isNameList = (list) => Array.isArray(list) && list.every((name) => typeof name === 'string');

// metadata.cell_types, or (older models) every class a white cell, in the model's order. `seen` are
// classes met in a kept sample that the current model does not name (a sample started with another
// model): they are counted as white cells too, after the known ones, so no kept cell is ever dropped.
export function cellTypes(metadata, seen = []) {
  const given = metadata && metadata.cell_types;
  const usable = given && isNameList(given.white_cells);
  const white = usable ? [...given.white_cells] : [...((metadata && metadata.classes) || [])];
  const nucleatedRed = usable && isNameList(given.nucleated_red_cells) ? [...given.nucleated_red_cells] : [];
  const platelets = usable && isNameList(given.platelets) ? [...given.platelets] : [];
  const known = new Set([...white, ...nucleatedRed, ...platelets]);
  for (const name of [...((metadata && metadata.classes) || []), ...seen]) {
    if (!known.has(name)) {
      white.push(name);
      known.add(name);
    }
  }
  return { white, nucleatedRed, platelets, order: [...white, ...nucleatedRed, ...platelets] };
}

// The review thresholds Python chose on validation data, or null when the model has none.
export function reviewRule(metadata) {
  const review = metadata && metadata.review;
  if (!review || !Number.isFinite(review.min_probability) || !Number.isFinite(review.min_margin)) return null;
  return { minProbability: review.min_probability, minMargin: review.min_margin };
}

// The temperature Python fitted on validation data (core/calibration.py, metadata "calibration"), or null.
export function calibrationOf(metadata) {
  const given = metadata && metadata.calibration;
  if (!given || !(given.temperature > 0) || !(given.floor > 0)) return null;
  return { temperature: given.temperature, floor: given.floor };
}

// softmax(log p / T): the network's probabilities as often right as they say (same formula as Python's).
export function calibrated(values, calibration) {
  if (!calibration) return [...values];
  const logs = [...values].map((p) => Math.log(Math.max(p, calibration.floor)) / calibration.temperature);
  const top = Math.max(...logs);
  const scaled = logs.map((v) => Math.exp(v - top));
  const sum = scaled.reduce((a, b) => a + b, 0);
  return scaled.map((v) => v / sum);
}

// [[class, probability], ...], most probable first.
export function ranked(probabilities) {
  return Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
}

// The network is unsure: its top probability is low, or the runner-up is close behind.
export function needsReview(probabilities, rule) {
  if (!rule) return false;
  const [[, top], [, second] = [null, 0]] = ranked(probabilities);
  return top < rule.minProbability || top - second < rule.minMargin;
}

// A cell as the model left it: { modelClass, probability, probabilities, review }, then a person may set
// `assigned` (a class, possibly the model's own: checked), `excluded` (not a cell at all) and `confirmed`
// (when a person confirmed the class it has, as an ISO date-time; null otherwise).
export const finalClass = (cell) => cell.assigned || cell.modelClass;
export const isCorrected = (cell) => Boolean(cell.assigned) && cell.assigned !== cell.modelClass;
export const isConfirmed = (cell) => Boolean(cell.confirmed) && !cell.excluded;
export const isChecked = (cell) => Boolean(cell.assigned) || cell.excluded || Boolean(cell.confirmed);
export const awaitsReview = (cell) => cell.review && !isChecked(cell);

// The class a person vouched for (confirmed or corrected, not excluded), or null: a labelled example.
export const labelledClass = (cell) => (!cell.excluded && (isConfirmed(cell) || isCorrected(cell)) ? finalClass(cell) : null);

// How unsure the network is of a cell: the lead of its top class over the runner-up (smaller is more doubtful).
export function lead(cell) {
  const [[, top], [, second] = [null, 0]] = ranked(cell.probabilities);
  return top - second;
}

// The cells awaiting review, most doubtful first (then in the order they are shown).
export function reviewQueue(photos) {
  const waiting = photos.flatMap((photo, p) => photo.cells.filter(awaitsReview).map((cell) => ({ cell, p, lead: lead(cell) })));
  waiting.sort((a, b) => a.lead - b.lead || a.p - b.p || a.cell.number - b.cell.number);
  return waiting.map(({ cell }) => cell);
}

// The cell after `current` in the queue (the queue's first when `current` is not in it), or null.
export function nextToReview(photos, current) {
  const queue = reviewQueue(photos);
  if (!queue.length) return null;
  const at = queue.indexOf(current);
  return queue[(at + 1) % queue.length];
}

// { flagged, reviewed }: cells the network was unsure of, and how many of them a person has checked.
export function reviewProgress(cells) {
  const flagged = cells.filter((cell) => cell.review);
  return { flagged: flagged.length, reviewed: flagged.filter(isChecked).length };
}
const isCounted = (cell) => !cell.excluded;

// An analyser's white-cell count in x10^9/L: a positive number below any count ever reported.
export const WBC_LIMITS = { min: 0.01, max: 1000 };
export const validWbc = (wbc) => Number.isFinite(wbc) && wbc >= WBC_LIMITS.min && wbc <= WBC_LIMITS.max;

// A white-cell count as typed: digits with one decimal point or comma ("7.4" and "7,4" are both 7.4, as
// analysers in either convention print it); null for nothing typed, NaN for anything else or out of range.
export function typedWbc(text) {
  const typed = text.trim();
  if (!typed) return null;
  if (!/^(\d+([.,]\d*)?|[.,]\d+)$/.test(typed)) return NaN;
  const value = Number(typed.replace(',', '.'));
  return validWbc(value) ? value : NaN;
}

function tally(cells) {
  const counts = new Map();
  for (const cell of cells.filter(isCounted)) counts.set(finalClass(cell), (counts.get(finalClass(cell)) || 0) + 1);
  return counts;
}

// Counts over every cell of a sample. White cells make the percentages; nucleated red cells are given
// per 100 white cells (as a clinic reports them); platelets are named and never counted as white cells.
// With the analyser's white-cell count `wbc` (x10^9/L), each white class also gets its absolute count
// (x10^9/L): its share of the cells counted times wbc.
export function differential(cells, types, { wbc = null } = {}) {
  const counts = tally(cells);
  const count = (name) => counts.get(name) || 0;
  const whiteTotal = types.white.reduce((total, name) => total + count(name), 0);
  const absolute = (name) => (validWbc(wbc) && whiteTotal ? (wbc * count(name)) / whiteTotal : null);
  return {
    white: types.white.map((name) => ({
      name, count: count(name), percent: whiteTotal ? (100 * count(name)) / whiteTotal : 0, absolute: absolute(name),
    })),
    whiteTotal,
    wbc: validWbc(wbc) ? wbc : null,
    nucleatedRed: types.nucleatedRed.map((name) => ({
      name, count: count(name), per100White: whiteTotal ? (100 * count(name)) / whiteTotal : null,
    })),
    platelets: types.platelets.map((name) => ({ name, count: count(name) })),
    cells: cells.length,
    excluded: cells.filter((cell) => cell.excluded).length,
    corrected: cells.filter((cell) => isCounted(cell) && isCorrected(cell)).length,
    added: cells.filter((cell) => isCounted(cell) && cell.added).length,
    awaitingReview: cells.filter(awaitsReview).length,
  };
}

// One photo's counted cells by class, in the differential's order: [[class, count], ...].
export function photoTally(cells, types) {
  const counts = tally(cells);
  return types.order.filter((name) => counts.has(name)).map((name) => [name, counts.get(name)]);
}

// The counted cell the network is surest of, or null.
export function surestCell(cells) {
  return cells.filter(isCounted).reduce((best, cell) => (!best || cell.probability > best.probability ? cell : best), null);
}

// The cell a photo is known by (its card's data-top-class): its main cell, the one a photo of a single
// cell shows (picked as Python's evaluation picks it, so a neighbour cut by the edge cannot speak for the
// photo), unless excluded; otherwise the counted cell the network is surest of; or null.
export function headlineCell(photo) {
  const main = photo.main === null || photo.main === undefined ? null : photo.cells[photo.main];
  return main && isCounted(main) ? main : surestCell(photo.cells);
}
