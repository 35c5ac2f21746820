function kthSmallestSortedMatrix(matrix, k) {
  const rows = matrix.length;
  const cols = matrix[0].length;
  const countAtMost = (limit) => {
    let count = 0;
    let c = cols - 1;
    for (let r = 0; r < rows; r++) {
      while (c >= 0 && matrix[r][c] > limit) c--;
      count += c + 1;
    }
    return count;
  };
  let low = matrix[0][0];
  let high = matrix[rows - 1][cols - 1];
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (countAtMost(mid) >= k) high = mid;
    else low = mid + 1;
  }
  return low;
}
