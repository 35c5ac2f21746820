function longestEqualRun(values) {
  if (values.length === 0) return null;
  let bestValue = values[0];
  let bestLength = 1;
  let length = 1;
  for (let i = 1; i < values.length; i++) {
    length = values[i] === values[i - 1] ? length + 1 : 1;
    if (length > bestLength) {
      bestValue = values[i];
      bestLength = length;
    }
  }
  return [bestValue, bestLength];
}
