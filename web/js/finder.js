// Scale-aware white-cell finder: the JavaScript twin of core/finder.py, function for function.
// Integer arithmetic throughout (integer sums, floor division of non-negative numbers below 2^53,
// cross-multiplied comparisons, integer thresholds from the spec), so the browser finds the very
// cells and crop boxes Python found (tests/test_finder.py runs both on real photos). The spec comes
// from the model's metadata.json, written by Python: no number is repeated here.
// Images are { data: Uint8ClampedArray RGBA, width, height }; results are in full-size pixels.

import {
  boxDownscale, div, downscaleFactor, findPieces, findRoot, redCellRuler, smearCheck, stainScore, stainThresholds, union,
} from './stained-pieces.js';
import { cellExtent, coreBox } from './cell-extent.js';
import facts from './facts.json' with { type: 'json' };

// The lobe and cut-cell settings, for a finder spec written before they existed.
const { about: _about, ...LOBE_AND_CUT_CELL_DEFAULTS } = facts.lobes_and_cut_cells;
const { about: _aboutPale, ...PALE_CELL_DEFAULTS } = facts.pale_cells;

// ------------------------------------------------------------------ 6: lobes into cells

const extent = (box) => Math.max(box.bottom - box.top, box.right - box.left);

function boxGap(a, b) {
  const dy = Math.max(0, b.top - a.bottom, a.top - b.bottom);
  const dx = Math.max(0, b.left - a.right, a.left - b.right);
  return Math.max(dy, dx);
}

// Chessboard distance between the nearest pixels of two pieces, minus one (0 = 8-adjacent).
function pixelGap(a, b) {
  let best = Infinity;
  for (let i = 0; i < a.rows.length; i += 1) {
    for (let j = 0; j < b.rows.length; j += 1) {
      const dy = Math.abs(a.rows[i] - b.rows[j]) - 1;
      const dx = Math.max(b.starts[j] - a.ends[i], a.starts[i] - b.ends[j], 0);
      const gap = Math.max(dy, dx);
      if (gap < best) {
        best = gap;
        if (best === 0) return 0;
      }
    }
  }
  return best;
}

function centreInside(small, big) {
  const cy2 = small.top + small.bottom;
  const cx2 = small.left + small.right;
  return 2 * big.top <= cy2 && cy2 < 2 * big.bottom && 2 * big.left <= cx2 && cx2 < 2 * big.right;
}

const jointExtent = (a, b) => Math.max(Math.max(a.bottom, b.bottom) - Math.min(a.top, b.top),
  Math.max(a.right, b.right) - Math.min(a.left, b.left));

// The paler piece's mean stain is at least lobe_stain_percent of the other's (why: finder.py alike_stain).
function alikeStain(a, b, spec) {
  const aOverB = a.mass * b.area;
  const bOverA = b.mass * a.area;
  return Math.min(aOverB, bOverA) * 100 >= spec.lobe_stain_percent * Math.max(aOverB, bOverA);
}

function sameCell(a, b, ruler, spec) {
  if (!alikeStain(a, b, spec)) return false;
  const [small, big] = extent(a) <= extent(b) ? [a, b] : [b, a];
  if (ruler > 0 && extent(small) * 100 >= spec.whole_nucleus_ruler_percent * ruler) {
    if (jointExtent(a, b) * 100 <= spec.cell_span_ruler_percent * ruler) return true;
    const gap = spec.whole_nuclei_gap_percent * extent(small);
    return boxGap(a, b) * 100 <= gap && pixelGap(a, b) * 100 <= gap;
  }
  if (boxGap(a, b) * 100 > spec.group_gap_percent * extent(small)) return false;
  return centreInside(small, big) || pixelGap(a, b) * 100 <= spec.group_gap_percent * extent(small);
}

// Lists of piece indices, one per cell, in order of each cell's first piece. Pieces come sorted by
// top, so piece i is only compared with pieces starting at most its allowed gap below its bottom, or
// within one cell's span of its top.
export function groupPieces(pieces, ruler, spec) {
  const parent = new Int32Array(pieces.length);
  for (let i = 0; i < pieces.length; i += 1) parent[i] = i;
  const span = div(spec.cell_span_ruler_percent * ruler, 100);
  for (let i = 0; i < pieces.length; i += 1) {
    const a = pieces[i];
    const reach = Math.max(a.bottom + div(spec.group_gap_percent * extent(a), 100), a.top + span);
    for (let j = i + 1; j < pieces.length && pieces[j].top <= reach; j += 1) {
      const b = pieces[j];
      const near = boxGap(a, b) * 100 <= spec.group_gap_percent * Math.min(extent(a), extent(b));
      if (!near && jointExtent(a, b) > span) continue;
      if (sameCell(a, b, ruler, spec)) union(parent, i, j);
    }
  }
  const groups = new Map();
  for (let i = 0; i < pieces.length; i += 1) {
    const root = findRoot(parent, i);
    if (!groups.has(root)) groups.set(root, []);
    groups.get(root).push(i);
  }
  return [...groups.keys()].sort((x, y) => x - y).map((root) => groups.get(root));
}

// A cell from its pieces; its box spans only pieces of >= box_piece_percent of the biggest's area.
function mergeGroup(pieces, members, spec) {
  const biggest = members.reduce((m, i) => Math.max(m, pieces[i].area), 0);
  const cell = { area: 0, mass: 0, top: Infinity, left: Infinity, bottom: -Infinity, right: -Infinity, pieces: members.length };
  for (const i of members) {
    const p = pieces[i];
    cell.area += p.area;
    cell.mass += p.mass;
    if (p.area * 100 >= spec.box_piece_percent * biggest) {
      cell.top = Math.min(cell.top, p.top); cell.left = Math.min(cell.left, p.left);
      cell.bottom = Math.max(cell.bottom, p.bottom); cell.right = Math.max(cell.right, p.right);
    }
  }
  return cell;
}

