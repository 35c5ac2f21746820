function diceSumProbability(dice, target) {
  if (target < 0 || target > 6 * dice) return 0.0;
  let probability = [1.0]; // probability[s]: the chance that the dice rolled so far sum to s
  for (let d = 0; d < dice; d++) {
    const next = new Array(probability.length + 6).fill(0.0);
    probability.forEach((p, total) => {
      if (p) {
        for (let face = 1; face <= 6; face++) next[total + face] += p / 6;
      }
    });
    probability = next;
  }
  return probability[target];
}
