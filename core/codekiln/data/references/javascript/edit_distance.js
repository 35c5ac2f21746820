function editDistance(source, target) {
  let previous = Array.from({ length: target.length + 1 }, (_, j) => j);
  for (let i = 1; i <= source.length; i++) {
    const current = [i];
    for (let j = 1; j <= target.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (source[i - 1] !== target[j - 1] ? 1 : 0),
      );
    }
    previous = current;
  }
  return previous[target.length];
}
