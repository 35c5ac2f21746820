function largestConcatenation(values) {
  if (values.length === 0) return '';
  const digits = values.map(String);
  digits.sort((x, y) => {
    const xy = x + y;
    const yx = y + x;
    return xy > yx ? -1 : xy < yx ? 1 : 0;
  });
  const joined = digits.join('');
  return joined[0] === '0' ? '0' : joined;
}
