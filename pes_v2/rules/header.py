"""EnTetePES and domain headers: collectivité identifiers, versions, InfoDematerialisee."""

from __future__ import annotations
