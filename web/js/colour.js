// Colour constancy: the photo mapped to one canonical illuminant before anything looks at it. The
// JavaScript twin of core/colour.py, function for function and in integer arithmetic, so the page corrects
// every pixel as Python does (a parity test holds them together). Why the background alone, and why a sample's
// photos may share one pooled white point: see core/colour.py.
import { boxDownscale, brightMean, div, downscaleFactor } from './stained-pieces.js';

// Per channel, the floor mean of the brightest pixels of the work image: the light behind the smear.
export function whitePoint(image, spec) {
  return brightMean(boxDownscale(image, downscaleFactor(image.height, image.width, spec)), spec.background_per_mille);
}

// One microscope's white point: per channel, the mean of its photos' own white points, rounded half up.
export function pooledWhitePoint(whitePoints) {
  if (!whitePoints.length) throw new Error('A pooled white point needs the white point of at least one photo');
  const count = whitePoints.length;
  return [0, 1, 2].map((c) => div(2 * whitePoints.reduce((sum, point) => sum + point[c], 0) + count, 2 * count));
}

// Per channel, 256 values: v -> round(v * target / background), at most 255.
export function colourTables(background, spec) {
  return [0, 1, 2].map((c) => {
    const source = Math.max(background[c], spec.min_background);
    const target = spec.target_background[c];
    const table = new Uint8Array(256);
    for (let v = 0; v < 256; v += 1) table[v] = Math.min(255, div(2 * v * target + source, 2 * source));
    return table;
  });
}

// What the correction of this photo is: its white point and the tables that map it; null when none. With
// pooled (its sample's pooledWhitePoint) the tables map that point instead of the photo's own.
export function colourReference(image, spec, pooled = null) {
  if (!spec || spec.method === 'none') return null;
  if (spec.method !== 'background_white') {
    throw new Error(`Unsupported colour constancy method ${JSON.stringify(spec.method)}; this page supports background_white, none`);
  }
  const background = image.width * image.height ? whitePoint(image, spec) : [...spec.target_background];
  return { whitePoint: background, tables: colourTables(pooled || background, spec) };
}

// The photo (RGBA, opaque) as seen under the canonical illuminant, as a new image; the same image when none.
// With pooled, balanced by its sample's pooled white point rather than its own.
export function constantColour(image, spec, pooled = null) {
  const reference = colourReference(image, spec, pooled);
  return reference ? applyTables(image, reference.tables) : image;
}

// The photo (RGBA) with each channel mapped through its table, as a new image.
export function applyTables(image, [red, green, blue]) {
  const data = new Uint8ClampedArray(image.data.length);
  for (let at = 0; at < data.length; at += 4) {
    data[at] = red[image.data[at]];
    data[at + 1] = green[image.data[at + 1]];
    data[at + 2] = blue[image.data[at + 2]];
    data[at + 3] = image.data[at + 3];
  }
  return { data, width: image.width, height: image.height };
}
