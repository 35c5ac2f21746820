function decodeString(text) {
  const stack = [];
  let current = '';
  let number = 0;
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') {
      number = number * 10 + Number(ch);
    } else if (ch === '[') {
      stack.push([current, number]);
      current = '';
      number = 0;
    } else if (ch === ']') {
      const [outer, repeat] = stack.pop();
      current = outer + current.repeat(repeat);
    } else {
      current += ch;
    }
  }
  return current;
}
