function topKFrequent(values, k) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) || 0) + 1);
  const ordered = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || a - b);
  return ordered.slice(0, k);
}
