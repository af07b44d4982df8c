"""The audit trail: the audit bucket, the Config history bucket (with their access-log bucket), the CloudTrail trail with its CloudWatch Logs
delivery, and the CIS metric filters and alarms on that log group. Built by `Security`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import (
    BucketEncryption,
    HardenedBucket,
    LifecycleRule,
    StackContext,
    Statement,
    allow,
    child,
    hardened_bucket,
    log_group,
    metric_alarm,
    service_role,
)
from .encryption import KeyRef
from .settings import SecuritySettings

COMPONENT = "security"
TRAIL_PREFIX = "cloudtrail"
CONFIG_PREFIX = "config"
METRIC_NAMESPACE = "Vitality/CISBenchmark"
ARCHIVE_AFTER_DAYS = 90

# CIS AWS Foundations metric filters (v1.4 sections 4.1-4.15, the CloudWatch.1-14 controls): metric name ->
# (severity, description, filter pattern). Organizations changes are left out: the account is not a management
# account.
CIS_FILTERS: dict[str, tuple[str, str, str]] = {
    "UnauthorizedApiCalls": (
        "warning",
        "API calls denied for lack of authorization",
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    ),
    "ConsoleSignInWithoutMfa": (
        "critical",
        "Successful console sign-in of an IAM user without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    "RootAccountUsage": (
        "critical",
        "The root user was used",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    "IamPolicyChanges": (
        "warning",
        "An IAM policy was created, changed, attached or detached",
        "{ ($.eventSource = iam.amazonaws.com) && (($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || "
        "($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || "
        "($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || "
        "($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || "
        "($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || "
        "($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy)) }",
    ),
    "CloudTrailConfigChanges": (
        "critical",
        "A trail was created, updated, deleted, started or stopped",
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
        "($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    ),
    "ConsoleSignInFailures": (
        "warning",
        "Failed console sign-in",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    "CmkDisableOrDeletion": (
        "critical",
        "A customer-managed KMS key was disabled or scheduled for deletion",
        "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    ),
    "S3BucketPolicyChanges": (
        "warning",
        "An S3 bucket policy, ACL, CORS, lifecycle or replication configuration changed",
        "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || "
        "($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
        "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || "
        "($.eventName = DeleteBucketReplication)) }",
    ),
    "ConfigChanges": (
        "critical",
        "The AWS Config recorder or delivery channel was changed or stopped",
        "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || "
        "($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || "
        "($.eventName = PutConfigurationRecorder)) }",
    ),
    "SecurityGroupChanges": (
        "warning",
        "A security group or one of its rules changed",
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
        "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    ),
    "NaclChanges": (
        "warning",
        "A network ACL or one of its entries changed",
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || "
        "($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || "
        "($.eventName = ReplaceNetworkAclAssociation) }",
    ),
    "NetworkGatewayChanges": (
        "warning",
        "An internet or customer gateway changed",
        "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
        "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
        "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    ),
    "RouteTableChanges": (
        "warning",
        "A route table or route changed",
        "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || "
        "($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || "
        "($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }",
    ),
    "VpcChanges": (
        "warning",
        "A VPC, its attributes or a peering connection changed",
        "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || "
        "($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || "
        "($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || "
        "($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || "
        "($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
    ),
}


def regional(name: str, ctx: StackContext, region: str) -> tuple[str, Optional[str]]:
    """Logical name and `region` argument of a per-region resource. The home region keeps the name it had before the
    baseline covered several regions (no replacement on upgrade) and the provider's region."""
    return (name, None) if region == ctx.region else (f"{name}-{region}", region)


@dataclass
class AuditStorage:
    bucket: HardenedBucket  # CloudTrail only; Object Lock in prod
    config: HardenedBucket  # AWS Config only; never Object Lock (Config cannot deliver to a locked bucket)
    access_logs: HardenedBucket
    ready: list[pulumi.Resource]  # everything CloudTrail must wait for
    config_ready: list[pulumi.Resource]  # everything the Config delivery channel must wait for

    @property
    def arns(self) -> list[pulumi.Output[str]]:
        return [self.bucket.arn, self.config.arn, self.access_logs.arn]


