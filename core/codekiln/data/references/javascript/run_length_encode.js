function runLengthEncode(text) {
  const parts = [];
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (j < text.length && text[j] === text[i]) j++;
    parts.push(text[i] + (j - i));
    i = j;
  }
  return parts.join('');
}
