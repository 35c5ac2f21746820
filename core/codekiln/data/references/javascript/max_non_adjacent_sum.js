function maxNonAdjacentSum(values) {
  let take = 0; // the best sum that uses the latest element
  let skip = 0; // the best sum that does not
  for (const v of values) {
    [take, skip] = [skip + v, Math.max(take, skip)];
  }
  return Math.max(take, skip);
}
