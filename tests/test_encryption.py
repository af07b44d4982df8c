"""KMS keys per data domain and the encrypted SNS alerting topics."""

from __future__ import annotations

import pytest

from tests.conftest import capture_for, policy, statements

KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"


def _domain_keys(capture) -> list:
    """The Encryption component's keys (other components may own a key of their own, e.g. the site bucket's)."""
    return [k for k in capture.of_type(KEY) if capture.component_of(k).type == "vitality:platform:Encryption"]


def _keys(capture) -> dict[str, object]:
    return {(k.inputs["tags"]["DataDomain"], k.inputs.get("region")): k for k in _domain_keys(capture)}


def test_a_key_per_domain_with_rotation_and_a_30_day_window(capture) -> None:
    keys = _keys(capture)
    assert {domain for domain, region in keys if region is None} == {"data", "logs", "audit", "messaging"}
    for key in capture.of_type(KEY):
        inputs = key.inputs
        assert inputs["enableKeyRotation"] is True and inputs["rotationPeriodInDays"] == 365
        assert inputs["deletionWindowInDays"] == 30
        assert inputs["bypassPolicyLockoutSafetyCheck"] is False


def test_edge_twins_exist_only_outside_us_east_1() -> None:
    west = _keys(capture_for("dev"))
    assert {(d, r) for d, r in west if r} == {("edge-logs", "us-east-1"), ("edge-messaging", "us-east-1")}
    east = _keys(capture_for("dev", overrides={"aws:region": "us-east-1", "vitality:network.availabilityZones": ["us-east-1a", "us-east-1b"]}))
    assert {(d, r) for d, r in east if r} == set()


def test_every_key_has_an_alias(capture) -> None:
    aliases = {a.inputs["targetKeyId"] for a in capture.of_type("aws:kms/alias:Alias")}
    assert aliases >= {k.id for k in _domain_keys(capture)}
    for alias in capture.of_type("aws:kms/alias:Alias"):
        assert alias.inputs["name"].startswith(f"alias/vitality-{capture.stack}-")


def test_keys_are_protected_only_in_prod(dev, prod) -> None:
    assert all(k.protect for k in prod.of_type(KEY))
    assert not any(k.protect for k in dev.of_type(KEY))


def _service_statements(key) -> dict[str, dict]:
    found = {}
    for statement in statements(policy(key)):
        principal = statement["Principal"]
        if isinstance(principal, dict) and "Service" in principal:
            services = principal["Service"] if isinstance(principal["Service"], list) else [principal["Service"]]
            for service in services:
                found.setdefault(service, statement)
    return found


def test_key_policies_name_exactly_the_services_that_need_them(capture) -> None:
    region = capture.config.values["aws:region"]
    keys = _keys(capture)
    assert set(_service_statements(keys[("data", None)])) == set()
    assert set(_service_statements(keys[("logs", None)])) == {f"logs.{region}.amazonaws.com"}
    assert set(_service_statements(keys[("edge-logs", "us-east-1")])) == {"logs.us-east-1.amazonaws.com"}
    assert set(_service_statements(keys[("audit", None)])) == {"cloudtrail.amazonaws.com", "config.amazonaws.com"}
    assert set(_service_statements(keys[("messaging", None)])) == {
        "cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com", "budgets.amazonaws.com",
    }


def test_service_statements_are_scoped(capture) -> None:
    for key in _domain_keys(capture):
        for service, statement in _service_statements(key).items():
            condition = statement.get("Condition", {})
            scoped = {
                k for block in condition.values() for k in block
            } & {"aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext:aws:logs:arn", "kms:ViaService",
                 "kms:EncryptionContext:aws:sns:topicArn", "kms:EncryptionContext:aws:sqs:arn"}
            assert scoped, f"{key.name}: {service} is not scoped"
            assert "kms:*" not in statement["Action"] and statement["Action"] != "*"


def test_eventbridge_may_use_the_messaging_key_for_this_accounts_topics_and_dead_letter_queues(capture) -> None:
    messaging = _keys(capture)[("messaging", None)]
    events = {
        s["Sid"]: s["Condition"] for s in statements(policy(messaging)) if s.get("Principal") == {"Service": "events.amazonaws.com"}
    }
    assert events == {
        "EventBridgeRules": {"ArnLike": {"kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:us-west-2:111122223333:*"}},
        # the findings webhook's dead-letter queue is encrypted with this key (SQS binds the queue ARN as context)
        "EventBridgeDeadLetters": {"ArnLike": {"kms:EncryptionContext:aws:sqs:arn": "arn:aws:sqs:us-west-2:111122223333:*"}},
    }


def test_cloudtrail_may_use_the_audit_key_only_for_this_stacks_trail(capture) -> None:
    audit = _keys(capture)[("audit", None)]
    statement = _service_statements(audit)["cloudtrail.amazonaws.com"]
    source = statement["Condition"]["StringEquals"]["aws:SourceArn"]
    assert source == f"arn:aws:cloudtrail:us-west-2:111122223333:trail/vitality-{capture.stack}-trail"


@pytest.mark.parametrize("severity", ["critical", "warning"])
def test_topics_are_encrypted_and_accept_only_alert_publishers(capture, severity: str) -> None:
    (topic,) = [t for t in capture.of_type(TOPIC) if t.inputs["tags"]["Severity"] == severity and not t.inputs.get("region")]
    key = capture.resolve(topic.inputs["kmsMasterKeyId"])
    assert key.inputs["tags"]["DataDomain"] == "messaging"
    (topic_policy,) = [p for p in capture.of_type("aws:sns/topicPolicy:TopicPolicy") if p.inputs["arn"] == topic.outputs["arn"]]
    by_sid = {s["Sid"]: s for s in statements(policy(topic_policy))}
    assert by_sid["AlertPublishers"]["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"
    assert not [s for s in by_sid.values() if s["Effect"] == "Allow" and s["Principal"] == "*"]


def test_every_alarm_email_is_subscribed_to_every_topic(capture) -> None:
    emails = set(capture.config.values["vitality:observability"]["alarmEmails"])
    topics = {t.outputs["arn"] for t in capture.of_type(TOPIC)}
    subscriptions = {(s.inputs["topic"], s.inputs["endpoint"]) for s in capture.of_type("aws:sns/topicSubscription:TopicSubscription")}
    assert subscriptions == {(t, e) for t in topics for e in emails}
    assert all(s.inputs["protocol"] == "email" for s in capture.of_type("aws:sns/topicSubscription:TopicSubscription"))


def test_alarm_topic_output_is_the_critical_topic(prod) -> None:
    critical = next(t for t in prod.of_type(TOPIC) if t.inputs["tags"]["Severity"] == "critical" and not t.inputs.get("region"))
    assert prod.outputs["alarmTopicArn"] == critical.outputs["arn"]
