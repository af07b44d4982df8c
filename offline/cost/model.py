"""What a pricer works with: the context it reads and the charges it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional, TypeGuard, TypeVar

from ..engine import UNKNOWN, Capture, Resource
from .usage import UsageKey

HOURS = 730  # hours in the average month, as AWS's pricing pages count


@dataclass(frozen=True)
class Charge:
    """A quantity of one price entry per month, idle and with the usage profile."""

    item: str
    price: str  # key in prices.yaml
    idle: float
    used: float


@dataclass
class Context:
    """What a pricer may read besides the resource itself."""

    capture: Capture
    region: str
    usage: Mapping[str, float]
    usage_keys: Mapping[str, UsageKey]

    def idle(self, key: str) -> float:
        return self.usage[key] if self.usage_keys[key].idle else 0.0

    def share(self, key: str, among: Iterable[Resource]) -> tuple[float, float]:
        """(idle, used) of a usage key for one resource; stack-wide totals are spread evenly over `among`."""
        count = max(1, len(list(among))) if self.usage_keys[key].spread else 1
        return self.idle(key) / count, self.usage[key] / count

    def of_types(self, *types: str) -> list[Resource]:
        return [r for r in self.capture.resources if r.type in types]

    def resolve(self, value: Any, typ: str) -> Optional[Resource]:
        """The resource an input refers to (by id or ARN), or the only one of its type (a preview has no ids)."""
        found = self.capture.resolve(value)
        if found is not None and found.type == typ:
            return found
        candidates = self.capture.of_type(typ)
        return candidates[0] if len(candidates) == 1 else None


Pricer = Callable[[Resource, Context], list[Charge]]


_T = TypeVar("_T")


def known(value: Optional[_T]) -> TypeGuard[_T]:
    """Set and known at preview (not None, not the engine's UNKNOWN placeholder)."""
    return value is not None and value != UNKNOWN


def flat(item: str, price: str, quantity: float) -> Charge:
    """A charge that does not depend on traffic."""
    return Charge(item, price, quantity, quantity)
