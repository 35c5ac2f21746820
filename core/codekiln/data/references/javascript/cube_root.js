function cubeRoot(x) {
  const magnitude = Math.abs(x);
  let low = 0.0;
  let high = Math.max(1.0, magnitude);
  for (let i = 0; i < 200; i++) {
    const mid = (low + high) / 2;
    if (mid * mid * mid < magnitude) low = mid;
    else high = mid;
  }
  const root = (low + high) / 2;
  return x < 0 ? -root : root;
}
