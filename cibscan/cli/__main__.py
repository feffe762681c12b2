"""``python -m cibscan.cli``: the same as the ``cibscan`` command."""

from cibscan.cli import main

main()
