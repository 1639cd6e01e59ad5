// The sample as a CSV file, made in this browser (nothing is uploaded): one row per cell, then the
// differential, then the photos that gave no cells, then what the count was made with. No DOM.
import { finalClass, isConfirmed, isCorrected } from './differential.js';
import { keptNote } from './colour-pool.js';

const yesNo = (flag) => (flag ? 'yes' : 'no');

// Text a spreadsheet would run as a formula (= + - @ at the start) is given a leading apostrophe:
// file names and sample IDs come from outside. Numbers are written as they are.
function field(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const row = (values) => values.map(field).join(',');
const pad = (n, width = 2) => String(n).padStart(width, '0');

// An ISO 8601 date-time in this computer's time zone, with its offset: 2026-12-04T15:05:08+01:00.
export function isoLocal(date) {
  const offset = -date.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`;
}

const isoLocalOf = (iso) => (iso ? isoLocal(new Date(iso)) : null);

// "signed by AB at 2026-12-04T15:05:08+01:00", or "DRAFT" for a sample nobody signed off.
export function signature(signed) {
  return signed ? `signed by ${signed.by} at ${isoLocalOf(signed.at)}` : 'DRAFT';
}
const rounded = (value, digits) => (value === null ? null : Number(value.toFixed(digits)));

function cellRows(photos) {
  const header = ['photo', 'cell', 'box left', 'box top', 'box width', 'box height', 'class', 'model class',
    'model probability', 'corrected', 'excluded', 'review flag', 'confirmed', 'decided at', 'added by a person'];
  const rows = photos.flatMap((photo) => photo.cells.map((cell) => [
    photo.name, cell.number, ...cell.box, finalClass(cell), cell.modelClass, cell.probability,
    yesNo(isCorrected(cell)), yesNo(cell.excluded), yesNo(cell.review), yesNo(isConfirmed(cell)), isoLocalOf(cell.decided),
    yesNo(cell.added),
  ]));
  return [header, ...rows];
}

function differentialRows(counts) {
  return [
    ['class', 'kind', 'count', 'percent of white cells', 'per 100 white cells', 'absolute count (x10^9/L)'],
    ...counts.white.map(({ name, count, percent, absolute }) => [name, 'white cell', count, rounded(percent, 2), null,
      rounded(absolute, 3)]),
    ['white cells', 'total', counts.whiteTotal, counts.whiteTotal ? 100 : 0, null, counts.wbc],
    ...counts.nucleatedRed.map(({ name, count, per100White }) => [name, 'nucleated red cell', count, null, rounded(per100White, 2), null]),
    ...counts.platelets.map(({ name, count }) => [name, 'platelet (not a white cell)', count, null, null, null]),
    ['excluded (not a cell)', 'not counted', counts.excluded, null, null, null],
    ['corrected by a person', 'counted as corrected', counts.corrected, null, null, null],
    ['added by a person', 'missed by the finder, counted', counts.added, null, null, null],
    ['awaiting review', 'counted as the model says', counts.awaitingReview, null, null, null],
  ];
}

const NOTES = {
  'no-cells': 'no white cell found',
  'not-smear': 'does not look like a stained blood smear; no cells were looked for',
  pending: 'not classified yet',
};

const LOOKED_ANYWAY = 'not a stained smear to the check; a person looked for its cells anyway';

function photoNote(photo) {
  if (photo.status === 'error') return photo.error;
  return [photo.lookedAnyway && LOOKED_ANYWAY, NOTES[photo.status], keptNote(photo)].filter(Boolean).join('; ');
}

function photoRows(photos) {
  const noted = photos.filter((photo) => photo.status !== 'cells' || photo.lookedAnyway || photo.colourKept);
  return [['photo', 'note'], ...noted.map((photo) => [photo.name, photoNote(photo)])];
}

function aboutRows({ label, exported, models, target, wbc, signed, reopened = [], colour = null, familiarity = null }) {
  return [
    ['about', 'value'],
    ['sample ID', label],
    ['exported', exported],
    ['model', models.join('; ')],
    ['target white cells', target],
    ['white-cell count (x10^9/L)', wbc ?? 'not given'],
    ['review', signature(signed)],
    ...(colour ? [['colour balance', colour]] : []),
    ...(familiarity ? [['cells against the training labs', familiarity]] : []),
    ...reopened.map((r) => ['reopened', `by ${r.by} at ${isoLocalOf(r.at)} (${signature(r.signed)}): ${r.reason}`]),
    ['caution', 'A research aid, not a diagnosis: a trained person confirms every result.'],
  ];
}

// about: { label, exported (ISO date), models: ['name (version v)'], target, wbc, signed, reopened, colour (the
// colour balance, colour-pool.js balanceText), familiarity (familiarity.js familiarityText) } (see sample.js).
export function sampleCsv(photos, counts, about) {
  const sections = [cellRows(photos), differentialRows(counts), photoRows(photos), aboutRows(about)];
  return `${sections.map((lines) => lines.map(row).join('\r\n')).join('\r\n\r\n')}\r\n`;
}

// A file name from the sample ID (letters, digits, - and _ only) and the date.
export function csvFileName(label, date) {
  const safe = (label || '').normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return `leukolens-${safe || 'sample'}-${date.toISOString().slice(0, 10)}.csv`;
}
