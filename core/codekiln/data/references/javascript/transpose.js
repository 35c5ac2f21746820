function transpose(matrix) {
  if (matrix.length === 0) return [];
  return matrix[0].map((_, j) => matrix.map((row) => row[j]));
}
