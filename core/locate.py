"""Find the white cell in a smear photo and choose a square crop centred on it.

The stained nucleus is the one strongly blue-over-green thing in the frame (red cells and the
background are not), so each pixel scores blue minus green. The frame is cut into a grid of
blocks, blocks well above the strongest one's share form a mask, and the largest connected
region's score-weighted centre becomes the crop centre.

Mirrored by web/js/locate.js. Everything is integer arithmetic (block sums, cross-multiplied
comparisons, floor division) so that Python and JavaScript choose the very same pixels.
"""
import numpy as np


def default_locate_spec() -> dict:
    return {"score": "blue_minus_green", "grid": 32, "min_mean_score": 30,
            "relative_threshold_percent": 50, "crop_fraction": 0.5}


def block_edges(size: int, grid: int) -> list:
    return [(i * size) // grid for i in range(grid + 1)]


def block_sums(rgb: np.ndarray, grid: int) -> tuple:
    """Per-block sum of (blue - green) and pixel count, as Python ints."""
    score = rgb[..., 2].astype(np.int64) - rgb[..., 1].astype(np.int64)
    rows, cols = block_edges(rgb.shape[0], grid), block_edges(rgb.shape[1], grid)
    # Summed-area table: exact integer block sums in one pass.
    table = np.zeros((score.shape[0] + 1, score.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = score.cumsum(0).cumsum(1)
    sums = [[int(table[rows[i + 1], cols[j + 1]] - table[rows[i], cols[j + 1]]
                 - table[rows[i + 1], cols[j]] + table[rows[i], cols[j]]) for j in range(grid)] for i in range(grid)]
    counts = [[(rows[i + 1] - rows[i]) * (cols[j + 1] - cols[j]) for j in range(grid)] for i in range(grid)]
    return sums, counts, rows, cols


def strongest_block(sums: list, counts: list) -> tuple:
    best = None
    for i, row in enumerate(sums):
        for j, total in enumerate(row):
            if counts[i][j] and (best is None or total * counts[best[0]][best[1]] > sums[best[0]][best[1]] * counts[i][j]):
                best = (i, j)
    return best


def cell_mask(sums: list, counts: list, spec: dict) -> list:
    grid = len(sums)
    best = strongest_block(sums, counts)
    if best is None:
        return [[False] * grid for _ in range(grid)]
    top_sum, top_count = sums[best[0]][best[1]], counts[best[0]][best[1]]
    percent = spec["relative_threshold_percent"]
    return [[counts[i][j] > 0
             and sums[i][j] >= spec["min_mean_score"] * counts[i][j]
             and sums[i][j] * top_count * 100 >= percent * top_sum * counts[i][j]
             for j in range(grid)] for i in range(grid)]


def largest_region(mask: list, sums: list) -> list:
    """Blocks of the 4-connected region with the highest total score (first found wins ties)."""
    grid = len(mask)
    seen = [[False] * grid for _ in range(grid)]
    best, best_score = [], None
    for i in range(grid):
        for j in range(grid):
            if mask[i][j] and not seen[i][j]:
                region, stack = [], [(i, j)]
                seen[i][j] = True
                while stack:
                    y, x = stack.pop()
                    region.append((y, x))
                    for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                        if 0 <= ny < grid and 0 <= nx < grid and mask[ny][nx] and not seen[ny][nx]:
                            seen[ny][nx] = True
                            stack.append((ny, nx))
                score = sum(sums[y][x] for y, x in region)
                if best_score is None or score > best_score:
                    best, best_score = region, score
    return best


def locate_cell(rgb: np.ndarray, spec: dict) -> tuple:
    """(centre_y, centre_x) of the white cell, or of the frame when none stands out."""
    height, width = rgb.shape[:2]
    sums, counts, rows, cols = block_sums(rgb, spec["grid"])
    region = largest_region(cell_mask(sums, counts, spec), sums)
    weight = sum(sums[i][j] for i, j in region)
    if not region or weight <= 0:
        return height // 2, width // 2
    centre_y = sum(sums[i][j] * (rows[i] + rows[i + 1]) for i, j in region) // (2 * weight)
    centre_x = sum(sums[i][j] * (cols[j] + cols[j + 1]) for i, j in region) // (2 * weight)
    return centre_y, centre_x


def crop_box(rgb: np.ndarray, spec: dict) -> tuple:
    """(top, left, side) of the square crop around the cell, kept inside the frame."""
    height, width = rgb.shape[:2]
    side = max(1, int(np.floor(min(height, width) * spec["crop_fraction"])))
    centre_y, centre_x = locate_cell(rgb, spec)
    top = min(max(centre_y - side // 2, 0), height - side)
    left = min(max(centre_x - side // 2, 0), width - side)
    return top, left, side
