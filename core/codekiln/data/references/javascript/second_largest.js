function secondLargest(values) {
  let largest = null;
  let second = null;
  for (const v of values) {
    if (largest === null || v > largest) {
      second = largest;
      largest = v;
    } else if (v < largest && (second === null || v > second)) {
      second = v;
    }
  }
  return second;
}
