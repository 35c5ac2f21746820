"""The built-in rewards, one plugin module each: ``basic`` (syntax, compiles, tests, all_tests, format,
length), ``quality``, ``constraints``, ``security`` and ``efficiency``."""
