"""The built-in dataset loaders: ``loaders`` registers them; one module per imported benchmark format."""
