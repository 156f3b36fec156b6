"""The ``pes-v2`` command line: a thin layer over the :mod:`pes_v2` API."""
