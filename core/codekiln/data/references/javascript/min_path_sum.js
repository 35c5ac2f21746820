function minPathSum(grid) {
  const cols = grid[0].length;
  const best = new Array(cols).fill(0);
  grid.forEach((row, r) => {
    row.forEach((value, c) => {
      if (r === 0 && c === 0) best[c] = value;
      else if (r === 0) best[c] = best[c - 1] + value;
      else if (c === 0) best[c] += value;
      else best[c] = Math.min(best[c], best[c - 1]) + value;
    });
  });
  return best[cols - 1];
}
