function evaluateRpn(tokens) {
  const stack = [];
  for (const token of tokens) {
    if (token === '+' || token === '-' || token === '*' || token === '/') {
      const right = stack.pop();
      const left = stack.pop();
      if (token === '+') stack.push(left + right);
      else if (token === '-') stack.push(left - right);
      else if (token === '*') stack.push(left * right);
      else stack.push(Number(BigInt(left) / BigInt(right))); // exact, truncates toward zero
    } else {
      stack.push(Number(token));
    }
  }
  return stack[stack.length - 1];
}
