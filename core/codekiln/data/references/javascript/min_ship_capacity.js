function minShipCapacity(weights, days) {
  const daysNeeded = (capacity) => {
    let used = 1;
    let load = 0;
    for (const w of weights) {
      if (load + w > capacity) {
        used++;
        load = 0;
      }
      load += w;
    }
    return used;
  };
  let low = Math.max(...weights);
  let high = weights.reduce((sum, w) => sum + w, 0);
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (daysNeeded(mid) <= days) high = mid;
    else low = mid + 1;
  }
  return low;
}
