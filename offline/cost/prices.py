"""The price file, offline/prices.yaml: one entry per billing dimension with its price per region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

# the data files stay in offline/: the output and the docs cite offline/prices.yaml and offline/usage.yaml
PRICES_FILE = Path(__file__).parent.parent / "prices.yaml"
GLOBAL = "global"


@dataclass(frozen=True)
class Price:
    key: str
    unit: str
    per: float
    values: Mapping[str, float]
    read: str
    source: str
    note: str = ""

    def value(self, region: str) -> Optional[float]:
        """The price in `region`; services billed globally (CloudFront, WAF, Route 53) use `global`."""
        if region in self.values:
            return self.values[region]
        return self.values.get(GLOBAL)


def load_prices(path: Path = PRICES_FILE) -> dict[str, Price]:
    data = yaml.safe_load(path.read_text())["prices"]
    return {
        key: Price(
            key=key,
            unit=entry["unit"],
            per=float(entry.get("per", 1)),
            values={region: float(v) for region, v in (entry.get("regions") or {}).items()},
            read=str(entry["read"]),
            source=entry["source"],
            note=" ".join(str(entry.get("note", "")).split()),
        )
        for key, entry in data.items()
    }
