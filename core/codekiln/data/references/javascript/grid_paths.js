function gridPaths(grid) {
  const cols = grid[0].length;
  const ways = new Array(cols).fill(0);
  ways[0] = 1;
  for (const line of grid) {
    for (let c = 0; c < cols; c++) {
      if (line[c] === '#') ways[c] = 0;
      else if (c > 0) ways[c] += ways[c - 1];
    }
  }
  return ways[cols - 1];
}
