"""``python -m codekiln`` runs the same command line as ``codekiln``."""

from codekiln.cli import main

main()
