"""Rendering of an estimate: the text table (with --detail), the difference of two estimates, JSON."""

from __future__ import annotations

import json
from typing import Any

from .estimator import Estimate, Line


def _short(typ: str) -> str:
    package, module, kind = [*typ.split(":"), "", ""][:3]
    return f"{package}:{module.split('/')[0]}:{kind}" if "/" in module else typ


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _header(result: Estimate) -> list[str]:
    lines = [
        f"Monthly cost estimate for {result.stack} ({result.environment}, {result.region}), USD, on-demand list prices",
        f"Prices read: {', '.join(result.price_dates())} (offline/prices.yaml; sources and notes per entry)",
    ]
    if result.overrides:
        lines.append("Config overrides: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in result.overrides.items()))
    return lines


def render(result: Estimate, detail: bool = False) -> str:
    def label(line: Line) -> str:
        return line.resource.name + (f" [{line.region}]" if line.region != result.region else "")

    width = max([len(label(line)) + 4 for line in result.priced] + [len(c) for c in result.components()] + [40])
    out = [*_header(result), ""]
    out.append(f"{'component / resource':<{width}}  {'type':<42}{'idle':>12}{'with usage':>12}")
    for component, (idle, used) in result.components().items():
        out.append(f"{component:<{width}}  {'':<42}{_money(idle):>12}{_money(used):>12}")
        for line in result.priced:
            if line.component != component or (not line.costs and not detail):
                continue
            out.append(f"  {label(line):<{width - 2}}  {_short(line.resource.type):<42}{_money(line.idle):>12}{_money(line.used):>12}")
            if detail:
                for cost in line.costs:
                    price = result.prices.get(cost.charge.price)
                    unit = f"{price.unit}" if price else cost.charge.price
                    each = "no price" if cost.unit_price is None or price is None else f"${cost.unit_price:g}" + ("" if price.per == 1 else f" per {price.per:,.0f}")
                    out.append(f"      {cost.charge.item}: {cost.charge.idle:,.2f} idle / {cost.charge.used:,.2f} with usage, in [{unit}] at {each}")
    out.append(f"{'TOTAL':<{width}}  {'':<42}{_money(result.idle):>12}{_money(result.used):>12}")
    out.append("")
    unpriced = result.unpriced
    if unpriced:
        out.append(f"NOT PRICED ({len(unpriced)}; not counted in the totals):")
        for line in unpriced:
            what = line.reason or "; ".join(f"{c.charge.item} ({c.charge.price}: no price in {c.region})" for c in line.unpriced_charges)
            out.append(f"  {line.resource.name}  {line.resource.type}: {what}")
    else:
        out.append("Every billable resource is priced.")
    free = sorted({line.resource.type for line in result.lines if line.status == "free"})
    out.append(f"Free types ({len([line for line in result.lines if line.status == 'free'])} resources): {', '.join(_short(t) for t in free)}")
    out.append("Usage profile: " + ", ".join(f"{k}={v:,.10g}" for k, v in result.usage.items()))
    return "\n".join(out)


def _stackless(name: str, stack: str) -> str:
    """`vitality-prod-net-nat-us-west-2a` -> `net-nat-us-west-2a`, so that two stacks' resources line up."""
    return name.removeprefix(f"vitality-{stack}-")


def render_difference(base: Estimate, other: Estimate, base_label: str, other_label: str) -> str:
    out = [f"Cost difference: {other_label} vs {base_label} (USD per month)"]
    out += [*_header(other)[1:], ""]
    before_components = {_stackless(k, base.stack): v for k, v in base.components().items()}
    after_components = {_stackless(k, other.stack): v for k, v in other.components().items()}
    names = list(dict.fromkeys(list(before_components) + list(after_components)))
    width = max([len(n) for n in names] + [30])
    out.append(f"{'component':<{width}}{'idle':>11}{'->':>4}{'idle':>11}{'delta':>11}  {'usage':>11}{'->':>4}{'usage':>11}{'delta':>11}")

    def row(label: str, a: tuple[float, float], b: tuple[float, float]) -> str:
        return (f"{label:<{width}}{_money(a[0]):>11}{'':>4}{_money(b[0]):>11}{b[0] - a[0]:>+11,.2f}  "
                f"{_money(a[1]):>11}{'':>4}{_money(b[1]):>11}{b[1] - a[1]:>+11,.2f}")

    for name in names:
        out.append(row(name, before_components.get(name, (0.0, 0.0)), after_components.get(name, (0.0, 0.0))))
    out.append(row("TOTAL", (base.idle, base.used), (other.idle, other.used)))
    before = {(line.resource.type, _stackless(line.resource.name, base.stack)): line for line in base.priced}
    after = {(line.resource.type, _stackless(line.resource.name, other.stack)): line for line in other.priced}
    changes = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        a_cost = (a.idle, a.used) if a else (0.0, 0.0)
        b_cost = (b.idle, b.used) if b else (0.0, 0.0)
        if a is None or b is None or abs(a_cost[0] - b_cost[0]) > 0.005 or abs(a_cost[1] - b_cost[1]) > 0.005:
            mark = "+" if a is None else "-" if b is None else "~"
            changes.append(f"  {mark} {key[1]} ({_short(key[0])}): idle {b_cost[0] - a_cost[0]:+,.2f}, usage {b_cost[1] - a_cost[1]:+,.2f}")
    out += ["", "Resources that change (+ added, - removed, ~ cost changed):"] + (changes or ["  (none)"])
    missing = base.unpriced + other.unpriced
    if missing:
        out.append(f"NOT PRICED in either estimate: {sorted({line.resource.type for line in missing})}")
    return "\n".join(out)


def as_json(result: Estimate) -> dict[str, Any]:
    return {
        "stack": result.stack,
        "environment": result.environment,
        "region": result.region,
        "priceDates": result.price_dates(),
        "total": {"idle": round(result.idle, 2), "usage": round(result.used, 2)},
        "components": {k: {"idle": round(v[0], 2), "usage": round(v[1], 2)} for k, v in result.components().items()},
        "resources": [
            {"name": line.resource.name, "type": line.resource.type, "component": line.component, "region": line.region,
             "idle": round(line.idle, 2), "usage": round(line.used, 2)}
            for line in result.priced
        ],
        "notPriced": [{"name": line.resource.name, "type": line.resource.type} for line in result.unpriced],
        "usage": result.usage,
    }
