// A white cell's own extent: the box outlined on the photo and whether the photo's edge cuts the cell,
// from its nucleus's core (a paler clump joined to the nucleus falls away) and a cytoplasm margin. The
// twin of core/cell_extent.py, which explains it; integer arithmetic, held together by a parity test.
import facts from './facts.json' with { type: 'json' };
import { div, maskRuns, runLabels } from './stained-pieces.js';

const [CORE_NUM, CORE_DEN] = facts.cell_extent.core_contrast;
const [MARGIN_NUM, MARGIN_DEN] = facts.cell_extent.cytoplasm_margin;

// [top, left, bottom, right] in work pixels of the core of a group's nucleus; null when no pixel of the
// group is that strongly stained. score and thresholds are the work image's, row by row.
export function coreBox(pieces, members, score, thresholds, background, workWidth, spec) {
  const top = Math.min(...members.map((i) => pieces[i].top));
  const left = Math.min(...members.map((i) => pieces[i].left));
  const bottom = Math.max(...members.map((i) => pieces[i].bottom));
  const right = Math.max(...members.map((i) => pieces[i].right));
  const width = right - left;
  const core = new Uint8Array((bottom - top) * width);
  for (const i of members) {
    const { rows, starts, ends } = pieces[i];
    for (let r = 0; r < rows.length; r += 1) {
      for (let x = starts[r]; x < ends[r]; x += 1) {
        const at = rows[r] * workWidth + x;
        if ((score[at] - background) * CORE_DEN >= (thresholds[at] - background) * CORE_NUM) {
          core[(rows[r] - top) * width + x - left] = 1;
        }
      }
    }
  }
  const runs = maskRuns(core, width, bottom - top);
  if (runs.rows.length === 0) return null;
  const { labels, count } = runLabels(runs);
  const areas = new Float64Array(count);
  for (let r = 0; r < labels.length; r += 1) areas[labels[r]] += runs.ends[r] - runs.starts[r];
  const biggest = areas.reduce((most, area) => Math.max(most, area), 0);
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (let r = 0; r < labels.length; r += 1) {
    if (areas[labels[r]] * 100 < spec.box_piece_percent * biggest) continue;
    box[0] = Math.min(box[0], top + runs.rows[r]); box[1] = Math.min(box[1], left + runs.starts[r]);
    box[2] = Math.max(box[2], top + runs.rows[r] + 1); box[3] = Math.max(box[3], left + runs.ends[r]);
  }
  return box;
}

// { cell_box: [top, left, bottom, right] in photo pixels, clipped to the photo, cut } from the core's box
// in work pixels: widened by the cytoplasm margin, cut when it reaches the photo's edge.
export function cellExtent([top, left, bottom, right], factor, [height, width], [photoHeight, photoWidth]) {
  const margin = div(Math.max(bottom - top, right - left) * MARGIN_NUM, MARGIN_DEN);
  const cut = top - margin <= 0 || left - margin <= 0 || bottom + margin >= height || right + margin >= width;
  return {
    cell_box: [Math.max(0, top - margin) * factor, Math.max(0, left - margin) * factor,
      Math.min(photoHeight, (bottom + margin) * factor), Math.min(photoWidth, (right + margin) * factor)],
    cut,
  };
}
