function firstRepeatedChar(text) {
  const seen = new Set();
  for (const ch of text) {
    if (seen.has(ch)) return ch;
    seen.add(ch);
  }
  return null;
}
