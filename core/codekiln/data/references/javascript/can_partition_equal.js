function canPartitionEqual(values) {
  const total = values.reduce((sum, v) => sum + v, 0);
  if (total % 2 !== 0) return false;
  const half = total / 2;
  const reachable = new Uint8Array(half + 1);
  reachable[0] = 1;
  for (const v of values) {
    for (let s = half; s >= v; s--) {
      if (reachable[s - v]) reachable[s] = 1;
    }
  }
  return reachable[half] === 1;
}
