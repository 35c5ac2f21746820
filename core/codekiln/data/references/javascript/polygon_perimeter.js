function polygonPerimeter(points) {
  if (points.length < 2) return 0.0;
  let total = 0.0;
  points.forEach(([x1, y1], i) => {
    const [x2, y2] = points[(i + 1) % points.length];
    total += Math.hypot(x2 - x1, y2 - y1);
  });
  return total;
}
