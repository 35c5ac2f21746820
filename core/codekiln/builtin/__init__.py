"""codekiln's built-in plugins: ordinary plugins, registered like third-party ones, blockable by name."""
