function minCoins(coins, amount) {
  const unreachable = amount + 1;
  const best = new Array(amount + 1).fill(unreachable);
  best[0] = 0;
  for (let total = 1; total <= amount; total++) {
    for (const coin of coins) {
      if (coin <= total && best[total - coin] + 1 < best[total]) best[total] = best[total - coin] + 1;
    }
  }
  return best[amount] !== unreachable ? best[amount] : -1;
}
