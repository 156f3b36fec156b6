"""Exceptions: they mean only "could not validate", never "the flow is wrong"."""

from __future__ import annotations


class PesError(Exception):
    """pes-v2 could not validate (bad path, unusable schema bundle, bad configuration).

    ``str(error)`` is the English message; :meth:`message` gives it in French too."""

    def __init__(self, message: str, fr: str | None = None) -> None:
        super().__init__(message, message if fr is None else fr)

    def __str__(self) -> str:
        return str(self.args[0])

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("fr" or "en")."""
        return str(self.args[1] if lang == "fr" else self.args[0])


class InputError(PesError):
    """The input cannot be read at all (missing, a directory, no permission)."""


class BundleError(PesError):
    """A schema bundle is missing, incomplete, does not compile or reaches for the network."""


class ConfigError(PesError):
    """An option, limit or context file is not usable."""
