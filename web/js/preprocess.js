// From an image file to the model's input: the browser twin of core/preprocess.py.
// Every fact (size, resize method, channel order, value range) comes from metadata.json's
// "preprocessing" object; nothing is repeated here. Keep both files in step: a test compares them.

import { applyTables, colourReference } from './colour.js';
import { mainCellCrop } from './finder.js';
import { cropBox } from './locate.js';
import { ImageReadError, formatName, inspectImage } from './image-file.js';
import facts from './facts.json' with { type: 'json' };

export { ImageReadError };

const SUPPORTED = facts.preprocessing.supported;
// Metadata written before a key existed lacks it; the default is what those models were given.
const DEFAULTS = facts.preprocessing.defaults;

const setting = (spec, key) => (spec[key] === undefined ? DEFAULTS[key] : spec[key]);

export function checkSpec(spec) {
  for (const [key, allowed] of Object.entries(SUPPORTED)) {
    if (!allowed.includes(setting(spec, key))) {
      throw new Error(`Unsupported preprocessing ${key}=${JSON.stringify(spec[key])}; this page supports ${allowed.join(', ')}`);
    }
  }
}

// Lays transparent pixels on white, in place. The canvas stored each colour premultiplied by alpha
// and rounded to 8 bits; round(colour * alpha / 255) recovers that stored value exactly, so the
// result equals flatten_alpha() in core/preprocess.py, which starts from the file's own colours.
export function flattenAlpha(rgba, transparency = DEFAULTS.transparency) {
  if (transparency !== 'white_background') throw new Error(`Unsupported preprocessing transparency=${transparency}`);
  for (let at = 0; at < rgba.length; at += 4) {
    const alpha = rgba[at + 3];
    if (alpha === 255) continue;
    for (let c = at; c < at + 3; c += 1) rgba[c] = Math.round((rgba[c] * alpha) / 255) + 255 - alpha;
    rgba[at + 3] = 255;
  }
  return rgba;
}

