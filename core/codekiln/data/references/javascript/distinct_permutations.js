function distinctPermutations(text) {
  const counts = new Map();
  for (const ch of text) counts.set(ch, (counts.get(ch) || 0) + 1);
  const alphabet = [...counts.keys()].sort();
  const result = [];
  const current = [];
  const build = () => {
    if (current.length === text.length) {
      result.push(current.join(''));
      return;
    }
    for (const ch of alphabet) {
      if (counts.get(ch) > 0) {
        counts.set(ch, counts.get(ch) - 1);
        current.push(ch);
        build();
        current.pop();
        counts.set(ch, counts.get(ch) + 1);
      }
    }
  };
  build();
  return result;
}
