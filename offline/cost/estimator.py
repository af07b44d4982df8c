"""The estimate: every resource of a capture priced, free or reported as not priced, and the totals."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ..engine import Capture, Resource, run
from .model import Charge, Context
from .prices import Price, load_prices
from .pricing import PRICERS, free_reason
from .usage import UsageKey, load_usage_keys, usage_profile


@dataclass
class Cost:
    charge: Charge
    unit_price: Optional[float]  # None: no price for this charge
    region: str

    def usd(self, quantity: float, price: Price) -> float:
        return quantity / price.per * (self.unit_price or 0.0)


@dataclass
class Line:
    resource: Resource
    component: str
    region: str
    status: str  # "priced" | "free" | "unpriced"
    reason: str = ""
    costs: list[Cost] = field(default_factory=list)
    idle: float = 0.0
    used: float = 0.0

    @property
    def unpriced_charges(self) -> list[Cost]:
        return [c for c in self.costs if c.unit_price is None]


@dataclass
class Estimate:
    stack: str
    environment: str
    region: str
    usage: dict[str, float]
    lines: list[Line]
    prices: dict[str, Price]
    overrides: dict[str, Any] = field(default_factory=dict)
    component_names: list[str] = field(default_factory=list)  # every component, also those with nothing billable

    @property
    def priced(self) -> list[Line]:
        return [line for line in self.lines if line.status == "priced"]

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.status == "unpriced" or line.unpriced_charges]

    # Totals use math.fsum, which is exact and so independent of the order the program registered its resources
    # in (that order varies between runs; a plain sum then moved component totals by 0.01).

    @property
    def idle(self) -> float:
        return math.fsum(line.idle for line in self.lines)

    @property
    def used(self) -> float:
        return math.fsum(line.used for line in self.lines)

    def components(self) -> dict[str, tuple[float, float]]:
        members: dict[str, list[Line]] = {name: [] for name in self.component_names}
        for line in self.lines:
            members.setdefault(line.component, []).append(line)
        return {name: (math.fsum(line.idle for line in lines), math.fsum(line.used for line in lines))
                for name, lines in members.items()}

    def price_dates(self) -> list[str]:
        keys = {c.charge.price for line in self.lines for c in line.costs if c.unit_price is not None}
        return sorted({self.prices[k].read for k in keys}) or sorted({p.read for p in self.prices.values()})


def _region_of(resource: Resource, stack_region: str) -> str:
    region = resource.inputs.get("region")
    return region if isinstance(region, str) and region else stack_region


def price_resource(resource: Resource, ctx: Context, prices: Mapping[str, Price]) -> list[Cost]:
    costs = []
    for charge in PRICERS[resource.type](resource, ctx):
        price = prices.get(charge.price)
        region = _region_of(resource, ctx.region)
        costs.append(Cost(charge, price.value(region) if price else None, region))
    return costs


def estimate(
    capture: Capture,
    usage: Optional[Mapping[str, float]] = None,
    prices: Optional[Mapping[str, Price]] = None,
    usage_keys: Optional[Mapping[str, UsageKey]] = None,
) -> Estimate:
    prices = dict(prices or load_prices())
    usage_keys = usage_keys or load_usage_keys()
    environment = str(capture.config.values.get("vitality:environment", "dev"))
    region = str(capture.config.values.get("aws:region", "us-east-1"))
    profile = dict(usage if usage is not None else usage_profile(environment, keys=usage_keys))
    ctx = Context(capture, region, profile, usage_keys)
    lines = []
    for resource in capture.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        owner = capture.component_of(resource)
        component = owner.name if owner is not None else "(stack)"
        line = Line(resource, component, _region_of(resource, region), "priced")
        if resource.type in PRICERS:
            line.costs = price_resource(resource, ctx, prices)
            for cost in line.costs:
                if cost.unit_price is None:
                    continue
                price = prices[cost.charge.price]
                line.idle += cost.usd(cost.charge.idle, price)
                line.used += cost.usd(cost.charge.used, price)
        elif free_reason(resource.type) is not None:
            line.status, line.reason = "free", free_reason(resource.type) or ""
        else:
            line.status, line.reason = "unpriced", "no price entry for this type"
        lines.append(line)
    names = [r.name for r in capture.resources if not r.custom and r.type != "pulumi:pulumi:Stack"]
    return Estimate(capture.stack, environment, region, profile, lines, prices, component_names=names)


def estimate_stack(
    stack: str,
    overrides: Optional[Mapping[str, Any]] = None,
    usage_overrides: Optional[Mapping[str, Any]] = None,
    usage_file: Optional[Mapping[str, Any]] = None,
) -> Estimate:
    capture = run(stack, preview=False, overrides=overrides)
    environment = str(capture.config.values.get("vitality:environment", "dev"))
    result = estimate(capture, usage_profile(environment, usage_overrides, usage_file))
    result.overrides = dict(overrides or {})
    return result
