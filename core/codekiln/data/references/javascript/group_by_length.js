function groupByLength(words) {
  const groups = {};
  for (const word of words) {
    (groups[word.length] ||= []).push(word);
  }
  return groups;
}
