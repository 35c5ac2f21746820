function pascalRow(row) {
  let current = [1];
  for (let r = 0; r < row; r++) {
    const next = [1];
    for (let i = 0; i + 1 < current.length; i++) next.push(current[i] + current[i + 1]);
    next.push(1);
    current = next;
  }
  return current;
}