def audit_storage(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings,
                  audit_key: KeyRef, trail_arn: pulumi.Output[str], extra_log_sources: Sequence[str] = ()) -> AuditStorage:
    """The audit bucket for CloudTrail, the Config history bucket, and the bucket that receives both buckets'
    server access logs (and those of the buckets named in `extra_log_sources`, by logical name)."""
    retention_days = settings.audit_retention_years * 365
    lifecycle = [LifecycleRule(id="archive-then-expire", transition_days=ARCHIVE_AFTER_DAYS, expire_days=retention_days)]
    audit_name = f"{name}-audit"
    config_name = f"{name}-config-history"
    access_logs = hardened_bucket(
        f"{name}-access-logs",
        ctx,
        COMPONENT,
        parent,
        encryption=BucketEncryption(sse_s3_reason="S3 server access logs can only be delivered to SSE-S3 buckets"),
        lifecycle=lifecycle,
        defer_policy=True,
    )
    bucket = hardened_bucket(
        audit_name,
        ctx,
        COMPONENT,
        parent,
        encryption=BucketEncryption(kms_key_arn=audit_key.arn),
        lifecycle=lifecycle,
        defer_policy=True,
        access_log_bucket=access_logs.name,
        access_log_prefix="audit/",
        # Object Lock can only be switched on when a bucket is created, so it follows the environment (not a config
        # key) and no config edit can ever replace the audit bucket; dev buckets must stay deletable.
        object_lock_enabled=ctx.protect,
    )
    bucket.attach_policy(_trail_writer_statements(ctx, bucket.arn, trail_arn))
    config = hardened_bucket(
        config_name,
        ctx,
        COMPONENT,
        parent,
        encryption=BucketEncryption(kms_key_arn=audit_key.arn),
        lifecycle=lifecycle,
        defer_policy=True,
        access_log_bucket=access_logs.name,
        access_log_prefix="config/",
    )
    config.attach_policy(_config_writer_statements(ctx, config.arn))
    # The log bucket must exist before its sources name it as their target, so its policy follows them and admits
    # S3 log delivery from exactly these two buckets (their ARNs, not a name prefix another bucket could share).
    delivery = [_log_delivery_statement(ctx, access_logs.arn, [bucket.arn, config.arn])]
    if extra_log_sources:
        # buckets another module creates after this one (the organization trail's archive): only their name pattern
        # is known here, in this account only
        patterns = [pulumi.Output.from_input(f"arn:{ctx.partition}:s3:::{source}-*") for source in extra_log_sources]
        delivery.append(_log_delivery_statement(ctx, access_logs.arn, patterns, "S3ServerAccessLogsLater", "ArnLike"))
    access_logs.attach_policy(delivery)
    ready = [*bucket.ready, *access_logs.ready]
    if ctx.protect:
        ready.append(object_lock(audit_name, bucket, settings))
    return AuditStorage(
        bucket=bucket, config=config, access_logs=access_logs, ready=ready, config_ready=[*config.ready, *access_logs.ready]
    )


def object_lock(name: str, bucket: HardenedBucket, settings: SecuritySettings) -> aws.s3.BucketObjectLockConfiguration:
    """The default retention of a bucket created with Object Lock."""
    return aws.s3.BucketObjectLockConfiguration(
        f"{name}-object-lock",
        bucket=bucket.bucket.id,
        object_lock_enabled="Enabled",
        rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
            default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                mode=settings.object_lock_mode, days=settings.object_lock_days
            )
        ),
        # Object Lock needs versioning on first
        opts=child(bucket.bucket, depends_on=bucket.ready),
    )


def _log_delivery_statement(ctx: StackContext, bucket_arn: pulumi.Output[str], sources: list[pulumi.Output[str]],
                            sid: str = "S3ServerAccessLogs", match: str = "ArnEquals") -> Statement:
    return allow(
        sid,
        ["s3:PutObject"],
        pulumi.Output.concat(bucket_arn, "/*"),
        Principal={"Service": "logging.s3.amazonaws.com"},
        Condition={"StringEquals": {"aws:SourceAccount": ctx.account_id}, match: {"aws:SourceArn": sources}},
    )


OWNER_ACL = {"s3:x-amz-acl": "bucket-owner-full-control"}


def _trail_writer_statements(ctx: StackContext, bucket_arn: pulumi.Output[str], trail_arn: pulumi.Output[str]) -> list[Statement]:
    """Exactly this trail (aws:SourceArn) may check the bucket and write under its prefix, handing the objects to
    the bucket owner."""
    trail_only = {"aws:SourceArn": trail_arn}
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    return [
        allow("CloudTrailAclCheck", ["s3:GetBucketAcl"], bucket_arn, Principal=cloudtrail, Condition={"StringEquals": trail_only}),
        allow(
            "CloudTrailWrite",
            ["s3:PutObject"],
            pulumi.Output.concat(bucket_arn, f"/{TRAIL_PREFIX}/AWSLogs/", ctx.account_id, "/*"),
            Principal=cloudtrail,
            Condition={"StringEquals": {**trail_only, **OWNER_ACL}},
        ),
    ]


def _config_writer_statements(ctx: StackContext, bucket_arn: pulumi.Output[str]) -> list[Statement]:
    """AWS Config of this account (aws:SourceAccount) may check the bucket and write under its prefix, handing the
    objects to the bucket owner."""
    account = ctx.account_id
    config_only = {"aws:SourceAccount": account}
    config = {"Service": "config.amazonaws.com"}
    return [
        allow("ConfigAclCheck", ["s3:GetBucketAcl"], bucket_arn, Principal=config, Condition={"StringEquals": config_only}),
        allow("ConfigBucketExistenceCheck", ["s3:ListBucket"], bucket_arn, Principal=config, Condition={"StringEquals": config_only}),
        allow(
            "ConfigWrite",
            ["s3:PutObject"],
            pulumi.Output.concat(bucket_arn, f"/{CONFIG_PREFIX}/AWSLogs/", account, "/Config/*"),
            Principal=config,
            Condition={"StringEquals": {**config_only, **OWNER_ACL}},
        ),
    ]


