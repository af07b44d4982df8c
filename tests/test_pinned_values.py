"""Values pinned independently of the code that produces them.

A test that compares a resource with the table or constant it was generated from is circular: weaken the table and
the test still passes. Here each security- or alerting-relevant one-line value is written out literally, read from
the resources the program registers, so changing it in the program needs a deliberate change here too.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.alarm_catalog import CATALOG
from components.common import LifecycleRule
from components.settings import load_settings
from components.settings.api import API_PLATFORMS
from offline import Capture
from tests.conftest import capture_for, policy, statements

GT, GTE, LT = "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold"

# Every catalog alarm: (comparison, dev threshold, prod threshold) as registered, on the API platform that creates
# it (the connection and at-max thresholds are scaled by the stacks' capacity: 4 / 16 ACUs, 2 / 10 instances).
CATALOG_ALARMS: dict[str, tuple[str, float, float]] = {
    "aurora-cpu": (GT, 90, 80),
    "aurora-connections": (GT, 720, 2880),
    "aurora-acu": (GT, 95, 90),
    "aurora-freeable-memory": (LT, 134217728, 268435456),  # 128 MiB / 256 MiB
    "aurora-replica-lag": (GT, 5000, 2000),
    "aurora-deadlocks": (GT, 0, 0),
    "api-5xx": (GT, 20, 10),
    "api-5xx-rate": (GT, 10, 5),
    "api-latency-p99": (GT, 3000, 2000),
    "api-cpu": (GT, 90, 80),
    "api-memory": (GT, 90, 80),
    "api-instances-at-max": (GTE, 2, 10),
    "api-elb-5xx-rate": (GT, 10, 5),
    "api-target-5xx-rate": (GT, 10, 5),
    "api-target-latency-p99": (GT, 3, 2),
    "api-unhealthy-hosts": (GT, 0, 0),
    "api-rejected-connections": (GT, 0, 0),
    "api-ecs-tasks-below-desired": (GT, 0, 0),
    "api-ecs-cpu": (GT, 90, 80),
    "api-ecs-memory": (GT, 90, 80),
    "api-ecs-tasks-at-max": (GTE, 2, 10),
    "cdn-5xx-rate": (GT, 10, 2),
    "cdn-error-rate": (GT, 25, 10),
    "cdn-origin-latency": (GT, 5000, 3000),
    "waf-blocked-spike": (GT, 1000, 2000),
    "nat-port-allocation": (GT, 0, 0),
    "nat-packets-dropped": (GT, 1000, 100),
    "rum-js-errors": (GT, 100, 50),
    "rum-lcp": (GT, 4000, 4000),
}
DEV_WITHOUT = {"aurora-replica-lag"}  # dev runs no reader
CIS_ALARMS = ("unauthorized-api-calls", "console-sign-in-without-mfa", "root-account-usage", "iam-policy-changes",
              "cloud-trail-config-changes", "console-sign-in-failures", "cmk-disable-or-deletion",
              "s3-bucket-policy-changes", "config-changes", "nacl-changes", "network-gateway-changes",
              "route-table-changes", "vpc-changes", "security-group-changes")


def _alarms(capture: Capture) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in capture.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}


def _every_platform(stack: str) -> list[Capture]:
    """The stack on each API platform (the session caches the runs; the policy tests use the same ones)."""
    default = capture_for(stack)
    platform = load_settings(default.config.as_engine_config(), stack).api.platform
    return [default] + [capture_for(stack, overrides={"vitality:api.platform": p}) for p in API_PLATFORMS
                        if p != platform]


def test_every_catalog_alarm_has_a_pin() -> None:
    assert {s.id for s in CATALOG} == set(CATALOG_ALARMS), \
        "a new or renamed catalog alarm needs its direction and threshold pinned here"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_catalog_alarms_fire_in_the_pinned_direction_at_the_pinned_threshold(stack: str) -> None:
    prefix = f"vitality-{stack}-obs-"
    ids = sorted(CATALOG_ALARMS, key=len, reverse=True)  # longest first: api-5xx-rate before api-5xx
    checked = set()
    for capture in _every_platform(stack):
        for name, inputs in _alarms(capture).items():
            if not name.startswith(prefix):
                continue
            alarm_id = next((a for a in ids if name == prefix + a or name.startswith(f"{prefix}{a}-us-")), None)
            assert alarm_id is not None, f"{name} is not pinned"
            comparison, dev, prod = CATALOG_ALARMS[alarm_id]
            assert inputs["comparisonOperator"] == comparison, name
            assert inputs["threshold"] == (prod if stack == "prod" else dev), name
            checked.add(alarm_id)
    assert checked == set(CATALOG_ALARMS) - (DEV_WITHOUT if stack == "dev" else set())


def test_cis_alarms_fire_on_the_first_matching_event(prod: Capture) -> None:
    alarms = _alarms(prod)
    for slug in CIS_ALARMS:
        inputs = alarms[f"vitality-prod-security-cis-{slug}-alarm"]
        assert (inputs["comparisonOperator"], inputs["threshold"]) == (GTE, 1), slug
        assert inputs["statistic"] == "Sum" and inputs["evaluationPeriods"] == 1, slug
    assert len([n for n in alarms if "-security-cis-" in n]) == len(CIS_ALARMS)


def test_pgaudit_never_logs_bind_parameters(capture: Capture) -> None:
    """Bind values may be personal data; pgaudit.log_parameter=1 would copy them into CloudWatch Logs."""
    group = capture.one("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    params = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert params["pgaudit.log_parameter"] == "0"
    assert params["pgaudit.log"] == "ddl,role"
    assert params["rds.force_ssl"] == "1"
    assert params["log_connections"] == "1" and params["log_disconnections"] == "1"


def test_alert_topics_deny_plain_http_publishes_only(capture: Capture) -> None:
    """The deny must key on SecureTransport *false*: flipped to "true" it denies every publish and no alert leaves."""
    topics = capture.of_type("aws:sns/topicPolicy:TopicPolicy")
    assert len(topics) == 4
    for topic in topics:
        denies = [s for s in statements(policy(topic)) if s["Effect"] == "Deny"]
        assert [(d["Principal"], d["Action"], d["Condition"]) for d in denies] == [
            ("*", "SNS:Publish", {"Bool": {"aws:SecureTransport": "false"}})], topic.name


def test_hardened_bucket_expires_noncurrent_versions_after_90_days_by_default(capture: Capture) -> None:
    assert LifecycleRule(id="pin").noncurrent_expire_days == 90
    expected = {"web-logs": 30, "web-site": 30, "api-alb-logs": 30, "api-alb-logs-access": 30}
    if capture.stack == "prod":
        expected |= {"security-audit": 90, "security-config-history": 90, "security-access-logs": 90}
    found = {}
    for config in capture.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        key = config.name.removeprefix(f"vitality-{capture.stack}-").removesuffix("-lifecycle")
        days = [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in config.inputs["rules"]
                if r.get("noncurrentVersionExpiration")]
        found[key] = days[0] if len(days) == 1 else days
    assert found == expected


@pytest.mark.parametrize("key,value", [("minimumPasswordLength", 14), ("passwordReusePrevention", 24),
                                       ("requireSymbols", True), ("requireNumbers", True),
                                       ("requireUppercaseCharacters", True), ("requireLowercaseCharacters", True)])
def test_password_policy_values(prod: Capture, key: str, value: Any) -> None:
    assert prod.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy").inputs[key] == value


def test_bucket_tls_deny_keys_on_secure_transport_false(capture: Capture) -> None:
    for bucket_policy in capture.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        tls = [s for s in statements(policy(bucket_policy)) if s.get("Sid") == "DenyInsecureTransport"]
        assert [(s["Effect"], s["Principal"], s["Action"], s["Condition"]) for s in tls] == [
            ("Deny", "*", "s3:*", {"Bool": {"aws:SecureTransport": "false"}})], bucket_policy.name
