// Where a photo is stained: work image, stain score, stained pieces, red-cell ruler, and whether it is a
// stained smear at all; the first half of the cell finder (finder.js groups the pieces into cells).
// The JavaScript twin of core/stained_pieces.py, function for function, in integer arithmetic throughout.

import facts from './facts.json' with { type: 'json' };

// The smear check's settings, for a finder spec written before they existed.
const { about: _about, ...SMEAR_CHECK_DEFAULTS } = facts.smear_check;

export const div = (a, b) => Math.floor(a / b); // only ever for non-negative integers below 2^53

// ------------------------------------------------------------------ 1-2: work image, stain score

export function downscaleFactor(height, width, spec) {
  return Math.max(1, Math.min(div(Math.max(height, width) + spec.work_max_side - 1, spec.work_max_side),
    Math.min(height, width)));
}

// Per-channel floor means of factor x factor blocks (partial last rows/columns dropped).
export function boxDownscale(image, factor) {
  const { data, width } = image;
  const w = div(image.width, factor);
  const h = div(image.height, factor);
  const red = new Int32Array(w * h);
  const green = new Int32Array(w * h);
  const blue = new Int32Array(w * h);
  const area = factor * factor;
  const sumR = new Float64Array(w);
  const sumG = new Float64Array(w);
  const sumB = new Float64Array(w);
  for (let wy = 0; wy < h; wy += 1) {
    sumR.fill(0); sumG.fill(0); sumB.fill(0);
    for (let y = wy * factor; y < (wy + 1) * factor; y += 1) {
      let at = y * width * 4;
      for (let wx = 0; wx < w; wx += 1) {
        let r = 0; let g = 0; let b = 0;
        for (let k = 0; k < factor; k += 1, at += 4) {
          r += data[at]; g += data[at + 1]; b += data[at + 2];
        }
        sumR[wx] += r; sumG[wx] += g; sumB[wx] += b;
      }
    }
    for (let wx = 0; wx < w; wx += 1) {
      const i = wy * w + wx;
      red[i] = div(sumR[wx], area); green[i] = div(sumG[wx], area); blue[i] = div(sumB[wx], area);
    }
  }
  return { red, green, blue, width: w, height: h };
}

export function stainScore(work) {
  const score = new Int32Array(work.blue.length);
  for (let i = 0; i < score.length; i += 1) score[i] = work.blue[i] - work.green[i];
  return score;
}

// ------------------------------------------------------------------ 3: threshold

// Smallest v with count(score <= v) * 1000 >= perMille * n (scores lie in -255..255).
export function quantile(score, perMille) {
  const counts = new Float64Array(511);
  for (let i = 0; i < score.length; i += 1) counts[score[i] + 255] += 1;
  let cumulative = 0;
  for (let v = 0; v < 511; v += 1) {
    cumulative += counts[v];
    if (cumulative * 1000 >= perMille * score.length) return v - 255;
  }
  return 511 - 255;
}

// ------------------------------------------------------------------ 4: connected pieces

