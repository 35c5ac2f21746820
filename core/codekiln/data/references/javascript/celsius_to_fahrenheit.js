function celsiusToFahrenheit(temps) {
  return temps.map((c) => (c * 9) / 5 + 32);
}
