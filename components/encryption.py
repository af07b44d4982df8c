"""Encryption: one customer-managed KMS key per data domain.

| domain    | encrypts                                                        | service principals in the key policy |
|-----------|-----------------------------------------------------------------|--------------------------------------|
| data      | Aurora storage, the RDS master secret, Performance Insights, ECR, App Runner, backups, X-Ray, the findings webhook credential and connector | none: services act through grants of the calling principal (IAM) |
| logs      | every CloudWatch log group in the home region                   | logs.<region>, scoped to this account's log groups |
| audit     | CloudTrail logs, AWS Config snapshots, the audit bucket          | CloudTrail (this trail only), Config (this account) |
| messaging | the SNS alerting topics                                         | CloudWatch, EventBridge, RDS events, Budgets, Backup (this account) |

CloudFront-scope pieces live in us-east-1 and a KMS key is regional, so when the stack's region is not
us-east-1 the logs and messaging keys get an edge twin there (WAF logs, CloudFront alarm topics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import pulumi

from .common import EDGE_REGION, StackContext, Statement, kms_key

COMPONENT = "encryption"
DOMAINS = ("data", "logs", "audit", "messaging")

# Publishers allowed to use the messaging key (they encrypt into the SNS alerting topics).
# EventBridge encrypts a connection's credential (the findings webhook) only with a key tagged so ("Encrypting
# EventBridge connection authorization with AWS KMS keys"); the caller's IAM permissions do the rest.
DATA_KEY_TAGS = {"EventBridgeApiDestinations": "true"}

MESSAGING_PUBLISHERS = (
    "cloudwatch.amazonaws.com",
    "events.amazonaws.com",
    "events.rds.amazonaws.com",
    "budgets.amazonaws.com",
    "backup.amazonaws.com",
)


@dataclass(frozen=True)
class EncryptionArgs:
    ctx: StackContext
    cloudtrail_name: str  # the trail that may encrypt with the audit key (exact source ARN in the policy)


@dataclass(frozen=True)
class KeyRef:
    """A typed view of one key for other components."""

    arn: pulumi.Output[str]
    id: pulumi.Output[str]
    alias: str
    region: str


class Encryption(pulumi.ComponentResource):
    data: KeyRef
    logs: KeyRef
    audit: KeyRef
    messaging: KeyRef
    edge_logs: KeyRef
    edge_messaging: KeyRef

    def __init__(self, name: str, args: EncryptionArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Encryption", name, None, opts)
        ctx = args.ctx
        self._ctx, self._prefix = ctx, name
        trail_arn = ctx.arn("cloudtrail", f"trail/{args.cloudtrail_name}")

        service_statements: dict[str, list[Statement]] = {
            "data": [],
            "logs": _logs_statements(ctx, ctx.region),
            "audit": _audit_statements(ctx, trail_arn),
            "messaging": _messaging_statements(ctx),
        }
        descriptions = {
            "data": "Aurora storage, RDS master secret, Performance Insights, ECR, App Runner, backups",
            "logs": "CloudWatch Logs log groups",
            "audit": "CloudTrail, AWS Config and the audit bucket",
            "messaging": "SNS alerting topics",
        }
        refs = {d: self._key(d, descriptions[d], service_statements[d], None) for d in DOMAINS}
        self.data, self.logs, self.audit, self.messaging = (refs[d] for d in DOMAINS)

        if ctx.region == EDGE_REGION:
            self.edge_logs, self.edge_messaging = self.logs, self.messaging
        else:
            self.edge_logs = self._key("edge-logs", "CloudWatch Logs in us-east-1 (WAF for CloudFront)",
                                       _logs_statements(ctx, EDGE_REGION), EDGE_REGION)
            self.edge_messaging = self._key("edge-messaging", "SNS alerting topics in us-east-1 (CloudFront alarms)",
                                            _messaging_statements(ctx), EDGE_REGION)

        self.register_outputs({f"{d}KeyArn": getattr(self, d).arn for d in DOMAINS})

    def _key(self, domain: str, description: str, statements: Sequence[Statement], region: Optional[str]) -> KeyRef:
        ctx = self._ctx
        alias = f"alias/{ctx.name_prefix}-{domain}"
        key = kms_key(f"{self._prefix}-{domain}", ctx, COMPONENT, self, domain=domain, description=description,
                      alias=alias, statements=statements, region=region,
                      extra_tags=DATA_KEY_TAGS if domain == "data" else None)
        return KeyRef(arn=key.arn, id=key.key_id, alias=alias, region=region or ctx.region)


def _logs_statements(ctx: StackContext, region: str) -> list[Statement]:
    return [
        {
            "Sid": "CloudWatchLogs",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": ctx.arn("logs", "log-group:*", region)}},
        }
    ]


def _audit_statements(ctx: StackContext, trail_arn: pulumi.Output[str]) -> list[Statement]:
    trail_context = ctx.account_id.apply(lambda a: f"arn:{ctx.partition}:cloudtrail:*:{a}:trail/*")
    return [
        {
            "Sid": "CloudTrailEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
            },
        },
        {
            "Sid": "CloudTrailDescribe",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "ConfigDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account_id}},
        },
    ]


def _messaging_statements(ctx: StackContext) -> list[Statement]:
    return [
        {
            "Sid": "AlertPublishers",
            "Effect": "Allow",
            "Principal": {"Service": list(MESSAGING_PUBLISHERS)},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account_id}},
        }
    ]

