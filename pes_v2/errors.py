"""Exceptions: they mean only "could not validate", never "the flow is wrong"."""

from __future__ import annotations


class PesError(Exception):
    """pes-v2 could not validate (bad path, unusable schema bundle, bad configuration)."""


class InputError(PesError):
    """The input cannot be read at all (missing, a directory, no permission)."""


class BundleError(PesError):
    """A schema bundle is missing, incomplete, does not compile or reaches for the network."""


class ConfigError(PesError):
    """An option, limit or context file is not usable."""