// Horizontal runs of true (mask[y * width + x]) in raster order; end exclusive.
export function maskRuns(mask, width, height) {
  const rows = []; const starts = []; const ends = [];
  for (let y = 0; y < height; y += 1) {
    const base = y * width;
    let x = 0;
    while (x < width) {
      if (!mask[base + x]) { x += 1; continue; }
      const start = x;
      while (x < width && mask[base + x]) x += 1;
      rows.push(y); starts.push(start); ends.push(x);
    }
  }
  return { rows: Int32Array.from(rows), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

export function findRoot(parent, i) {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

export function union(parent, a, b) {
  const ra = findRoot(parent, a);
  const rb = findRoot(parent, b);
  if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
}

// 4-connected component of each run, numbered 0.. in order of each component's first run.
export function runLabels({ rows, starts, ends }) {
  const n = rows.length;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i += 1) parent[i] = i;
  let a = 0;
  while (a < n) {
    const y = rows[a];
    let aEnd = a;
    while (aEnd < n && rows[aEnd] === y) aEnd += 1;
    let b = aEnd;
    let bEnd = aEnd;
    while (bEnd < n && rows[bEnd] === y + 1) bEnd += 1;
    let i = a;
    while (i < aEnd && b < bEnd) {
      if (starts[i] < ends[b] && starts[b] < ends[i]) union(parent, i, b);
      if (ends[i] <= ends[b]) i += 1; else b += 1;
    }
    a = aEnd;
  }
  const labels = new Int32Array(n);
  const rank = new Int32Array(n).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i += 1) {
    const root = findRoot(parent, i);
    if (rank[root] < 0) { rank[root] = count; count += 1; } // roots are first runs: ascending
    labels[i] = rank[root];
  }
  return { labels, count };
}

// Per blob: smallest v with count(blob's scores <= v) * 1000 >= perMille * blob size.
function blobPeaks(score, width, runs, labels, count, perMille) {
  let total = 0;
  for (let r = 0; r < runs.rows.length; r += 1) total += runs.ends[r] - runs.starts[r];
  const keys = new Int32Array(total); // blob * 1024 + score + 255: sorts by blob, then score
  const sizes = new Int32Array(count);
  let k = 0;
  for (let r = 0; r < runs.rows.length; r += 1) {
    const base = runs.rows[r] * width;
    for (let x = runs.starts[r]; x < runs.ends[r]; x += 1) keys[k++] = labels[r] * 1024 + score[base + x] + 255;
    sizes[labels[r]] += runs.ends[r] - runs.starts[r];
  }
  keys.sort();
  const peaks = new Int32Array(count);
  let offset = 0;
  for (let b = 0; b < count; b += 1) {
    const rank = Math.max(div(perMille * sizes[b] + 999, 1000) - 1, 0);
    peaks[b] = keys[offset + rank] - b * 1024 - 255;
    offset += sizes[b];
  }
  return peaks;
}

// Background (median score), per-pixel threshold and nucleus mask: blobs are the regions at least
// min_contrast above background, each cut at threshold_percent of the way up to its own peak.
export function stainThresholds(score, width, height, spec) {
  const background = quantile(score, spec.background_per_mille);
  const low = background + spec.min_contrast;
  const lowMask = new Uint8Array(score.length);
  for (let i = 0; i < score.length; i += 1) lowMask[i] = score[i] >= low ? 1 : 0;
  const runs = maskRuns(lowMask, width, height);
  const thresholds = new Int32Array(score.length).fill(1 << 20);
  const mask = new Uint8Array(score.length);
  if (runs.rows.length === 0) return { background, thresholds, mask };
  const { labels, count } = runLabels(runs);
  const peaks = blobPeaks(score, width, runs, labels, count, spec.blob_peak_per_mille);
  for (let r = 0; r < runs.rows.length; r += 1) {
    const b = labels[r];
    const cut = background + Math.max(spec.min_contrast, div(Math.max(peaks[b] - background, 0) * spec.threshold_percent, 100));
    const base = runs.rows[r] * width;
    for (let x = runs.starts[r]; x < runs.ends[r]; x += 1) {
      thresholds[base + x] = cut;
      mask[base + x] = score[base + x] >= cut ? 1 : 0;
    }
  }
  return { background, thresholds, mask };
}

// Connected pieces of the nucleus mask: runs, area, box, stain mass (sum of s - t + 1).
export function findPieces(score, thresholds, mask, width, height, spec) {
  const runs = maskRuns(mask, width, height);
  const { labels, count } = runLabels(runs);
  const pieces = [];
  for (let k = 0; k < count; k += 1) {
    pieces.push({ runIndex: [], area: 0, mass: 0, top: Infinity, bottom: -Infinity, left: Infinity, right: -Infinity });
  }
  for (let r = 0; r < runs.rows.length; r += 1) {
    const p = pieces[labels[r]];
    const y = runs.rows[r];
    let mass = 0;
    for (let x = runs.starts[r]; x < runs.ends[r]; x += 1) mass += score[y * width + x] - thresholds[y * width + x] + 1;
    p.runIndex.push(r);
    p.area += runs.ends[r] - runs.starts[r];
    p.mass += mass;
    p.top = Math.min(p.top, y); p.bottom = Math.max(p.bottom, y + 1);
    p.left = Math.min(p.left, runs.starts[r]); p.right = Math.max(p.right, runs.ends[r]);
  }
  return pieces.filter((p) => p.area >= spec.min_piece_pixels).map((p) => ({
    rows: Int32Array.from(p.runIndex, (r) => runs.rows[r]),
    starts: Int32Array.from(p.runIndex, (r) => runs.starts[r]),
    ends: Int32Array.from(p.runIndex, (r) => runs.ends[r]),
    area: p.area, mass: p.mass, top: p.top, bottom: p.bottom, left: p.left, right: p.right,
  }));
}

// ------------------------------------------------------------------ 5: red-cell ruler

// Ridler-Calvard on 0..255 values: t = floor((mean below t + mean at/above t) / 2), from the mean.
export function isodataThreshold(values, spec) {
  const counts = new Float64Array(256);
  for (let i = 0; i < values.length; i += 1) counts[values[i]] += 1;
  const cumN = new Float64Array(256); const cumS = new Float64Array(256);
  let n = 0; let s = 0;
  for (let v = 0; v < 256; v += 1) { n += counts[v]; s += counts[v] * v; cumN[v] = n; cumS[v] = s; }
  if (n === 0) return 0;
  let t = div(s, n);
  for (let k = 0; k < spec.ruler_iterations; k += 1) {
    const lowN = t > 0 ? cumN[t - 1] : 0;
    const lowS = t > 0 ? cumS[t - 1] : 0;
    if (lowN === 0 || lowN === n) break;
    const next = div(div(lowS, lowN) + div(s - lowS, n - lowN), 2);
    if (next === t) break;
    t = next;
  }
  return t;
}

// mask plus every 4-connected false region that does not reach the border (red-cell pallor).
export function fillHoles(mask, width, height) {
  const inverse = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i += 1) inverse[i] = mask[i] ? 0 : 1;
  const runs = maskRuns(inverse, width, height);
  const filled = Uint8Array.from(mask);
  if (runs.rows.length === 0) return filled;
  const { labels, count } = runLabels(runs);
  const open = new Uint8Array(count);
  for (let r = 0; r < runs.rows.length; r += 1) {
    if (runs.rows[r] === 0 || runs.rows[r] === height - 1 || runs.starts[r] === 0 || runs.ends[r] === width) {
      open[labels[r]] = 1;
    }
  }
  for (let r = 0; r < runs.rows.length; r += 1) {
    if (!open[labels[r]]) filled.fill(1, runs.rows[r] * width + runs.starts[r], runs.rows[r] * width + runs.ends[r]);
  }
  return filled;
}

