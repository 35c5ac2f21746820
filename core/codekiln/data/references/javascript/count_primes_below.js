function countPrimesBelow(n) {
  if (n < 3) return 0;
  const composite = new Uint8Array(n);
  let count = 0;
  for (let p = 2; p < n; p++) {
    if (composite[p]) continue;
    count++;
    for (let multiple = p * p; multiple < n; multiple += p) composite[multiple] = 1;
  }
  return count;
}
