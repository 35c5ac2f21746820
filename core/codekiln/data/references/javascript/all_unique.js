function allUnique(values) {
  return new Set(values).size === values.length;
}
