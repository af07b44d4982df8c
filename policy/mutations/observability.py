"""Violating variants: log groups, alarms, SNS topics and their policies."""

from __future__ import annotations

from typing import Any

from policy.rules.shared import LOG_GROUP, TOPIC, TOPIC_POLICY

from .core import Mutant, variant

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
BOTH = ("dev", "prod")


@variant("log-group-retention", "30 days in prod", "value")
def _retention_short(m: Mutant) -> str:
    return m.set(m.get(LOG_GROUP, "db-postgresql-logs"), "retentionInDays", 30)


@variant("log-group-retention", "retention unset (never expires)", "removed", BOTH)
def _retention_unset(m: Mutant) -> str:
    return m.drop(m.get(LOG_GROUP, "net-flow-logs"), "retentionInDays")


@variant("log-group-kms", "log group without a key", "removed", BOTH)
def _log_kms(m: Mutant) -> str:
    return m.drop(m.get(LOG_GROUP, "db-postgresql-logs"), "kmsKeyId")


@variant("alarm-notifies-topic", "alarm without actions", "removed", BOTH)
def _alarm_no_actions(m: Mutant) -> str:
    return m.set(m.get(ALARM, "obs-aurora-cpu"), "alarmActions", [])


@variant("alarm-notifies-topic", "alarm notifies a topic outside the stack", "value")
def _alarm_elsewhere(m: Mutant) -> str:
    return m.set(m.get(ALARM, "obs-aurora-cpu"), "alarmActions", ["arn:aws:sns:us-west-2:999999999999:elsewhere"])


@variant("alarm-notifies-topic", "composite page without actions", "removed")
def _composite_no_actions(m: Mutant) -> str:
    return m.set(m.get(COMPOSITE, "obs-aurora-page"), "alarmActions", [])


@variant("alarm-actions-enabled", "metric alarm actions disabled", "value", BOTH)
def _actions_disabled(m: Mutant) -> str:
    return m.set(m.get(ALARM, "obs-aurora-cpu"), "actionsEnabled", False)


@variant("alarm-actions-enabled", "composite alarm actions disabled (string)", "value")
def _composite_disabled(m: Mutant) -> str:
    return m.set(m.get(COMPOSITE, "obs-aurora-page"), "actionsEnabled", "false")


@variant("sns-topic-kms", "AWS managed alias/aws/sns", "value", BOTH)
def _sns_alias(m: Mutant) -> str:
    return m.set(m.get(TOPIC, "alerts-critical"), "kmsMasterKeyId", "alias/aws/sns")


@variant("sns-topic-kms", "topic unencrypted", "removed")
def _sns_unencrypted(m: Mutant) -> str:
    return m.drop(m.get(TOPIC, "alerts-warning"), "kmsMasterKeyId")


SNS_PUBLIC = "sns-topic-policy-not-public"


def _publishers(m: Mutant, change: Any, suffix: str = "alerts-critical") -> str:
    def edit(statements: list[dict[str, Any]]) -> None:
        change(next(s for s in statements if s.get("Sid") == "AlertPublishers"), statements)

    return m.policy(m.get(TOPIC_POLICY, suffix), edit)


@variant(SNS_PUBLIC, "publish for any principal", "value", BOTH)
def _sns_any(m: Mutant) -> str:
    return _publishers(m, lambda s, _: (s.update(Principal="*"), s.pop("Condition")))


@variant(SNS_PUBLIC, "any principal with aws:SourceAccount *", "wildcard")
def _sns_wildcard_account(m: Mutant) -> str:
    return _publishers(m, lambda s, _: s.update(Principal={"AWS": "*"},
                                                Condition={"StringLike": {"aws:SourceAccount": "*"}}))


@variant(SNS_PUBLIC, "any principal with an IfExists condition", "partial")
def _sns_if_exists(m: Mutant) -> str:
    return _publishers(m, lambda s, _: s.update(Principal="*", Condition={
        "StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}), "alerts-warning")


@variant(SNS_PUBLIC, "NotPrincipal Allow", "not-element")
def _sns_not_principal(m: Mutant) -> str:
    return _publishers(m, lambda _, statements: statements.append({
        "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "SNS:Publish",
        "Resource": "*"}))


@variant(SNS_PUBLIC, "public grant on the topic's own policy input", "sibling")
def _sns_topic_input(m: Mutant) -> str:
    return m.set(m.get(TOPIC, "alerts-critical"), "policy", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "SNS:Subscribe", "Resource": "*"}]})
