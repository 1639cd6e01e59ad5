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