@dataclass
class AuditTrail:
    trail: aws.cloudtrail.Trail
    log_group: aws.cloudwatch.LogGroup


def audit_trail(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings, *, trail_name: str,
                trail_arn: pulumi.Output[str], audit_key: KeyRef, logs_key: KeyRef, log_retention_days: int,
                storage: AuditStorage) -> AuditTrail:
    """The account's multi-region trail, delivering to the audit bucket and to a CloudWatch Logs group."""
    group = log_group(f"{name}-trail-logs", ctx, COMPONENT, parent, retention_days=log_retention_days, kms_key_arn=logs_key.arn)
    delivery = service_role(
        f"{name}-trail-logs-role",
        ctx,
        COMPONENT,
        parent,
        services=["cloudtrail.amazonaws.com"],
        source_arn=trail_arn,
        description="CloudTrail delivers the trail's events to its CloudWatch Logs group",
        statements=[
            allow(
                "TrailLogStreams",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                pulumi.Output.concat(group.arn, ":log-stream:*"),
            )
        ],
    )
    selectors = [
        aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="All management events",
            field_selectors=[aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Management"])],
        )
    ]
    if settings.s3_data_events:
        selectors.append(
            aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                name="S3 object-level events, all buckets",
                # Security Hub S3.22/S3.23 (CIS) accept only a trail that logs every current and future bucket, so
                # the trail's own buckets are not excluded: each log delivery adds one event to the next delivery
                # (a constant overhead, not a growing loop), the price of passing the controls.
                field_selectors=[
                    aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Data"]),
                    aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="resources.type", equals=["AWS::S3::Object"]),
                ],
            )
        )
    trail = aws.cloudtrail.Trail(
        f"{name}-trail",
        # encryption.py names this exact trail in the audit key policy (aws:SourceArn)
        name=trail_name,
        s3_bucket_name=storage.bucket.name,
        s3_key_prefix=TRAIL_PREFIX,
        kms_key_id=audit_key.arn,
        is_multi_region_trail=True,
        include_global_service_events=True,
        enable_log_file_validation=True,
        enable_logging=True,
        cloud_watch_logs_group_arn=pulumi.Output.concat(group.arn, ":*"),
        cloud_watch_logs_role_arn=delivery.role.arn,
        advanced_event_selectors=selectors,
        insight_selectors=[
            aws.cloudtrail.TrailInsightSelectorArgs(insight_type="ApiCallRateInsight"),
            aws.cloudtrail.TrailInsightSelectorArgs(insight_type="ApiErrorRateInsight"),
        ],
        # the account's role in the organization, for the auditor and the policy pack (a member's Security Hub and
        # GuardDuty are the administrator's)
        tags=ctx.tags(COMPONENT, name=trail_name, **organization_tags(settings)),
        # CloudTrail checks the bucket policy, the key and the log role at creation
        # (InsufficientS3BucketPolicyException / InvalidCloudWatchLogsRoleArnException otherwise)
        opts=child(parent, depends_on=[*storage.ready, *delivery.ready]),
    )
    return AuditTrail(trail=trail, log_group=group)


def organization_tags(settings: SecuritySettings) -> dict[str, str]:
    """The account's role in the organization; the administrator's until its delegation is registered."""
    org = settings.organization
    tags = {"OrganizationMode": org.mode}
    if org.mode == "administrator":
        tags["DelegatedAdministrator"] = "registered" if org.delegated else "pending"
    return tags


def cis_alarms(name: str, ctx: StackContext, parent: pulumi.Resource, group: aws.cloudwatch.LogGroup, topics: Topics) -> None:
    """One metric filter and one alarm per CIS check, on the trail's log group."""
    for metric, (severity, description, pattern) in CIS_FILTERS.items():
        slug = _kebab(metric)
        metric_filter = aws.cloudwatch.LogMetricFilter(
            f"{name}-cis-{slug}",
            log_group_name=group.name,
            pattern=pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=metric, namespace=METRIC_NAMESPACE, value="1", default_value="0", unit="Count"
            ),
            opts=child(group),
        )
        metric_alarm(
            f"{name}-cis-{slug}-alarm",
            ctx,
            COMPONENT,
            metric_filter,
            description=f"CIS: {description} ({ctx.name_prefix} trail)",
            namespace=METRIC_NAMESPACE,
            metric_name=metric,
            dimensions={},
            statistic="Sum",
            threshold=1,
            comparison="GreaterThanOrEqualToThreshold",
            topic_arn=topics.for_severity(severity),
            severity=severity,
        )


def _kebab(text: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(text))
