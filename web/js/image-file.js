// What a chosen file really is, read from its first bytes before anything decodes it.
// A file's name and its browser-reported type are only claims; the bytes decide. Files that are
// not photos (PDF, SVG, text), photos this browser cannot decode (HEIC, TIFF), animations and
// images too large to decode safely are refused here with a message for clinic staff.
// core/preprocess.py applies the same pixel limit and the same refusal of animations.

import facts from './facts.json' with { type: 'json' };

export class ImageReadError extends Error {}

// 50 megapixels (facts.json) covers full-resolution photos from microscope cameras and 48 MP phones;
// decoding one costs the page about 12 bytes a pixel (bitmap, canvas, pixel copy), so ~600 MB at the limit.
export const MAX_PIXELS = facts.max_pixels;
const names = facts.image_formats.map((format) => format.name);
export const SUPPORTED_FORMATS = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
const EXPORT_HINT = 'Save or export the photo as JPEG or PNG and choose that file instead.';

const ascii = (bytes, start, length) => String.fromCharCode(...bytes.subarray(start, start + length));
const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const i32le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

const FORMAT_NAMES = { jpeg: 'JPEG', png: 'PNG', gif: 'GIF', webp: 'WebP', bmp: 'BMP' };

export function formatName(format) {
  return FORMAT_NAMES[format] || format;
}

// Start-of-frame markers carry the size: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
const isStartOfFrame = (marker) => marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);

function jpegInfo(b) {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === 0xff) { at += 1; continue; }  // fill byte
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }  // no length
    if (marker === 0xda || marker === 0xd9) return null;  // image data before any size
    if (isStartOfFrame(marker) && at + 9 <= b.length) {
      return { width: u16be(b, at + 7), height: u16be(b, at + 5), frames: 1 };
    }
    at += 2 + u16be(b, at + 2);
  }
  return null;
}

function pngInfo(b) {
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') return null;
  let frames = 1;
  // An animated PNG announces itself with acTL before the first image data.
  for (let at = 8; at + 8 <= b.length;) {
    const type = ascii(b, at + 4, 4);
    if (type === 'acTL' && at + 12 <= b.length) frames = u32be(b, at + 8);
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + u32be(b, at);
  }
  return { width: u32be(b, 16), height: u32be(b, 20), frames };
}

// Skips a chain of GIF data sub-blocks; returns the offset after the terminator.
function skipSubBlocks(b, at) {
  while (at < b.length && b[at] !== 0) at += b[at] + 1;
  return at + 1;
}

function gifFrameCount(b) {
  let at = 13;
  if (b[10] & 0x80) at += 3 * 2 ** ((b[10] & 7) + 1);  // global colour table
  let frames = 0;
  while (at < b.length && b[at] !== 0x3b) {
    if (b[at] === 0x21) {
      at = skipSubBlocks(b, at + 2);
    } else if (b[at] === 0x2c) {
      frames += 1;
      const flags = b[at + 9];
      at += 10;
      if (flags & 0x80) at += 3 * 2 ** ((flags & 7) + 1);  // local colour table
      at = skipSubBlocks(b, at + 1);  // LZW minimum code size, then the data
    } else {
      break;  // damaged: count what was found
    }
  }
  return frames;
}

function gifInfo(b) {
  if (b.length < 13) return null;
  return { width: u16le(b, 6), height: u16le(b, 8), frames: gifFrameCount(b) };
}

function webpInfo(b) {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30) {
    return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1, frames: b[20] & 0x02 ? 2 : 1 };
  }
  if (chunk === 'VP8 ' && b.length >= 30) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff, frames: 1 };
  }
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, frames: 1 };
  }
  return null;
}

function bmpInfo(b) {
  if (b.length < 26) return null;
  if (i32le(b, 14) === 12) return { width: u16le(b, 18), height: u16le(b, 20), frames: 1 };
  return { width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)), frames: 1 };
}

