"""``python -m pes_v2.cli``: the same as the ``pes-v2`` command."""

from .main import main

main()
