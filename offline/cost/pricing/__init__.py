"""The registry of pricing functions: which pulumi-aws v7 type token is priced by which function, and which is free.

One module per area holds its pricers and two tables, `PRICERS` (type token -> pricer) and `FREE` (type token ->
why AWS does not charge for it); this module merges the tables of every module in `AREAS`. A type in neither table
is reported as "no price", never counted as zero. A type belongs to the module of its AWS service.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Optional, TypeVar

from ..model import Pricer
from . import compute, database, edge, network, observability, security, storage

AREAS: tuple[ModuleType, ...] = (network, database, compute, edge, observability, security, storage)

_V = TypeVar("_V")


def _merged(tables: list[Mapping[str, _V]], what: str) -> dict[str, _V]:
    merged: dict[str, _V] = {}
    for table in tables:
        twice = merged.keys() & table.keys()
        if twice:
            raise RuntimeError(f"{what}: {sorted(twice)} registered by two pricing modules")
        merged.update(table)
    return merged


PRICERS: dict[str, Pricer] = _merged([area.PRICERS for area in AREAS], "PRICERS")
FREE: dict[str, str] = _merged([area.FREE for area in AREAS], "FREE")


def free_reason(typ: str) -> Optional[str]:
    if not typ.startswith("aws:"):
        return "not an AWS resource"
    return FREE.get(typ)
