function minMeetingRooms(meetings) {
  const events = [];
  for (const [start, end] of meetings) events.push([start, 1], [end, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // at equal times, ends (-1) come before starts
  let inUse = 0;
  let best = 0;
  for (const [, delta] of events) {
    inUse += delta;
    best = Math.max(best, inUse);
  }
  return best;
}
