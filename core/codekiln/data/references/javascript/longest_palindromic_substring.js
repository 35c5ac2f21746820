function longestPalindromicSubstring(text) {
  let bestStart = 0;
  let bestLength = 0;
  for (let center = 0; center < 2 * text.length - 1; center++) {
    let left = Math.floor(center / 2);
    let right = left + (center % 2);
    while (left >= 0 && right < text.length && text[left] === text[right]) {
      left--;
      right++;
    }
    const length = right - left - 1;
    if (length > bestLength) {
      bestStart = left + 1;
      bestLength = length;
    }
  }
  return text.slice(bestStart, bestStart + bestLength);
}
