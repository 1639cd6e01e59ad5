// Find the white cell and choose a square crop centred on it: the twin of core/locate.py.
// Integer arithmetic throughout (block sums, cross-multiplied comparisons, floor division), so
// the browser picks exactly the pixels Python picked. A test compares the two on real smears.

function blockEdges(size, grid) {
  const edges = [];
  for (let i = 0; i <= grid; i += 1) edges.push(Math.floor((i * size) / grid));
  return edges;
}

// Per-block sum of (blue - green) and pixel count, from RGBA pixels.
function blockSums(rgba, width, height, grid) {
  const rows = blockEdges(height, grid);
  const cols = blockEdges(width, grid);
  const columnOf = new Int32Array(width);
  for (let j = 0; j < grid; j += 1) columnOf.fill(j, cols[j], cols[j + 1]);
  const sums = Array.from({ length: grid }, () => new Array(grid).fill(0));
  const counts = Array.from({ length: grid }, (_, i) => cols.slice(1).map((c, j) => (rows[i + 1] - rows[i]) * (c - cols[j])));
  for (let i = 0; i < grid; i += 1) {
    for (let y = rows[i]; y < rows[i + 1]; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const at = (y * width + x) * 4;
        sums[i][columnOf[x]] += rgba[at + 2] - rgba[at + 1];
      }
    }
  }
  return { sums, counts, rows, cols };
}

function strongestBlock(sums, counts) {
  let best = null;
  sums.forEach((row, i) => row.forEach((total, j) => {
    if (counts[i][j] && (best === null || total * counts[best[0]][best[1]] > sums[best[0]][best[1]] * counts[i][j])) {
      best = [i, j];
    }
  }));
  return best;
}

function cellMask(sums, counts, spec) {
  const best = strongestBlock(sums, counts);
  if (best === null) return sums.map((row) => row.map(() => false));
  const topSum = sums[best[0]][best[1]];
  const topCount = counts[best[0]][best[1]];
  return sums.map((row, i) => row.map((total, j) => counts[i][j] > 0
    && total >= spec.min_mean_score * counts[i][j]
    && total * topCount * 100 >= spec.relative_threshold_percent * topSum * counts[i][j]));
}

// Blocks of the 4-connected region with the highest total score (first found wins ties).
function largestRegion(mask, sums) {
  const grid = mask.length;
  const seen = mask.map((row) => row.map(() => false));
  let best = [];
  let bestScore = null;
  for (let i = 0; i < grid; i += 1) {
    for (let j = 0; j < grid; j += 1) {
      if (!mask[i][j] || seen[i][j]) continue;
      const region = [];
      const stack = [[i, j]];
      seen[i][j] = true;
      while (stack.length) {
        const [y, x] = stack.pop();
        region.push([y, x]);
        for (const [ny, nx] of [[y - 1, x], [y + 1, x], [y, x - 1], [y, x + 1]]) {
          if (ny >= 0 && ny < grid && nx >= 0 && nx < grid && mask[ny][nx] && !seen[ny][nx]) {
            seen[ny][nx] = true;
            stack.push([ny, nx]);
          }
        }
      }
      const score = region.reduce((total, [y, x]) => total + sums[y][x], 0);
      if (bestScore === null || score > bestScore) {
        best = region;
        bestScore = score;
      }
    }
  }
  return best;
}

export function locateCell(image, spec) {
  const { data, width, height } = image;
  const { sums, counts, rows, cols } = blockSums(data, width, height, spec.grid);
  const region = largestRegion(cellMask(sums, counts, spec), sums);
  const weight = region.reduce((total, [i, j]) => total + sums[i][j], 0);
  if (!region.length || weight <= 0) return [Math.floor(height / 2), Math.floor(width / 2)];
  const along = (edges, pick) => region.reduce((total, cell) => total + sums[cell[0]][cell[1]] * (edges[pick(cell)] + edges[pick(cell) + 1]), 0);
  return [Math.floor(along(rows, (c) => c[0]) / (2 * weight)), Math.floor(along(cols, (c) => c[1]) / (2 * weight))];
}

export function cropBox(image, spec) {
  const { width, height } = image;
  const side = Math.max(1, Math.floor(Math.min(height, width) * spec.crop_fraction));
  const [centreY, centreX] = locateCell(image, spec);
  const top = Math.min(Math.max(centreY - Math.floor(side / 2), 0), height - side);
  const left = Math.min(Math.max(centreX - Math.floor(side / 2), 0), width - side);
  return [top, left, side];
}
