"""Encryption: one customer-managed KMS key per data domain.

| domain    | encrypts                                                        | service principals in the key policy |
|-----------|-----------------------------------------------------------------|--------------------------------------|
| data      | Aurora storage, the RDS master secret, Performance Insights, ECR, App Runner, backups, X-Ray, the findings webhook credential and connector | none (services act through grants of the calling principal); the backup copy account, through RDS and AWS Backup only |
| logs      | every CloudWatch log group in the home region                   | logs.<region>, scoped to this account's log groups |
| audit     | CloudTrail logs, AWS Config snapshots, the audit bucket          | CloudTrail (this trail only), Config (this account) |
| messaging | the SNS alerting topics                                         | CloudWatch alarms, EventBridge, RDS events, Budgets (each with the conditions it sends) |

CloudFront-scope pieces live in us-east-1 and a KMS key is regional, so when the stack's region is not
us-east-1 the logs and messaging keys get an edge twin there (WAF logs, CloudFront alarm topics). The
security-tooling stack (`edge=False`) has no edge and gets no twins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

import pulumi

from .common import EDGE_REGION, StackContext, Statement, kms_key

COMPONENT = "encryption"
DOMAINS = ("data", "logs", "audit", "messaging")

# EventBridge encrypts a connection's credential (the findings webhook) only with a key tagged so ("Encrypting
# EventBridge connection authorization with AWS KMS keys"); the caller's IAM permissions do the rest.
DATA_KEY_TAGS = {"EventBridgeApiDestinations": "true"}

# Publishers allowed to use the messaging key (they encrypt into the SNS alerting topics). AWS Backup is not one:
# the program uses no vault notifications, its job events reach the topics through EventBridge.
MESSAGING_PUBLISHERS = (
    "cloudwatch.amazonaws.com",
    "events.amazonaws.com",
    "events.rds.amazonaws.com",
    "budgets.amazonaws.com",
)


@dataclass(frozen=True)
class EncryptionArgs:
    ctx: StackContext
    cloudtrail_name: str  # the trail that may encrypt with the audit key (exact source ARN in the policy)
    edge: bool = True  # False: no us-east-1 twins (the security-tooling stack has no CloudFront)
    # accounts whose backup vault receives copies of the Aurora recovery points (database.awsBackup.copyAccountVaultArn)
    backup_copy_accounts: tuple[str, ...] = ()


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
    edge_logs: Optional[KeyRef]  # None without an edge
    edge_messaging: Optional[KeyRef]

    def __init__(self, name: str, args: EncryptionArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Encryption", name, None, opts)
        ctx = args.ctx
        self._ctx, self._prefix = ctx, name
        trail_arn = ctx.arn("cloudtrail", f"trail/{args.cloudtrail_name}")

        service_statements: dict[str, list[Statement]] = {
            "data": _backup_copy_statements(ctx, args.backup_copy_accounts),
            "logs": _logs_statements(ctx, ctx.region),
            "audit": _audit_statements(ctx, trail_arn),
            "messaging": [*_messaging_statements(ctx, ctx.region), _dead_letter_statement(ctx)],
        }
        descriptions = {
            "data": "Aurora storage, RDS master secret, Performance Insights, ECR, App Runner, backups",
            "logs": "CloudWatch Logs log groups",
            "audit": "CloudTrail, AWS Config and the audit bucket",
            "messaging": "SNS alerting topics",
        }
        refs = {d: self._key(d, descriptions[d], service_statements[d], None) for d in DOMAINS}
        self.data, self.logs, self.audit, self.messaging = (refs[d] for d in DOMAINS)

        if not args.edge:
            self.edge_logs = self.edge_messaging = None
        elif ctx.region == EDGE_REGION:
            self.edge_logs, self.edge_messaging = self.logs, self.messaging
        else:
            self.edge_logs = self._key("edge-logs", "CloudWatch Logs in us-east-1 (WAF for CloudFront)",
                                       _logs_statements(ctx, EDGE_REGION), EDGE_REGION)
            self.edge_messaging = self._key("edge-messaging", "SNS alerting topics in us-east-1 (CloudFront alarms)",
                                            _messaging_statements(ctx, EDGE_REGION), EDGE_REGION)

        self.register_outputs({f"{d}KeyArn": getattr(self, d).arn for d in DOMAINS})

    def _key(self, domain: str, description: str, statements: Sequence[Statement], region: Optional[str]) -> KeyRef:
        ctx = self._ctx
        alias = f"alias/{ctx.name_prefix}-{domain}"
        key = kms_key(f"{self._prefix}-{domain}", ctx, COMPONENT, self, domain=domain, description=description,
                      alias=alias, statements=statements, region=region,
                      extra_tags=DATA_KEY_TAGS if domain == "data" else None)
        return KeyRef(arn=key.arn, id=key.key_id, alias=alias, region=region or ctx.region)


def _backup_copy_statements(ctx: StackContext, accounts: tuple[str, ...]) -> list[Statement]:
    """A cross-account copy of an Aurora recovery point (AWS Backup) needs the destination account to read the
    snapshot's key: it may decrypt and describe, and grant RDS, only through RDS and AWS Backup in this region."""
    if not accounts:
        return []
    principals = [f"arn:{ctx.partition}:iam::{account}:root" for account in accounts]
    via = {"kms:ViaService": [f"rds.{ctx.region}.amazonaws.com", f"backup.{ctx.region}.amazonaws.com"]}
    return [
        {
            "Sid": "BackupCopyAccountUse",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": via},
        },
        {
            "Sid": "BackupCopyAccountGrant",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


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


def _dead_letter_statement(ctx: StackContext) -> Statement:
    """EventBridge writes undelivered findings to the webhook route's dead-letter queue, encrypted with the home
    messaging key; SQS binds the queue ARN as encryption context (kms:EncryptionContext:aws:sqs:arn), which keeps
    EventBridge to this account's queues (SQS Developer Guide, "Enable compatibility between event sources from AWS
    services and encrypted queues")."""
    return {
        "Sid": "EventBridgeDeadLetters",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:sqs:arn": ctx.arn("sqs", "*")}},
    }


def _messaging_statements(ctx: StackContext, region: str) -> list[Statement]:
    """One statement per publisher, each conditioned only on what that service sends when it publishes to an
    encrypted topic (a condition key a service does not send makes KMS deny, and the notification is dropped
    without an error anywhere):

    - CloudWatch alarms send aws:SourceAccount and the alarm ARN as aws:SourceArn (AWS MDAA
      grantCloudWatchAlarmsTopicAccess, after the SNS guide's "compatibility with AWS services" section).
    - EventBridge sends neither aws:SourceAccount nor aws:SourceArn to KMS when it delivers to a topic (same MDAA
      page; the Knowledge Center article "sns-not-getting-eventbridge-notification" shows an unconditioned key
      statement). SNS itself binds the topic ARN as encryption context (kms:EncryptionContext:aws:sns:topicArn,
      used in the GameLift SNS-SSE guide), which keeps EventBridge to this account's topics in this region.
    - RDS event notifications send aws:SourceAccount (RDS User Guide, "Granting permissions to publish
      notifications to an Amazon SNS topic").
    - AWS Budgets sends aws:SourceAccount and aws:SourceArn arn:aws:budgets::<account>:* (Cost Management guide,
      budgets-sns-policy.html).
    """
    use = ["kms:Decrypt", "kms:GenerateDataKey*"]
    account = {"aws:SourceAccount": ctx.account_id}
    alarms = ctx.arn("cloudwatch", "alarm:*", region)
    topics = ctx.arn("sns", "*", region)
    budgets = ctx.account_id.apply(lambda a: f"arn:{ctx.partition}:budgets::{a}:*")

    def publisher(sid: str, service: str, condition: dict[str, Any]) -> Statement:
        return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": use, "Resource": "*",
                "Condition": condition}

    return [
        publisher("CloudWatchAlarms", "cloudwatch.amazonaws.com",
                  {"StringEquals": account, "ArnLike": {"aws:SourceArn": alarms}}),
        publisher("EventBridgeRules", "events.amazonaws.com",
                  {"ArnLike": {"kms:EncryptionContext:aws:sns:topicArn": topics}}),
        publisher("RdsEvents", "events.rds.amazonaws.com", {"StringEquals": account}),
        publisher("Budgets", "budgets.amazonaws.com",
                  {"StringEquals": account, "ArnLike": {"aws:SourceArn": budgets}}),
    ]
