"""Every `frontend` key rejects bad values with the full key, the value, what is allowed and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings import load_settings
from offline import load_stack_config
from tests.conftest import config_error

F = "vitality:frontend"


def settings_for(stack: str, overrides: dict[str, Any]) -> Any:
    config = load_stack_config(stack, overrides=overrides)
    return load_settings(config.as_engine_config(), stack).frontend


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({f"{F}.domain": "App.Example.com", f"{F}.hostedZoneId": "Z0123456789ABCDEFGHIJ"}, f"{F}.domain", "lower-case DNS name"),
        ({f"{F}.domain": "https://app.example.com", f"{F}.hostedZoneId": "Z0123456789ABCDEFGHIJ"}, f"{F}.domain", "DNS name"),
        ({f"{F}.domain": "app.example.com"}, f"{F}.hostedZoneId", "both or neither"),
        ({f"{F}.hostedZoneId": "Z0123456789ABCDEFGHIJ"}, f"{F}.domain", "both or neither"),
        ({f"{F}.domain": "app.example.com", f"{F}.hostedZoneId": "zone-1"}, f"{F}.hostedZoneId", "Route 53 zone id"),
        ({f"{F}.priceClass": "PriceClass_300"}, f"{F}.priceClass", "PriceClass_100"),
        ({f"{F}.minimumProtocolVersion": "TLSv1"}, f"{F}.minimumProtocolVersion", "TLSv1.2_2021"),
        ({f"{F}.wafRateLimit": 0}, f"{F}.wafRateLimit", "10 to 2000000000"),
        ({f"{F}.wafRateLimit": -100}, f"{F}.wafRateLimit", "10 to 2000000000"),
        ({f"{F}.wafRateLimit": 9}, f"{F}.wafRateLimit", "10 to 2000000000"),
        ({f"{F}.wafRateLimit": "lots"}, f"{F}.wafRateLimit", "a whole number"),
        ({f"{F}.wafRateWindowSeconds": 30}, f"{F}.wafRateWindowSeconds", "60, 120, 300, 600"),
        ({f"{F}.wafRuleOverrides": ["count"]}, f"{F}.wafRuleOverrides", "a map"),
        ({f"{F}.allowedIpCidrs": "203.0.113.0/24"}, f"{F}.allowedIpCidrs", "a list"),
        ({f"{F}.geoBlockCountries": "KP"}, f"{F}.geoBlockCountries", "a list"),
        ({f"{F}.priceclass": "PriceClass_100"}, f"{F}.priceclass", "did you mean 'priceClass'"),
    ],
)
def test_bad_values_name_the_key(overrides: dict[str, Any], key: str, allowed: str) -> None:
    error = config_error("dev", overrides)
    assert key in error.keys, error
    problem = next(p for p in error.problems if p.key == key)
    assert allowed in problem.allowed
    assert "pulumi config" in problem.fix and "--stack dev" in problem.fix


@pytest.mark.parametrize(
    ("name", "values", "bad_index"),
    [
        ("allowedIpCidrs", ["203.0.113.0/24", "203.0.113.7/24"], 1),  # host bits set
        ("allowedIpCidrs", ["not-a-cidr"], 0),
        ("blockedIpCidrs", ["0.0.0.0/0"], 0),  # WAF IP sets refuse /0
        ("blockedIpCidrs", ["198.51.100.0/24", "2001:db8::/129"], 1),
        ("blockedIpCidrs", ["198.51.100.0/24", "198.51.100.0/24"], 1),  # listed twice
        ("allowedIpCidrs", [42], 0),
    ],
)
def test_malformed_cidrs_name_the_item(name: str, values: list[Any], bad_index: int) -> None:
    error = config_error("prod", {f"{F}.{name}": values})
    if values == [42]:
        assert f"{F}.{name}" in error.keys  # not a list of strings at all
        return
    assert error.keys == [f"{F}.{name}[{bad_index}]"]
    assert f"--path frontend.{name}[{bad_index}]" in error.problems[0].fix


def test_a_network_cannot_be_allowed_and_blocked() -> None:
    error = config_error(
        "dev", {f"{F}.allowedIpCidrs": ["203.0.113.0/24"], f"{F}.blockedIpCidrs": ["198.51.100.0/24", "203.0.113.0/24"]}
    )
    assert error.keys == [f"{F}.blockedIpCidrs[1]"]
    assert "not also in frontend.allowedIpCidrs" in error.problems[0].allowed


@pytest.mark.parametrize(
    ("values", "bad_index", "fix"),
    [(["KP", "XX"], 1, "KP"), (["kp"], 0, "KP"), (["IR", "IR"], 1, "config rm"), (["Korea"], 0, "KP")],
)
def test_unknown_country_codes(values: list[str], bad_index: int, fix: str) -> None:
    error = config_error("dev", {f"{F}.geoBlockCountries": values})
    assert error.keys == [f"{F}.geoBlockCountries[{bad_index}]"]
    assert fix in error.problems[0].fix


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"AWSManagedRulesSQLiRuleSet": {"SQLi_BODY": "count"}}, "AWSManagedRulesSQLiRuleSet", "a rule group the web ACL uses"),
        ({"AWSManagedRulesCommonRuleSets": {"SizeRestrictions_BODY": "count"}}, "AWSManagedRulesCommonRuleSets",
         "did you mean 'AWSManagedRulesCommonRuleSet'"),
        ({"AWSManagedRulesCommonRuleSet": "count"}, "AWSManagedRulesCommonRuleSet", "a map of rule name to action"),
        ({"AWSManagedRulesCommonRuleSet": {"SizeRestriction_BODY": "count"}}, "AWSManagedRulesCommonRuleSet.SizeRestriction_BODY",
         "did you mean 'SizeRestrictions_BODY'"),
        ({"AWSManagedRulesCommonRuleSet": {"Size Restrictions": "count"}}, "AWSManagedRulesCommonRuleSet.Size Restrictions",
         "a rule of AWSManagedRulesCommonRuleSet"),
        ({"AWSManagedRulesCommonRuleSet": {"SizeRestrictions_BODY": "ignore"}}, "AWSManagedRulesCommonRuleSet.SizeRestrictions_BODY",
         "one of allow, block, count, captcha, challenge"),
    ],
)
def test_bad_rule_overrides(overrides: dict[str, Any], key: str, allowed: str) -> None:
    error = config_error("prod", {f"{F}.wafRuleOverrides": overrides})
    assert error.keys == [f"{F}.wafRuleOverrides.{key}"]
    assert allowed in error.problems[0].allowed


def test_every_problem_is_reported_at_once() -> None:
    error = config_error(
        "dev",
        {
            f"{F}.priceClass": "cheap",
            f"{F}.wafRateLimit": 0,
            f"{F}.allowedIpCidrs": ["bad"],
            f"{F}.geoBlockCountries": ["ZZ"],
        },
    )
    assert set(error.keys) == {
        f"{F}.priceClass",
        f"{F}.wafRateLimit",
        f"{F}.allowedIpCidrs[0]",
        f"{F}.geoBlockCountries[0]",
    }


def test_stack_values_and_defaults() -> None:
    dev, prod = settings_for("dev", {}), settings_for("prod", {})
    assert (dev.domain, dev.hosted_zone_id) == (None, None)
    assert (dev.price_class, prod.price_class) == ("PriceClass_100", "PriceClass_All")
    assert (dev.waf_rate_limit, prod.waf_rate_limit) == (1000, 2000)
    assert dev.minimum_protocol_version == prod.minimum_protocol_version == "TLSv1.2_2021"
    assert dev.waf_rate_window_seconds == prod.waf_rate_window_seconds == 300
    assert dev.allowed_ip_cidrs == dev.blocked_ip_cidrs == dev.geo_block_countries == ()
    assert prod.waf_rule_overrides == {"AWSManagedRulesCommonRuleSet": {"SizeRestrictions_BODY": "count"}}


def test_good_values_are_normalised() -> None:
    s = settings_for(
        "dev",
        {
            f"{F}.domain": "app.example.com",
            f"{F}.hostedZoneId": "Z0123456789ABCDEFGHIJ",
            f"{F}.allowedIpCidrs": ["2001:DB8::/32", "203.0.113.0/24"],
            f"{F}.geoBlockCountries": ["KP"],
            f"{F}.wafRateLimit": "5000",
            # a rule AWS added after this list was written is accepted (it is not a near-miss of a known one)
            f"{F}.wafRuleOverrides": {"AWSManagedRulesKnownBadInputsRuleSet": {"ReactJSRCE_BODY": "count"}},
        },
    )
    assert (s.domain, s.hosted_zone_id) == ("app.example.com", "Z0123456789ABCDEFGHIJ")
    assert s.allowed_ip_cidrs == ("2001:db8::/32", "203.0.113.0/24")
    assert s.geo_block_countries == ("KP",)
    assert s.waf_rate_limit == 5000
    assert s.waf_rule_overrides == {"AWSManagedRulesKnownBadInputsRuleSet": {"ReactJSRCE_BODY": "count"}}
