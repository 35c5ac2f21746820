function isPerfectNumber(n) {
  if (n < 2) return false;
  let total = 1;
  for (let d = 2; d * d <= n; d++) {
    if (n % d === 0) {
      total += d;
      if (d !== n / d) total += n / d;
    }
  }
  return total === n;
}
