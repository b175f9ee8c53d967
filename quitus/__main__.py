"""``python -m quitus``: the same CLI as the ``quitus`` command."""

from quitus.cli import main

main()
