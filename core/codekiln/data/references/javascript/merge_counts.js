function mergeCounts(first, second) {
  const totals = new Map(Object.entries(first));
  for (const [name, count] of Object.entries(second)) {
    totals.set(name, (totals.get(name) || 0) + count);
  }
  return Object.fromEntries([...totals].filter(([, total]) => total !== 0));
}
