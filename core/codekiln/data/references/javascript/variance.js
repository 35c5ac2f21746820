function variance(values) {
  if (values.length === 0) return 0.0;
  let total = 0;
  for (const v of values) total += v;
  const mean = total / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return squares / values.length;
}
