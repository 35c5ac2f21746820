function maskString(text, visible) {
  const hidden = Math.max(text.length - visible, 0);
  return '#'.repeat(hidden) + text.slice(hidden);
}
