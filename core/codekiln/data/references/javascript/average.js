function average(values) {
  if (values.length === 0) return 0.0;
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}
