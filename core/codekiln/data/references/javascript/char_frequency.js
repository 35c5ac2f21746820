function charFrequency(text) {
  const counts = {};
  for (const ch of text.toLowerCase()) {
    if (ch >= 'a' && ch <= 'z') counts[ch] = (counts[ch] || 0) + 1;
  }
  return counts;
}
