function minMax(values) {
  if (values.length === 0) return null;
  let low = values[0];
  let high = values[0];
  for (const v of values) {
    if (v < low) low = v;
    else if (v > high) high = v;
  }
  return [low, high];
}
