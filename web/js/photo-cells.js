// The cells of a photo: what the page classifies in one photo. The twin of core/photo_cells.py, which
// training's evaluation, recalibration and the bench use (a parity test holds them together).
import { cropMode, cropSquare } from './preprocess.js';
import { findCandidates, pickMain } from './finder.js';

const byScore = (a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : 0);

// { status: 'cells' | 'no-cells' | 'not-smear', smear, cells: [{ square, touches_edge, nucleus_box, cell_box }],
// main }, from a colour-corrected photo. A model without the finder sees each photo as one cell, the square it was trained
// on. With it: every white cell, most prominent first (a stable sort keeps raster order on ties), and the
// main one (pickMain, the cell training uses for a photo of one cell) when it is among them; none when the
// photo fails the smear check, unless the person looked for cells anyway. cell_box [top, left, bottom,
// right] is the cell's own extent and touches_edge whether the photo's edge cuts it (cell-extent.js), not
// its crop square's.
export function photoCells(image, spec, lookAnyway = false) {
  if (!cropMode(spec).findsCells) {
    return { status: 'cells', smear: true, cells: [{ square: cropSquare(image, spec), touches_edge: false, nucleus_box: null, cell_box: null }], main: 0 };
  }
  const { cells: candidates, info } = findCandidates(image, spec.finder);
  const smear = info.smear.is_smear || !spec.finder.require_smear;
  if (!smear && !lookAnyway) return { status: 'not-smear', smear: false, cells: [], main: null };
  const white = candidates.filter((cell) => cell.white).sort(byScore);
  const main = white.indexOf(pickMain(candidates));
  return {
    status: white.length ? 'cells' : 'no-cells',
    smear,
    cells: white.map((cell) => ({
      square: cell.crop, touches_edge: cell.cut_by_edge, nucleus_box: cell.nucleus_box, cell_box: cell.cell_box,
    })),
    main: main >= 0 ? main : null,
  };
}

// A white cell the finder did not give, where a person points ([y, x] in photo pixels): its crop square
// (cell_box null: a person, not the finder, says where the cell is). Centred on the stained group under the
// point, or the nearest one within half a red cell's width, when the finder judged it no white cell (too pale,
// too small, a dark nucleus seen only by its rim: why cells are missed); else on the point. As large as the
// finder cuts that group, and at least as large as the photo's other cells (the median of `sides`) or, in a
// photo without any, as the finder cuts a nucleus one red cell wide. No Python twin: it answers a person.
export function cellAt(image, spec, [y, x], sides = []) {
  const { cells: candidates, info } = findCandidates(image, spec.finder);
  const distance = (c) => Math.hypot(c.centre[0] - y, c.centre[1] - x);
  const under = (c) => y >= c.nucleus_box[0] && y < c.nucleus_box[2] && x >= c.nucleus_box[1] && x < c.nucleus_box[3];
  const reach = Math.max(info.ruler / 2, spec.finder.min_crop_side);  // a click on the cell lands on or by its nucleus
  const [group] = candidates.filter((c) => !c.white && (under(c) || distance(c) <= reach))
    .sort((a, b) => Number(under(b)) - Number(under(a)) || distance(a) - distance(b));
  const least = leastSide(spec.finder, info.ruler, sides);
  const square = group && group.crop[2] >= least ? group.crop : centredSquare(group ? group.centre : [y, x], least);
  return { square, touches_edge: group ? group.touches_edge : false, nucleus_box: group ? group.nucleus_box : null,
    cell_box: null };
}

function leastSide(finder, ruler, sides) {
  if (sides.length) return [...sides].sort((a, b) => a - b)[Math.floor(sides.length / 2)];
  const [num, den] = finder.crop_scale;
  return Math.max(finder.min_crop_side, Math.floor((ruler * num) / den));
}

const centredSquare = ([y, x], side) => [Math.round(y) - Math.floor(side / 2), Math.round(x) - Math.floor(side / 2), side];