// ------------------------------------------------------------------ 7-8: cells and crops

const atEdge = (group, height, width) => group.top === 0 || group.left === 0 || group.bottom >= height
  || group.right >= width;

// What a cell the photo's edge cuts would weigh whole: a round nucleus as wide as its extent.
function roundMass(group, spec) {
  const [num, den] = spec.cut_cell_round;
  return Math.max(group.mass, div(div(group.mass, group.area) * extent(group) * extent(group) * num, den));
}

// A cell the edge cuts is weighed whole and needs a longer chord (why: finder.py is_white_cell).
function isWhiteCell(group, largestMass, ruler, height, width, spec) {
  const cut = atEdge(group, height, width);
  const leastExtent = cut ? spec.cut_cell_ruler_percent : spec.white_ruler_percent;
  const bigVsRuler = ruler === 0 || extent(group) * 100 >= leastExtent * ruler;
  const bigVsLargest = (cut ? roundMass(group, spec) : group.mass) * 100 >= spec.white_mass_percent * largestMass;
  const dense = group.mass >= spec.white_min_density * group.area;
  return bigVsRuler && bigVsLargest && (dense || paleCell(group, largestMass, ruler, cut, spec));
}

// Too pale for white_min_density, yet a white cell (why: finder.py pale_cell).
function paleCell(group, largestMass, ruler, cut, spec) {
  return !cut && ruler > 0 && group.mass === largestMass
    && extent(group) * 100 >= spec.pale_cell_ruler_percent * ruler
    && group.mass >= spec.pale_cell_min_density * group.area;
}

function prominence(group, height, width) {
  const dy = group.top + group.bottom - height;
  const dx = group.left + group.right - width;
  return group.mass * (height * height + width * width - dy * dy - dx * dx);
}

function describe(group, factor, ruler, height, width, spec) {
  const [num, den] = spec.crop_scale;
  const size = extent(group) * factor;
  const side = Math.max(spec.min_crop_side, div(size * num, den), div(ruler * factor * spec.crop_min_ruler_percent, 100));
  const centreY = div((group.top + group.bottom) * factor, 2);
  const centreX = div((group.left + group.right) * factor, 2);
  return {
    centre: [centreY, centreX],
    nucleus_box: [group.top * factor, group.left * factor, group.bottom * factor, group.right * factor],
    extent: size,
    crop: [centreY - div(side, 2), centreX - div(side, 2), side],
    touches_edge: atEdge(group, height, width),
    white: group.white,
    score: group.prominence,
    mass: group.mass,
    pieces: group.pieces,
  };
}

// Colour statistics: is this a stained smear at all? (see smear_check in finder.py)

// Every stained group (white cells, platelets, debris) in raster order, and the photo's facts.
export function findCandidates(image, finderSpec) {
  const spec = { ...LOBE_AND_CUT_CELL_DEFAULTS, ...PALE_CELL_DEFAULTS, ...finderSpec };
  const factor = downscaleFactor(image.height, image.width, spec);
  const work = boxDownscale(image, factor);
  const score = stainScore(work);
  const { background, thresholds, mask: nucleus } = stainThresholds(score, work.width, work.height, spec);
  const ruler = redCellRuler(work, nucleus, spec);
  const pieces = findPieces(score, thresholds, nucleus, work.width, work.height, spec);
  const memberships = groupPieces(pieces, ruler, spec);
  const groups = memberships.map((members) => mergeGroup(pieces, members, spec));
  const largest = groups.reduce((m, g) => Math.max(m, g.mass), 0);
  for (const g of groups) {
    g.white = isWhiteCell(g, largest, ruler, work.height, work.width, spec);
    g.prominence = prominence(g, work.height, work.width);
  }
  const cells = groups.map((g) => describe(g, factor, ruler, work.height, work.width, spec));
  groups.forEach((g, k) => {
    if (!g.white) return; // the cell's own box and edge verdict (cell-extent.js); the crop does not use them
    const core = coreBox(pieces, memberships[k], score, thresholds, background, work.width, spec);
    const own = cellExtent(core || [g.top, g.left, g.bottom, g.right], factor, [work.height, work.width],
      [image.height, image.width]);
    Object.assign(cells[k], { cell_box: own.cell_box, cut_by_edge: own.cut });
  });
  const info = {
    factor, background, blob_level: background + spec.min_contrast, ruler: ruler * factor,
    work_shape: [work.height, work.width], smear: smearCheck(work, spec),
  };
  return { cells, info };
}

// The white cells, most prominent first (ties: raster order); none for a photo that is not a smear.
export function findCells(image, spec) {
  const { cells, info } = findCandidates(image, spec);
  if (spec.require_smear && !info.smear.is_smear) return [];
  return cells.filter((c) => c.white).sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : 0));
}

// White cells clear of the edge > white cells cut by it > other groups; then score; then first.
function better(c, best) {
  const rank = (x) => (x.white && !x.touches_edge ? 2 : 0) + (x.white ? 1 : 0);
  if (rank(c) !== rank(best)) return rank(c) > rank(best);
  return c.score > best.score;
}

export function pickMain(cells) {
  let best = null;
  for (const c of cells) if (best === null || better(c, best)) best = c;
  return best;
}

// [top, left, side] around the photo's one cell; the central square if nothing is stained.
export function mainCellCrop(image, spec) {
  const main = pickMain(findCandidates(image, spec).cells);
  if (main === null) {
    const side = Math.min(image.height, image.width);
    return [div(image.height - side, 2), div(image.width - side, 2), side];
  }
  return main.crop;
}