const PHOTO_FORMATS = [
  { format: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff, info: jpegInfo },
  { format: 'png', test: (b) => ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n', info: pngInfo },
  { format: 'gif', test: (b) => ['GIF87a', 'GIF89a'].includes(ascii(b, 0, 6)), info: gifInfo },
  { format: 'webp', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP', info: webpInfo },
  { format: 'bmp', test: (b) => ascii(b, 0, 2) === 'BM', info: bmpInfo },
];

// ISO media files (HEIC, AVIF) name their kind in the brands of their leading ftyp box.
function isoBrands(b) {
  if (b.length < 16 || ascii(b, 4, 4) !== 'ftyp') return null;
  const end = Math.min(u32be(b, 0), b.length);
  const brands = [ascii(b, 8, 4)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(b, at, 4));
  return brands;
}

const HEIF_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1'];

function isoMediaProblem(b) {
  const brands = isoBrands(b);
  if (!brands) return null;
  if (brands.some((brand) => brand === 'avif' || brand === 'avis')) {
    return `This is an AVIF image, which Leukolens does not read. ${EXPORT_HINT}`;
  }
  if (brands.some((brand) => HEIF_BRANDS.includes(brand))) {
    return 'This is a HEIC photo (the iPhone format), which this browser cannot read. '
      + 'Export it as JPEG (on the iPhone: Settings > Camera > Formats > Most Compatible, '
      + 'or share it as JPEG) and choose that file instead.';
  }
  return `This is a video or media file, not a photo. ${EXPORT_HINT}`;
}

function leadingText(b) {
  const head = b.subarray(0, 1024);
  // Text (UTF-8, possibly with a byte-order mark) has no control bytes other than tab and line ends.
  if (head.some((byte) => byte < 0x20 && ![0x09, 0x0a, 0x0d].includes(byte))) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(head).replace(/^\uFEFF/, '').trimStart();
  } catch (error) {
    // A character cut in two at byte 1024 is still text; anything else is binary.
    return head.length === 1024 ? new TextDecoder().decode(head).trimStart() : null;
  }
}

function notAPhotoProblem(b) {
  if (ascii(b, 0, 5) === '%PDF-') return `This is a PDF document, not a photo. ${EXPORT_HINT}`;
  if (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*') {
    return `This is a TIFF image, which this browser cannot read. ${EXPORT_HINT}`;
  }
  const iso = isoMediaProblem(b);
  if (iso) return iso;
  const text = leadingText(b);
  if (text !== null && /^<(\?xml|!doctype svg|svg)[\s\S]*<svg/i.test(text)) {
    return `This is an SVG drawing, not a photo; it was not opened. ${EXPORT_HINT}`;
  }
  if (text !== null) return 'This file contains text, not a photo, so there is no image to read.';
  return null;
}

// "50.4 megapixels": as few decimals as show a size over the limit to be over it, rounded half up in
// whole numbers, as megapixels() in core/facts.py does (a parity test holds them together).
export function megapixels(pixels) {
  for (let digits = 0; digits <= 3; digits += 1) {
    const scaled = Math.floor((pixels * 10 ** digits + 5e5) / 1e6);
    if (scaled * 10 ** (6 - digits) > MAX_PIXELS) return `${(scaled / 10 ** digits).toFixed(digits)} megapixels`;
  }
  return `${pixels.toLocaleString('en')} pixels`;
}

function sizeProblem({ width, height }, format) {
  if (!width || !height) return `This ${formatName(format)} file is damaged: its header gives no picture size.`;
  const pixels = width * height;
  if (pixels <= MAX_PIXELS) return null;
  return `This image is ${width} x ${height} pixels (${megapixels(pixels)}), too large to read `
    + `safely in the browser; the limit is ${MAX_PIXELS / 1e6} megapixels. Save a smaller copy of the photo `
    + '(for example 4000 pixels wide) and choose that instead.';
}

function animationProblem({ frames }, format) {
  if (frames <= 1) return null;
  return `This ${formatName(format)} is an animation, not a single photo, and which frame to classify would be `
    + 'a guess. Save the frame you want as a JPEG or PNG and choose that instead.';
}

// Returns { format, width, height } for a photo the page can decode, or throws ImageReadError.
export function inspectImage(bytes) {
  if (bytes.length === 0) throw new ImageReadError('This file is empty (0 bytes), so there is no image to read.');
  const kind = PHOTO_FORMATS.find(({ test }) => test(bytes));
  if (!kind) {
    throw new ImageReadError(notAPhotoProblem(bytes)
      || `This file is not a photo Leukolens can read (it reads ${SUPPORTED_FORMATS}). ${EXPORT_HINT}`);
  }
  const info = kind.info(bytes);
  if (!info) {
    throw new ImageReadError(`This ${formatName(kind.format)} file is damaged or incomplete (perhaps it was not `
      + 'copied completely), so the photo cannot be read.');
  }
  const problem = sizeProblem(info, kind.format) || animationProblem(info, kind.format);
  if (problem) throw new ImageReadError(problem);
  return { format: kind.format, width: info.width, height: info.height };
}
