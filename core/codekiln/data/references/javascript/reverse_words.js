function reverseWords(text) {
  return text
    .split(' ')
    .filter((word) => word.length > 0)
    .reverse()
    .join(' ');
}