// Lengths of horizontal, then vertical, runs of true that touch neither end of their line.
export function innerRunLengths(mask, width, height) {
  const lengths = [];
  const scan = (lines, along, at) => {
    for (let line = 0; line < lines; line += 1) {
      let i = 0;
      while (i < along) {
        if (!mask[at(line, i)]) { i += 1; continue; }
        const start = i;
        while (i < along && mask[at(line, i)]) i += 1;
        if (start > 0 && i < along) lengths.push(i - start);
      }
    }
  };
  scan(height, width, (y, x) => y * width + x);
  scan(width, height, (x, y) => y * width + x);
  return lengths;
}

// Typical red-cell chord in work pixels (0 when too few runs); about 0.8 red-cell diameters.
export function redCellRuler(work, nucleus, spec) {
  const { green, width, height } = work;
  const outside = [];
  for (let i = 0; i < green.length; i += 1) if (!nucleus[i]) outside.push(green[i]);
  const split = isodataThreshold(outside, spec);
  const dark = new Uint8Array(green.length);
  for (let i = 0; i < green.length; i += 1) dark[i] = green[i] < split ? 1 : 0;
  const filled = fillHoles(dark, width, height);
  for (let i = 0; i < filled.length; i += 1) if (nucleus[i]) filled[i] = 0;
  const lengths = Int32Array.from(innerRunLengths(filled, width, height).filter((l) => l >= spec.ruler_min_run));
  if (lengths.length < spec.ruler_min_runs) return 0;
  lengths.sort();
  let total = 0;
  for (let i = 0; i < lengths.length; i += 1) total += lengths[i];
  let cumulative = 0;
  for (let i = 0; i < lengths.length; i += 1) {
    cumulative += lengths[i];
    if (cumulative * 2 >= total) return lengths[i];
  }
  return lengths[lengths.length - 1];
}

