"""``python -m supplyguard`` is the ``supplyguard`` command."""

from supplyguard.cli.main import main

main()
