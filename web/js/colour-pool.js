// One sample, one microscope: when the sample says so (its record's pooledColour), every photo of it is
// balanced by the sample's pooled white point (colour.js pooledWhitePoint: the mean of its photos' own) rather
// than by its own, so one odd field does not get a colour balance of its own. No DOM.
//
// A photo's analysis records colour: { own, used } (analyse.js). When the point a photo should be balanced by
// changes (the option toggled, a photo added), the photo is analysed again, unless a person has reviewed any
// of its cells: such a photo keeps its cells and its balance, and is marked colourKept (the page says so).
import { colourReference, pooledWhitePoint } from './colour.js';
import { decodedPixels } from './preprocess.js';

const same = (a, b) => Boolean(a && b) && a.every((value, c) => value === b[c]);

// A person decided something about one of its cells (confirmed, corrected or excluded it).
export const isReviewed = (photo) => photo.cells.some((cell) => cell.decided || cell.confirmed || cell.assigned || cell.excluded);

// Photos that are part of the pool: every readable photo of the sample (an unreadable file has no colour).
const pooledPhotos = (sample) => sample.photos.filter((photo) => photo.status !== 'error' && photo.blob);

const ownPoint = (photo) => (photo.colour ? photo.colour.own : photo.measuredWhitePoint || null);

// The white point a photo was balanced by: photos analysed before the pool existed were balanced by their own.
const usedPoint = (photo) => (photo.colour ? photo.colour.used : ownPoint(photo));

// The photo's own white point from its file, once; null for a file that cannot be read (its analysis says why).
async function measure(photo, spec) {
  if (ownPoint(photo)) return;
  try {
    const reference = colourReference(await decodedPixels(photo.blob, spec), spec.colour);
    photo.measuredWhitePoint = reference ? reference.whitePoint : null;
  } catch (error) {
    photo.measuredWhitePoint = null;
  }
}

// The sample's pooled white point over the photos whose own point is known, or null (pool off, none known).
export function knownPooledPoint(sample) {
  if (!sample.record.pooledColour) return null;
  const points = pooledPhotos(sample).map(ownPoint).filter(Boolean);
  return points.length ? pooledWhitePoint(points) : null;
}

// The point to balance the sample's photos by, measuring the photos not yet measured (pending ones, say);
// null when each photo is balanced by its own (pool off, or a model that corrects no colour).
export async function pooledPoint(sample, spec) {
  if (!sample.record.pooledColour || !spec.colour) return null;
  for (const photo of pooledPhotos(sample)) await measure(photo, spec);
  return knownPooledPoint(sample);
}

// { analyse: photos to analyse again with the sample's point, changed: photos whose colourKept mark changed }.
// A reviewed photo balanced by another point is kept as it is and marked colourKept.
export async function plan(sample, spec) {
  if (!spec.colour) return { analyse: [], changed: [] };
  const pooled = await pooledPoint(sample, spec);
  const analyse = [];
  const changed = [];
  for (const photo of sample.photos.filter((candidate) => candidate.status !== 'pending' && candidate.status !== 'error')) {
    const wanted = pooled || ownPoint(photo);
    const stale = Boolean(usedPoint(photo)) && Boolean(wanted) && !same(usedPoint(photo), wanted);
    const kept = stale && isReviewed(photo);
    if (stale && !kept && photo.blob) analyse.push(photo);
    if (Boolean(photo.colourKept) !== kept) changed.push(photo);
    photo.colourKept = kept;
  }
  return { analyse, changed };
}

const point = (values) => values.join(' ');

// What the report and the CSV say of the sample's colour balance.
export function balanceText(sample) {
  const pooled = knownPooledPoint(sample);
  if (!pooled) {
    return sample.record.pooledColour ? 'one microscope: balanced over all this sample\'s photos (none analysed yet)'
      : 'per photo: each photo balanced by its own white point';
  }
  const kept = sample.photos.filter((photo) => photo.colourKept).length;
  const keptText = kept ? `; ${kept === 1 ? '1 photo keeps' : `${kept} photos keep`} an earlier balance because its `
    + 'cells were reviewed' : '';
  return `one microscope: every photo balanced by the sample's pooled white point ${point(pooled)} `
    + `(the mean of ${pooledPhotos(sample).filter(ownPoint).length} photos' own)${keptText}`;
}

// What a photo's card and its CSV note say when it keeps an earlier balance; '' otherwise.
export function keptNote(photo) {
  if (!photo.colourKept) return '';
  return `Colour balanced by white point ${point(usedPoint(photo))}, not the sample's present one: its cells were `
    + 'reviewed before the balance changed, so it was not analysed again (nothing you did is lost).';
}

export const usedWhitePoint = (photo) => (photo.colour ? point(photo.colour.used) : '');
