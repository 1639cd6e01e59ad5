// The differential count of the sample: white cells in clinical order (counts and percentages),
// nucleated red cells per 100 white cells, platelets named apart, progress to the target count,
// and how many cells still await review. The numbers come from differential.js.
import { counted, element, label, make, paintClass, percent } from './ui-parts.js';

function classCell(name) {
  const head = make('th', 'class-name');
  head.scope = 'row';
  const swatch = make('span', 'swatch-dot');
  swatch.setAttribute('aria-hidden', 'true');
  paintClass(swatch, name);
  head.append(swatch, label(name));
  return head;
}

function shareCell(share) {
  const cell = make('td', 'share');
  cell.setAttribute('aria-hidden', 'true');
  const track = make('div', 'track');
  const fill = make('div', 'fill');
  fill.style.width = percent(share);
  track.append(fill);
  cell.append(track);
  return cell;
}

// An absolute count (x10^9/L) as a laboratory writes it: two decimals.
const absoluteText = (value) => (value === null ? '–' : value.toFixed(2));

function absoluteCell(value, wbc) {
  const cell = make('td', 'absolute', absoluteText(value));
  cell.hidden = wbc === null;
  return cell;
}

function whiteRow({ name, count, percent: share, absolute }, wbc) {
  const row = make('tr');
  Object.assign(row.dataset, { class: name, kind: 'white', count: String(count), percent: String(share),
    absolute: absolute === null ? '' : String(absolute) });
  paintClass(row, name);
  row.append(classCell(name), make('td', 'count', count.toLocaleString('en')), make('td', 'percent', `${share.toFixed(1)}%`),
    absoluteCell(absolute, wbc), shareCell(share / 100));
  return row;
}

function totalRow(total, wbc) {
  const row = make('tr', 'total');
  row.dataset.whiteTotal = String(total);
  const head = make('th', null, 'White cells');
  head.scope = 'row';
  row.append(head, make('td', 'count', total.toLocaleString('en')), make('td', 'percent', total ? '100%' : '–'),
    absoluteCell(total ? wbc : null, wbc), make('td', 'share'));
  return row;
}

// Nucleated red cells and platelets are listed apart: never part of the white-cell percentages.
function apartHeading() {
  const row = make('tr', 'apart');
  const head = make('th', null, 'Counted apart (not white cells)');
  head.colSpan = 5;
  head.scope = 'rowgroup';
  row.append(head);
  return row;
}

function apartRow(name, count, note) {
  const row = make('tr', 'other');
  row.dataset.class = name;
  row.dataset.count = String(count);
  const detail = make('td', 'percent', note);
  detail.colSpan = 3;
  row.append(classCell(name), make('td', 'count', count.toLocaleString('en')), detail);
  return row;
}

function nucleatedRedRow({ name, count, per100White }) {
  const row = apartRow(name, count, per100White === null ? '–' : `${per100White.toFixed(1)} per 100 white cells`);
  Object.assign(row.dataset, { kind: 'nucleated-red', per100White: String(per100White ?? '') });
  return row;
}

function plateletRow({ name, count }) {
  const row = apartRow(name, count, '');
  Object.assign(row.dataset, { kind: 'platelet', platelets: String(count) });
  return row;
}

function showProgress(whiteTotal, target) {
  const progress = element('count-progress');
  const reached = whiteTotal >= target;
  Object.assign(progress.dataset, { counted: String(whiteTotal), target: String(target), reached: String(reached) });
  element('count-progress-text').textContent = reached
    ? `Target reached: ${whiteTotal.toLocaleString('en')} / ${target.toLocaleString('en')} white cells`
    : `${whiteTotal.toLocaleString('en')} / ${target.toLocaleString('en')} white cells`;
  const meter = element('count-progress-bar');
  meter.max = target;
  meter.value = Math.min(whiteTotal, target);
  // Announced once, when the count gets there; not on every cell.
  const note = element('target-note');
  const text = reached ? `Target of ${target.toLocaleString('en')} white cells reached.` : '';
  if (note.textContent !== text) note.textContent = text;
}

