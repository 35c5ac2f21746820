function toBinary(n) {
  if (n === 0) return '0';
  const sign = n < 0 ? '-' : '';
  let rest = Math.abs(n);
  const bits = [];
  while (rest > 0) {
    bits.push(rest % 2 ? '1' : '0');
    rest = Math.floor(rest / 2);
  }
  return sign + bits.reverse().join('');
}
