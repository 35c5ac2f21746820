function twoSumIndices(values, target) {
  const firstIndex = new Map();
  for (let j = 0; j < values.length; j++) {
    const i = firstIndex.get(target - values[j]);
    if (i !== undefined) return [i, j];
    if (!firstIndex.has(values[j])) firstIndex.set(values[j], j);
  }
  return null;
}