// photos: { total, cells, unreadable, notSmear, noCells }.
function photoLine({ total, cells, unreadable, notSmear, noCells }) {
  const parts = [`${counted(total, 'photo')}, ${counted(cells, 'cell')} found`];
  if (unreadable) parts.push(`${counted(unreadable, 'photo')} could not be read and ${unreadable === 1 ? 'is' : 'are'} not counted`);
  if (notSmear) parts.push(`${counted(notSmear, 'picture')} ${notSmear === 1 ? 'does' : 'do'} not look like a stained smear`);
  if (noCells) parts.push(`${counted(noCells, 'photo')} with no white cell found`);
  return `${parts.join('; ')}.`;
}

function checksLine(counts, reviewAvailable) {
  const line = element('summary-checks');
  Object.assign(line.dataset, { awaitingReview: String(counts.awaitingReview), corrected: String(counts.corrected),
    excluded: String(counts.excluded), added: String(counts.added) });
  const parts = [];
  if (reviewAvailable) parts.push(`${counted(counts.awaitingReview, 'cell')} ${counts.awaitingReview === 1 ? 'awaits' : 'await'} review`);
  parts.push(`${counts.corrected.toLocaleString('en')} corrected`, `${counts.excluded.toLocaleString('en')} excluded (not counted)`);
  if (counts.added) parts.push(`${counted(counts.added, 'cell')} added by hand`);
  line.textContent = `${parts.join(' · ')}.`;
  line.classList.toggle('attention', counts.awaitingReview > 0);
}

export function showDifferential(counts, { target, photos, reviewAvailable }) {
  element('summary').hidden = photos.total === 0;
  showProgress(counts.whiteTotal, target);
  const apart = [...counts.nucleatedRed.map(nucleatedRedRow), ...counts.platelets.map(plateletRow)];
  element('differential').querySelector('th.absolute').hidden = counts.wbc === null;
  element('differential-rows').replaceChildren(
    ...counts.white.map((row) => whiteRow(row, counts.wbc)), totalRow(counts.whiteTotal, counts.wbc),
    ...(apart.length ? [apartHeading(), ...apart] : []),
  );
  element('summary-total').textContent = photoLine(photos);
  checksLine(counts, reviewAvailable);
  element('review-note').textContent = reviewAvailable
    ? 'Cells the network is unsure of are marked "?" for review.'
    : 'Review flags: not available for this model.';
}

// The sample's cells against the training labs' (familiarity.js sampleFamiliarity): said only when unlike them,
// on the page and in the printed report; the state, distance and threshold are always on the element.
const percentOf = (share) => (typeof share === 'number' ? `${(100 * share).toFixed(0)}%` : 'not measured');

// adaptation: the page's model's adaptation summary (adapt.js summary), or null for the shipped model.
export function showFamiliarity({ state, cells, distance, threshold }, adaptation = null) {
  const note = element('unfamiliar');
  Object.assign(note.dataset, { state, distance: distance === null ? '' : distance.toFixed(4),
    threshold: threshold === null ? '' : threshold.toFixed(4), adapted: String(Boolean(adaptation)) });
  note.hidden = state !== 'unlike';
  const advice = adaptation ? `It was adapted to this microscope from ${adaptation.cells} reviewed cells (balanced `
    + `accuracy on those held out: ${percentOf(adaptation.before)} before, ${percentOf(adaptation.after)} after), but its "?" flags were still `
    + 'chosen on the training labs: check every cell.'
    : 'On another microscope it can be sure and wrong: check every cell, not only those marked "?", or adapt it to '
    + 'this microscope.';
  const text = state === 'unlike' ? `These ${counted(cells, 'cell')} look unlike the cells the model learnt from `
    + `(distance ${distance.toFixed(3)}; its training labs' samples stay under ${threshold.toFixed(3)}). ${advice}` : '';
  if (note.textContent !== text) note.textContent = text;
}

// "DRAFT" or who signed the sample off and when, on the page and in the printed report.
export function showSignState(text, signed) {
  const state = element('sign-state');
  state.dataset.state = signed ? 'signed' : 'draft';
  state.textContent = signed ? text.charAt(0).toUpperCase() + text.slice(1) : 'DRAFT: not signed off';
}
