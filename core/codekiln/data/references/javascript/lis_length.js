function lisLength(values) {
  const tails = []; // tails[k]: the smallest tail of an increasing subsequence of length k + 1
  for (const v of values) {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (tails[mid] < v) low = mid + 1;
      else high = mid;
    }
    tails[low] = v;
  }
  return tails.length;
}
