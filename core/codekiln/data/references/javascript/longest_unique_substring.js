function longestUniqueSubstring(text) {
  const lastSeen = new Map();
  let start = 0;
  let best = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (lastSeen.has(ch) && lastSeen.get(ch) >= start) start = lastSeen.get(ch) + 1;
    lastSeen.set(ch, i);
    best = Math.max(best, i - start + 1);
  }
  return best;
}
