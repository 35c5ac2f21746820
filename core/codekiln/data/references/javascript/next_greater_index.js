function nextGreaterIndex(values) {
  const result = new Array(values.length).fill(-1);
  const stack = []; // indices still waiting for a greater value, their values decreasing
  values.forEach((v, j) => {
    while (stack.length > 0 && values[stack[stack.length - 1]] < v) result[stack.pop()] = j;
    stack.push(j);
  });
  return result;
}