// ------------------------------------------------------------------ the light behind the smear

// Smallest v with count(r + g + b <= v) * 1000 >= perMille * n.
export function brightnessThreshold(work, perMille) {
  const counts = new Float64Array(766);
  const n = work.red.length;
  for (let i = 0; i < n; i += 1) counts[work.red[i] + work.green[i] + work.blue[i]] += 1;
  let cumulative = 0;
  for (let v = 0; v < 766; v += 1) {
    cumulative += counts[v];
    if (cumulative * 1000 >= perMille * n) return v;
  }
  return 766;
}

// Per channel, the floor mean of the pixels at or above the perMille brightness quantile: in a smear, the
// plasma and glass between the cells, i.e. the light itself.
export function brightMean(work, perMille) {
  const threshold = brightnessThreshold(work, perMille);
  const sums = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < work.red.length; i += 1) {
    if (work.red[i] + work.green[i] + work.blue[i] >= threshold) {
      sums[0] += work.red[i]; sums[1] += work.green[i]; sums[2] += work.blue[i];
      count += 1;
    }
  }
  return sums.map((sum) => div(sum, count));
}

// ------------------------------------------------------------------ is this a stained smear at all?

// A share of the picture, or a smaller one mostly purple (one stained cell alone on the glass): as
// core/stained_pieces.py enough_content().
function enoughContent(total, content, purple, spec) {
  return content * 100 >= spec.smear_content_percent * total
    || (content * 1000 >= spec.smear_sparse_content_per_mille * total
      && purple * 100 >= spec.smear_sparse_purple_percent * content);
}

// Judged against the picture's own light, so that no camera's white balance decides it: why, in
// core/stained_pieces.py smear_check().
export function smearCheck(work, finderSpec) {
  const spec = { ...SMEAR_CHECK_DEFAULTS, ...finderSpec };
  const total = work.red.length;
  const light = total ? brightMean(work, spec.smear_background_per_mille) : [0, 0, 0];
  if (Math.min(...light) === 0) return { pixels: total, light, content: 0, purple: 0, foreign: 0, is_smear: false };
  const [lr, lg, lb] = light;
  const { red, green, blue } = work;
  const darkest = (lr + lg + lb) * (100 - spec.smear_content_darker_percent);
  const purpleBlue = spec.smear_purple_percent * lb * lg;
  const foreignRed = -spec.smear_foreign_percent * lr * lg;
  const foreignBlue = -spec.smear_foreign_percent * lb * lg;
  let content = 0; let purple = 0; let foreign = 0;
  for (let i = 0; i < total; i += 1) {
    if ((red[i] + green[i] + blue[i]) * 100 > darkest) continue;
    content += 1;
    const redOverGreen = 100 * (red[i] * lg - green[i] * lr);
    const blueOverGreen = 100 * (blue[i] * lg - green[i] * lb);
    if (redOverGreen >= 0 && blueOverGreen >= purpleBlue) purple += 1;
    if (redOverGreen <= foreignRed || blueOverGreen <= foreignBlue) foreign += 1;
  }
  return {
    pixels: total, light, content, purple, foreign,
    is_smear: enoughContent(total, content, purple, spec) && purple * 1000 >= spec.smear_purple_per_mille * content
      && foreign * 100 <= spec.smear_most_foreign_percent * content,
  };
}
