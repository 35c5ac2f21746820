function wordBreak(text, words) {
  const vocabulary = new Set(words);
  const lengths = [...new Set(words.map((word) => word.length))].sort((a, b) => a - b);
  const canEnd = new Array(text.length + 1).fill(false);
  canEnd[0] = true;
  for (let end = 1; end <= text.length; end++) {
    for (const length of lengths) {
      if (length > end) break;
      if (canEnd[end - length] && vocabulary.has(text.slice(end - length, end))) {
        canEnd[end] = true;
        break;
      }
    }
  }
  return canEnd[text.length];
}
