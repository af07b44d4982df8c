"""Observability settings: the `observability` key table (alarm e-mails, log retention, RUM and X-Ray sampling,
budget, synthetics, per-alarm thresholds), `ObservabilitySettings` and `read_observability`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from .schema import PROJECT, Key, Section, _coerce, _is_email, _Problems, _Reader, _strings

# CloudWatch Logs accepts exactly these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

OBSERVABILITY_SECTION = Section(
    "observability",
    "Alarms, logs and dashboards.",
    (
        Key(
            "alarmEmails",
            "array",
            "E-mail addresses subscribed to the alarm topics.",
            default=[],
            allowed="a list of e-mail addresses",
            check=_strings(_is_email),
        ),
        Key(
            "logRetentionDays",
            "integer",
            "Retention of every log group the program creates.",
            default=365,
            allowed="one of the values CloudWatch Logs accepts: " + ", ".join(map(str, LOG_RETENTION_DAYS)),
            check=lambda v: v in LOG_RETENTION_DAYS,
        ),
        Key(
            "rumSessionSampleRate",
            "number",
            "Share of browser sessions CloudWatch RUM records (1 = every session).",
            default=0.1,
            allowed="from 0 to 1",
            check=lambda v: 0 <= v <= 1,
        ),
        Key(
            "traceSampleRate",
            "number",
            "Share of API requests X-Ray samples beyond the first request per second.",
            default=0.05,
            allowed="from 0 to 1",
            check=lambda v: 0 <= v <= 1,
        ),
        Key(
            "monthlyBudgetUsd",
            "number",
            "Monthly AWS cost budget of this environment in USD (cost tagged Environment=<environment>); "
            "forecast and actual alerts go to the warning topic.",
            default=100,
            allowed="a number greater than 0, at most 1000000",
            check=lambda v: 0 < v <= 1_000_000,
        ),
        Key(
            "synthetics",
            "boolean",
            "Run CloudWatch Synthetics heartbeat canaries on the API health path and the frontend URL.",
            default=False,
        ),
        Key(
            "thresholds",
            "object",
            "Per-alarm threshold overrides for this stack: {<alarm id>: <number>} (ids in docs/observability.md).",
            default={},
            allowed="a map of alarm id (see docs/observability.md) to a number",
        ),
    ),
)


@dataclass(frozen=True)
class ObservabilitySettings:
    alarm_emails: tuple[str, ...]
    log_retention_days: int
    rum_session_sample_rate: float = 0.1
    trace_sample_rate: float = 0.05
    monthly_budget_usd: float = 100.0
    synthetics: bool = False
    thresholds: Mapping[str, float] = field(default_factory=dict)  # alarm id -> threshold for this stack


def read_observability(problems: _Problems, raw: Any) -> Optional[ObservabilitySettings]:
    from ..alarm_catalog import ALARM_IDS  # the catalog is plain data; its ids are the override keys

    r = _Reader(problems, OBSERVABILITY_SECTION, raw)
    v = r.values
    thresholds: dict[str, float] = {}
    for alarm_id, value in sorted(v.get("thresholds", {}).items()):
        key = f"{PROJECT}:observability.thresholds.{alarm_id}"
        if alarm_id not in ALARM_IDS:
            problems.unknown(key, value, list(ALARM_IDS))
            r.bad.add("thresholds")
            continue
        ok, number = _coerce("number", value)
        if not ok or number < 0:
            problems.add(key, value, "a number of at least 0 (the alarm threshold in the metric's unit)", 1)
            r.bad.add("thresholds")
            continue
        thresholds[alarm_id] = float(number)
    if r.bad:
        return None
    return ObservabilitySettings(
        alarm_emails=tuple(v["alarmEmails"]),
        log_retention_days=v["logRetentionDays"],
        rum_session_sample_rate=float(v["rumSessionSampleRate"]),
        trace_sample_rate=float(v["traceSampleRate"]),
        monthly_budget_usd=float(v["monthlyBudgetUsd"]),
        synthetics=v["synthetics"],
        thresholds=thresholds,
    )
