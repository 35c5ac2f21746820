function rotatedSearch(values, target) {
  let low = 0;
  let high = values.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (values[mid] === target) return mid;
    if (values[low] <= values[mid]) {
      if (values[low] <= target && target < values[mid]) high = mid - 1;
      else low = mid + 1;
    } else if (values[mid] < target && target <= values[high]) {
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return -1;
}
