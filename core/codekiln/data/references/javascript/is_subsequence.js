function isSubsequence(pattern, text) {
  let i = 0;
  for (const ch of text) {
    if (i < pattern.length && pattern[i] === ch) i++;
  }
  return i === pattern.length;
}
