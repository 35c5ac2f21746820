function maxNonOverlapping(intervals) {
  const byEnd = [...intervals].sort((a, b) => a[1] - b[1]);
  let chosen = 0;
  let lastEnd = null;
  for (const [start, end] of byEnd) {
    if (lastEnd === null || start >= lastEnd) {
      chosen++;
      lastEnd = end;
    }
  }
  return chosen;
}
