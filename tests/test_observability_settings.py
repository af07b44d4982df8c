"""Every `observability` key: its stack values parse, and each bad value is named with a fix."""

from __future__ import annotations

import pytest

from components.alarm_catalog import ALARM_IDS
from components.settings import LOG_RETENTION_DAYS, load_settings
from offline import load_stack_config
from tests.conftest import config_error

KEY = "vitality:observability."


def settings(stack: str, overrides=None):
    config = load_stack_config(stack, overrides=overrides)
    return load_settings(config.as_engine_config(), stack)


def test_stack_values_parse() -> None:
    dev, prod = settings("dev").observability, settings("prod").observability
    assert (dev.rum_session_sample_rate, prod.rum_session_sample_rate) == (1.0, 0.1)
    assert (dev.trace_sample_rate, prod.trace_sample_rate) == (1.0, 0.05)
    assert (dev.monthly_budget_usd, prod.monthly_budget_usd) == (150.0, 1500.0)
    assert (dev.synthetics, prod.synthetics) == (False, False)
    assert dev.thresholds == prod.thresholds == {}


def test_defaults_when_keys_are_absent() -> None:
    config = load_stack_config("dev").as_engine_config()
    config["vitality:observability"] = '{"alarmEmails": [], "logRetentionDays": 30}'
    obs = load_settings(config, "dev").observability
    assert (obs.rum_session_sample_rate, obs.trace_sample_rate, obs.monthly_budget_usd, obs.synthetics) == (0.1, 0.05, 100.0, False)


def test_threshold_overrides_parse() -> None:
    obs = settings("prod", {f"{KEY}thresholds.aurora-cpu": 70, f"{KEY}thresholds.rum-lcp": "2500"}).observability
    assert obs.thresholds == {"aurora-cpu": 70.0, "rum-lcp": 2500.0}


@pytest.mark.parametrize(
    "key, value, allowed",
    [
        ("logRetentionDays", 45, "one of the values CloudWatch Logs accepts"),
        ("logRetentionDays", "forever", "a whole number"),
        ("alarmEmails", ["oncall@vitality.example", "not-an-email"], "e-mail addresses"),
        ("alarmEmails", "oncall@vitality.example", "a list"),
        ("rumSessionSampleRate", 1.5, "from 0 to 1"),
        ("rumSessionSampleRate", -0.1, "from 0 to 1"),
        ("traceSampleRate", 2, "from 0 to 1"),
        ("monthlyBudgetUsd", 0, "greater than 0"),
        ("monthlyBudgetUsd", -50, "greater than 0"),
        ("monthlyBudgetUsd", "lots", "a number"),
        ("synthetics", "maybe", "true or false"),
        ("thresholds", [80], "a map"),
    ],
)
def test_bad_values_are_named_with_a_fix(key: str, value, allowed: str) -> None:
    error = config_error("dev", {f"{KEY}{key}": value})
    assert error.keys == [f"{KEY}{key}"]
    problem = error.problems[0]
    assert allowed in problem.allowed
    assert problem.fix.startswith(f"pulumi config set --path observability.{key} ")
    assert f"{KEY}{key}" in str(error)


def test_retention_error_lists_the_accepted_values() -> None:
    error = config_error("dev", {f"{KEY}logRetentionDays": 45})
    assert all(str(days) in error.problems[0].allowed for days in LOG_RETENTION_DAYS)


def test_unknown_threshold_id_suggests_the_closest() -> None:
    error = config_error("prod", {f"{KEY}thresholds.aurora-cpuu": 70})
    assert error.keys == [f"{KEY}thresholds.aurora-cpuu"]
    assert "did you mean 'aurora-cpu'" in error.problems[0].allowed
    assert error.problems[0].fix.startswith("pulumi config rm --path observability.thresholds.aurora-cpuu")


@pytest.mark.parametrize("value", ["high", -1])
def test_threshold_value_must_be_a_non_negative_number(value) -> None:
    error = config_error("prod", {f"{KEY}thresholds.{ALARM_IDS[0]}": value})
    assert error.keys == [f"{KEY}thresholds.{ALARM_IDS[0]}"]
    assert "a number of at least 0" in error.problems[0].allowed


def test_unknown_observability_key_suggests_the_closest() -> None:
    error = config_error("dev", {f"{KEY}monthlyBudget": 10})
    assert error.keys == [f"{KEY}monthlyBudget"]
    assert "did you mean 'monthlyBudgetUsd'" in error.problems[0].allowed


def test_prod_needs_a_year_of_logs() -> None:
    error = config_error("prod", {f"{KEY}logRetentionDays": 90})
    assert error.keys == [f"{KEY}logRetentionDays"]
    assert "at least 365" in error.problems[0].allowed


def test_every_problem_is_reported_together() -> None:
    error = config_error("dev", {f"{KEY}rumSessionSampleRate": 3, f"{KEY}monthlyBudgetUsd": 0, f"{KEY}logRetentionDays": 2})
    assert sorted(error.keys) == sorted(f"{KEY}{k}" for k in ("rumSessionSampleRate", "monthlyBudgetUsd", "logRetentionDays"))
