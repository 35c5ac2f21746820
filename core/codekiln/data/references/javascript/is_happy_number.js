function isHappyNumber(n) {
  const step = (x) => {
    let total = 0;
    for (; x > 0; x = Math.floor(x / 10)) total += (x % 10) ** 2;
    return total;
  };
  const seen = new Set();
  while (n !== 1 && !seen.has(n)) {
    seen.add(n);
    n = step(n);
  }
  return n === 1;
}
