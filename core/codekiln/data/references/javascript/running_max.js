function runningMax(values) {
  const result = [];
  for (const v of values) {
    result.push(result.length === 0 ? v : Math.max(result[result.length - 1], v));
  }
  return result;
}
