function spreadTime(grid) {
  const rows = grid.length;
  const cols = rows ? grid[0].length : 0;
  const minute = Array.from({ length: rows }, () => new Array(cols).fill(-1));
  const queue = [];
  let healthy = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (grid[r][c] === 'I') {
        minute[r][c] = 0;
        queue.push([r, c]);
      } else if (grid[r][c] === 'H') {
        healthy++;
      }
    }
  }
  let elapsed = 0;
  for (let head = 0; head < queue.length; head++) {
    const [r, c] = queue[head];
    for (const [nr, nc] of [[r + 1, c], [r - 1, c], [r, c + 1], [r, c - 1]]) {
      if (nr >= 0 && nr < rows && nc >= 0 && nc < cols && grid[nr][nc] === 'H' && minute[nr][nc] < 0) {
        minute[nr][nc] = minute[r][c] + 1;
        elapsed = Math.max(elapsed, minute[nr][nc]);
        healthy--;
        queue.push([nr, nc]);
      }
    }
  }
  return healthy === 0 ? elapsed : -1;
}
