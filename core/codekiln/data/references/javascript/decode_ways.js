function decodeWays(digits) {
  let previous = 0; // ways to decode the prefix one shorter than the current one
  let current = 1;
  for (let i = 0; i < digits.length; i++) {
    let ways = digits[i] !== '0' ? current : 0;
    if (i > 0) {
      const pair = Number(digits.slice(i - 1, i + 1));
      if (pair >= 10 && pair <= 26) ways += previous; // "06" is 6: no letter
    }
    previous = current;
    current = ways;
  }
  return current;
}