async function decodeBitmap(file, format) {
  try {
    // EXIF orientation applied and no colour-profile conversion, which is what Pillow does.
    return await createImageBitmap(file, {
      imageOrientation: 'from-image',
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch (error) {
    throw new ImageReadError(`This ${formatName(format)} file is damaged or incomplete (perhaps it was not copied `
      + 'completely), so the photo cannot be read.');
  }
}

// The file's bytes are inspected first: only a photo of a readable kind and a safe size is decoded. The
// result is colour-corrected as the model's spec says (colour.js), as decoded_rgb() in Python: what the
// smear check, the finder and the network all see.
export async function decodeImageFile(file, spec = {}) {
  return (await decodeBalancedImageFile(file, spec)).image;
}

// { image: as decodeImageFile, colour: { own, used } (the photo's own white point and the one its colour was
// balanced by: pooled, the sample's pooled point, when given) or null when the spec corrects no colour }.
export async function decodeBalancedImageFile(file, spec = {}, pooled = null) {
  const decoded = await decodedPixels(file, spec);
  const reference = colourReference(decoded, spec.colour, pooled);
  if (!reference) return { image: decoded, colour: null };
  return { image: applyTables(decoded, reference.tables), colour: { own: reference.whitePoint, used: pooled || reference.whitePoint } };
}

// The photo's own pixels (RGBA, opaque), before any colour correction.
export async function decodedPixels(file, spec = {}) {
  const { format } = inspectImage(new Uint8Array(await file.arrayBuffer()));
  const bitmap = await decodeBitmap(file, format);
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data: flattenAlpha(data, setting(spec, 'transparency')), width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

// For each output pixel: the first input pixel it covers and the share of each covered pixel.
// Same arithmetic as area_weights() in core/preprocess.py.
export function areaWeights(inSize, outSize) {
  const step = inSize / outSize;
  const weights = [];
  for (let i = 0; i < outSize; i += 1) {
    const low = i * step;
    const high = (i + 1) * step;
    const first = Math.floor(low);
    const last = Math.min(Math.ceil(high), inSize) - 1;
    const shares = [];
    let total = 0;
    for (let k = first; k <= last; k += 1) {
      const share = Math.max(0, Math.min(high, k + 1) - Math.max(low, k));
      shares.push(share);
      total += share;
    }
    weights.push({ first, shares: shares.map((share) => share / total) });
  }
  return weights;
}

// Box-filter resize of RGBA pixels to an RGB Float32Array (height x width x 3, values 0..255).
export function areaResize(rgba, inWidth, inHeight, outHeight, outWidth) {
  const rowWeights = areaWeights(inHeight, outHeight);
  const colWeights = areaWeights(inWidth, outWidth);
  // Columns first: inHeight x outWidth x 3 intermediate.
  const narrow = new Float64Array(inHeight * outWidth * 3);
  for (let y = 0; y < inHeight; y += 1) {
    for (let j = 0; j < outWidth; j += 1) {
      const { first, shares } = colWeights[j];
      let r = 0; let g = 0; let b = 0;
      for (let s = 0; s < shares.length; s += 1) {
        const at = (y * inWidth + first + s) * 4;
        r += shares[s] * rgba[at]; g += shares[s] * rgba[at + 1]; b += shares[s] * rgba[at + 2];
      }
      const out = (y * outWidth + j) * 3;
      narrow[out] = r; narrow[out + 1] = g; narrow[out + 2] = b;
    }
  }
  const result = new Float32Array(outHeight * outWidth * 3);
  for (let i = 0; i < outHeight; i += 1) {
    const { first, shares } = rowWeights[i];
    for (let j = 0; j < outWidth * 3; j += 1) {
      let sum = 0;
      for (let s = 0; s < shares.length; s += 1) sum += shares[s] * narrow[(first + s) * outWidth * 3 + j];
      result[i * outWidth * 3 + j] = sum;
    }
  }
  return result;
}

// What each crop mode means, the twin of CROP_MODES in core/preprocess.py: the square [top, left, side]
// the model sees (null: the whole frame), and whether the finder lists every white cell of a smear.
export const CROP_MODES = {
  full_frame: { square: () => null, findsCells: false },
  cell_centred: { square: (image, spec) => cropBox(image, spec.locate), findsCells: false },
  cell_sized: { square: (image, spec) => mainCellCrop(image, spec.finder), findsCells: true },
};

export function cropMode(spec) {
  checkSpec(spec);
  return CROP_MODES[setting(spec, 'crop')];
}

// [top, left, side] of the square the model sees (with cell_sized it may reach past the frame's edge),
// or null when it sees the whole frame.
export function cropSquare(image, spec) {
  return cropMode(spec).square(image, spec);
}

// The square [top, left, side] as a new RGBA image, the twin of cut_square() in core/preprocess.py: a square
// reaching past the photo keeps its size; past the edge, the edge pixels repeated ("replicate") or the
// median colour of the photo's border ("border_median").
export function cutSquare(image, [top, left, side], padding = 'replicate') {
  const data = new Uint8ClampedArray(side * side * 4);
  const fill = padding === 'border_median' ? borderMedian(image) : null;
  const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
  for (let y = 0; y < side; y += 1) {
    const inRows = top + y >= 0 && top + y < image.height;
    const row = clamp(top + y, image.height - 1) * image.width;
    for (let x = 0; x < side; x += 1) {
      const to = (y * side + x) * 4;
      if (fill && !(inRows && left + x >= 0 && left + x < image.width)) {
        data.set(fill, to);
        continue;
      }
      const from = (row + clamp(left + x, image.width - 1)) * 4;
      data[to] = image.data[from]; data[to + 1] = image.data[from + 1];
      data[to + 2] = image.data[from + 2]; data[to + 3] = image.data[from + 3];
    }
  }
  return { data, width: side, height: side };
}

// Per channel, the lower median of the photo's outermost pixels (as border_median() in Python), opaque.
export function borderMedian({ data, width, height }) {
  const pixels = [];
  for (let x = 0; x < width; x += 1) pixels.push(x);
  if (height > 1) {
    for (let x = 0; x < width; x += 1) pixels.push((height - 1) * width + x);
    for (let y = 1; y < height - 1; y += 1) pixels.push(y * width, y * width + width - 1);
  }
  return [0, 1, 2].map((c) => {
    const values = pixels.map((i) => data[i * 4 + c]).sort((a, b) => a - b);
    return values[(values.length - 1) >> 1];
  }).concat(255);
}

// The model's input for a photo of one cell (or, with full_frame, the whole frame).
export function toModelInput(image, spec) {
  return squareInput(image, cropSquare(image, spec), spec);
}

// The model's input for one square [top, left, side] of a photo (null: the whole frame): each cell found in
// a smear is classified from its own square, as core/preprocess.py square_input() does.
export function squareInput(image, square, spec) {
  const region = square ? cutSquare(image, square, setting(spec, 'padding')) : image;
  return areaResize(region.data, region.width, region.height, ...spec.input_size);
}
