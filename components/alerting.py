"""Alerting: KMS-encrypted SNS topics by severity, with e-mail subscriptions.

`critical` is the paging topic (one page-worthy signal per service lands here; a pager's HTTPS endpoint can
subscribe to it), `warning` is for everything that should be looked at in working hours. Only CloudWatch,
EventBridge, RDS events, Budgets and Backup of this account may publish, and only over TLS.

CloudWatch alarms can only notify topics in their own region, so when the stack is not in us-east-1 the
topics get edge twins there for the CloudFront and WAF alarms (not in the security-tooling stack, which has no edge).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .common import EDGE_REGION, StackContext, child, policy_json
from .encryption import MESSAGING_PUBLISHERS, KeyRef

COMPONENT = "alerting"
SEVERITIES = ("critical", "warning")


@dataclass(frozen=True)
class AlertingArgs:
    ctx: StackContext
    messaging_key: KeyRef
    edge_messaging_key: Optional[KeyRef]  # None: no edge (no CloudFront alarms to notify)
    emails: tuple[str, ...]


@dataclass(frozen=True)
class Topics:
    """Topic ARNs by severity in one region."""

    critical: pulumi.Output[str]
    warning: pulumi.Output[str]
    region: str

    def for_severity(self, severity: str) -> pulumi.Output[str]:
        return self.critical if severity == "critical" else self.warning


class Alerting(pulumi.ComponentResource):
    topics: Topics  # home region
    edge_topics: Optional[Topics]  # us-east-1 (same as topics when the stack is there); None without an edge
    alarm_topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertingArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Alerting", name, None, opts)
        self._args, self._prefix = args, name
        self.topics = self._topics("", args.messaging_key, None)
        if args.edge_messaging_key is None:
            self.edge_topics = None
        elif args.ctx.region == EDGE_REGION:
            self.edge_topics = self.topics
        else:
            self.edge_topics = self._topics("edge-", args.edge_messaging_key, EDGE_REGION)
        self.alarm_topic_arn = self.topics.critical
        self.register_outputs({"criticalTopicArn": self.topics.critical, "warningTopicArn": self.topics.warning})

    def _topics(self, prefix: str, key: KeyRef, region: Optional[str]) -> Topics:
        ctx = self._args.ctx
        arns = {}
        for severity in SEVERITIES:
            name = f"{self._prefix}-{prefix}{severity}"
            topic = aws.sns.Topic(
                name,
                display_name=f"{ctx.name_prefix} {severity} alerts",
                kms_master_key_id=key.arn,
                region=region,
                tags=ctx.tags(COMPONENT, Severity=severity),
                opts=child(self),
            )
            aws.sns.TopicPolicy(name, arn=topic.arn, policy=_topic_policy(ctx, topic.arn), region=region, opts=child(topic))
            for email in self._args.emails:
                aws.sns.TopicSubscription(
                    f"{name}-{_slug(email)}",
                    topic=topic.arn,
                    protocol="email",
                    endpoint=email,
                    region=region,
                    opts=child(topic),
                )
            arns[severity] = topic.arn
        return Topics(critical=arns["critical"], warning=arns["warning"], region=region or ctx.region)


def _topic_policy(ctx: StackContext, topic_arn: pulumi.Output[str]) -> pulumi.Output[str]:
    return policy_json(
        [
            {
                "Sid": "AccountOwner",
                "Effect": "Allow",
                "Principal": {"AWS": ctx.account_id.apply(lambda a: f"arn:{ctx.partition}:iam::{a}:root")},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": topic_arn,
            },
            {
                "Sid": "AlertPublishers",
                "Effect": "Allow",
                "Principal": {"Service": list(MESSAGING_PUBLISHERS)},
                "Action": "SNS:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account_id}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "SNS:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def _slug(email: str) -> str:
    """A stable logical-name fragment for an e-mail address (the subscription is keyed by it)."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")
