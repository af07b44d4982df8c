"""The usage profile: the keys declared in offline/usage.yaml, their defaults per environment, and overrides."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

USAGE_FILE = Path(__file__).parent.parent / "usage.yaml"


@dataclass(frozen=True)
class UsageKey:
    name: str
    unit: str
    defaults: Mapping[str, float]  # environment -> value
    idle: bool
    spread: bool


def load_usage_keys(path: Path = USAGE_FILE) -> dict[str, UsageKey]:
    data = yaml.safe_load(path.read_text())["usage"]
    return {
        name: UsageKey(
            name=name,
            unit=entry["unit"],
            defaults={env: float(entry[env]) for env in ("dev", "prod")},
            idle=bool(entry["idle"]),
            spread=entry.get("spread") == "evenly",
        )
        for name, entry in data.items()
    }


class UsageError(ValueError):
    """A usage override names an unknown key or is not a number."""


def _check_usage(keys: Mapping[str, UsageKey], given: Mapping[str, Any], where: str) -> dict[str, float]:
    checked: dict[str, float] = {}
    for name, raw in given.items():
        if name not in keys:
            close = difflib.get_close_matches(name, list(keys), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(keys))}"
            raise UsageError(f"{where}: unknown usage key {name!r}{hint}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise UsageError(f"{where}: usage {name} must be a number, got {raw!r}") from None
        if value < 0 or math.isnan(value):
            raise UsageError(f"{where}: usage {name} must be zero or more, got {raw!r}")
        checked[name] = value
    return checked


def parse_usage(pairs: Iterable[str]) -> dict[str, str]:
    """`--usage nat_data_gb=500` -> {"nat_data_gb": "500"} (values are checked by `usage_profile`)."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--usage takes KEY=VALUE, got {pair!r}")
        parsed[key.strip()] = value.strip()
    return parsed


def read_usage_file(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a map of usage key to number")
    return data


def usage_profile(
    environment: str,
    overrides: Optional[Mapping[str, Any]] = None,
    file_values: Optional[Mapping[str, Any]] = None,
    keys: Optional[Mapping[str, UsageKey]] = None,
) -> dict[str, float]:
    """Defaults for the environment, then the usage file, then `--usage` flags."""
    keys = keys or load_usage_keys()
    profile = {name: key.defaults.get(environment, key.defaults["prod"]) for name, key in keys.items()}
    profile.update(_check_usage(keys, file_values or {}, "--usage-file"))
    profile.update(_check_usage(keys, overrides or {}, "--usage"))
    return profile
