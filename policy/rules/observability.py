"""Observability rules: CloudWatch log groups and alarms, SNS topics (CloudWatch.*, SNS.*)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy.proxy import UnknownValueError

from ..framework import (
    Res,
    StackView,
    allows,
    as_list,
    number,
    public_principal,
    restricting_condition,
    statements,
    text,
    truthy,
)
from .shared import (
    ALARMS,
    LOG_GROUP,
    TOPIC,
    TOPIC_POLICY,
    Findings,
    resource_rule,
    stack_rule,
)


@resource_rule(
    "log-group-retention",
    types=(LOG_GROUP,),
    controls=("CloudWatch.16",),
    severity="medium",
    tsc=("CC7.2", "A1.2"),
    description="Log groups have an explicit retention: at least 365 days in prod (provider default: never expire).",
    remediation="Set retention_in_days (vitality:observability.logRetentionDays; prod >= 365).",
)
def _log_retention(res: Res) -> Iterator[str]:
    days = number(res.get("retentionInDays"), 0)
    if days <= 0:
        yield "no retention (logs never expire)"
    elif res.environment == "prod" and days < 365:
        yield f"retention {days:g} days in prod (needs 365+)"


@resource_rule(
    "log-group-kms",
    types=(LOG_GROUP,),
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config cloudwatch-log-group-encrypted", "CKV_AWS_158"),
    description="Log groups are encrypted with a customer-managed KMS key.",
    remediation="Use components.common.log_group(..., kms_key_arn=<logs key>).",
)
def _log_kms(res: Res) -> Iterator[str]:
    if not text(res.get("kmsKeyId")):
        yield "no kms_key_id"


@stack_rule(
    "alarm-notifies-topic",
    types=ALARMS,
    controls=("CloudWatch.15",),
    severity="high",
    tsc=("CC7.2", "CC7.3", "CC4.2"),
    description="Every alarm has an ALARM action that reaches an SNS topic of this stack (or an AWS automation ARN).",
    remediation="Use components.common.metric_alarm(..., topic_arn=alerting.topics.for_severity(...)).",
)
def _alarm_actions(stack: StackView) -> Findings:
    for alarm in stack.of(*ALARMS):
        actions = stack.refs(alarm, "alarmActions", (TOPIC,))
        try:
            raw = [text(a) for a in as_list(alarm.get("alarmActions"))]
        except UnknownValueError:  # preview: unknown topic ARNs; the dependency above decides
            raw = []
        automation = [a for a in raw if a.startswith(("arn:aws:automate:", "arn:aws:ssm:", "arn:aws:autoscaling:"))]
        if not actions and not automation:
            yield alarm, "no ALARM action to an SNS topic of this stack"


@resource_rule(
    "alarm-actions-enabled",
    types=ALARMS,
    controls=("CloudWatch.17",),
    severity="high",
    tsc=("CC7.2",),
    description="Alarm actions are enabled (provider default: true).",
    remediation="Leave actions_enabled unset or True.",
)
def _alarm_enabled(res: Res) -> Iterator[str]:
    if not truthy(res.get("actionsEnabled"), default=True):
        yield "actions_enabled is false"


@resource_rule(
    "sns-topic-kms",
    types=(TOPIC,),
    controls=("SNS.1",),
    severity="medium",
    tsc=("CC6.1",),
    description="Topics are encrypted with a customer-managed key (alias/aws/sns would block CloudWatch publishing).",
    remediation="Set kms_master_key_id=<messaging key ARN>.",
)
def _sns_kms(res: Res) -> Iterator[str]:
    key = text(res.get("kmsMasterKeyId"))
    if not key:
        yield "no kms_master_key_id"
    elif key.endswith("alias/aws/sns"):
        yield "uses the AWS-managed alias/aws/sns key"


@resource_rule(
    "sns-topic-policy-not-public",
    types=(TOPIC, TOPIC_POLICY),
    controls=("SNS.4",),
    severity="high",
    tsc=("CC6.1",),
    description="Topic policies allow nothing to a wildcard principal without a restricting condition.",
    remediation="Grant publish to service principals with aws:SourceAccount, never to \"*\".",
)
def _sns_public(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s) and public_principal(s) and not restricting_condition(s):
            yield f"statement {s.get('Sid', '?')} allows a wildcard principal"
