function knapsack01(weights, values, capacity) {
  const best = new Array(capacity + 1).fill(0);
  weights.forEach((weight, item) => {
    for (let room = capacity; room >= weight; room--) {
      best[room] = Math.max(best[room], best[room - weight] + values[item]);
    }
  });
  return best[capacity];
}
