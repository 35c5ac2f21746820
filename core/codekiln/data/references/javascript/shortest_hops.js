function shortestHops(graph, start, goal) {
  const dist = new Map([[start, 0]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    if (node === goal) return dist.get(node);
    const edges = Object.hasOwn(graph, node) ? graph[node] : [];
    for (const next of edges) {
      if (!dist.has(next)) {
        dist.set(next, dist.get(node) + 1);
        queue.push(next);
      }
    }
  }
  return -1;
}
