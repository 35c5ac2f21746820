function sortRecords(records) {
  const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  return [...records].sort((a, b) => b[1] - a[1] || byName(a, b));
}
