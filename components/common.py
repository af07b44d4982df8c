"""Small shared shapes used by every component: the stack context, tags, IAM/KMS policy JSON, service roles,
encrypted log groups, the hardened S3 bucket and the CloudWatch alarm.

Each shape is written once here so that a security property (TLS-only bucket policy, KMS on a log group,
alarm actions on ALARM and OK) is the same everywhere and is fixed in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

EDGE_REGION = "us-east-1"  # CloudFront's control-plane region: CLOUDFRONT-scope WAF, its logs, ACM, metrics

Statement = dict[str, Any]


@dataclass(frozen=True)
class StackContext:
    """What every component knows about the stack it is part of (plain values plus the account id)."""

    project: str
    stack: str
    environment: str
    region: str
    account_id: pulumi.Output[str]
    partition: str
    base_tags: Mapping[str, str] = field(default_factory=dict)
    # the stack's permissions boundary (components/guardrails.py); every role the program creates carries it
    permissions_boundary_arn: Optional[pulumi.Input[str]] = None

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def protect(self) -> bool:
        """Stateful resources are protected outside dev (Pulumi `protect`: prod, and the security-tooling stack that
        keeps the organization's audit data) and may be force-deleted only in dev."""
        return self.environment != "dev"

    @property
    def force_destroy(self) -> bool:
        return not self.protect

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    def tags(self, component: str, name: Optional[str] = None, **extra: str) -> dict[str, str]:
        tags = {**self.base_tags, **extra, "Component": component}
        if name:
            tags["Name"] = name
        return tags

    def arn(self, service: str, resource: str, region: Optional[str] = None) -> pulumi.Output[str]:
        """ARN in this account, e.g. arn("logs", "log-group:*")."""
        reg = self.region if region is None else region
        return self.account_id.apply(lambda acct: f"arn:{self.partition}:{service}:{reg}:{acct}:{resource}")


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, **kwargs)


# --------------------------------------------------------------------------------------------------
# Policy documents
# --------------------------------------------------------------------------------------------------


def policy_json(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """An IAM/KMS/S3/SNS policy document as a JSON string (statement values may be Outputs)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(sid: str, actions: Sequence[str], resources: Any, **extra: Any) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources, **extra}


def service_trust(
    ctx: StackContext, services: Sequence[str], source_arn: Optional[Any] = None, condition_key: str = "aws:SourceArn"
) -> pulumi.Output[str]:
    """Trust policy for AWS service principals, scoped to this account (and a source ARN pattern if given)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": ctx.account_id}}
    if source_arn is not None:
        condition["ArnLike"] = {condition_key: source_arn}
    return policy_json(
        [
            {
                "Sid": "TrustedService",
                "Effect": "Allow",
                "Principal": {"Service": list(services)},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ]
    )


def deny_insecure_transport(bucket_arn: pulumi.Output[str]) -> Statement:
    """S3.5: refuse any request that is not TLS, and any TLS older than 1.2."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def deny_old_tls(bucket_arn: pulumi.Output[str]) -> Statement:
    return {
        "Sid": "DenyTlsBelow12",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
    }


# --------------------------------------------------------------------------------------------------
# KMS
# --------------------------------------------------------------------------------------------------


def account_administration(ctx: StackContext) -> Statement:
    """First statement of every key policy: the account administers and uses the key through IAM policies (AWS's
    default key policy; without it a key can lock everyone out)."""
    return {
        "Sid": "AccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": ctx.account_id.apply(lambda a: f"arn:{ctx.partition}:iam::{a}:root")},
        "Action": "kms:*",
        "Resource": "*",
    }


def kms_key(
    name: str,
    ctx: StackContext,
    component: str,
    parent: pulumi.Resource,
    *,
    domain: str,
    description: str,
    alias: str,
    statements: Optional[Sequence[Statement]],
    region: Optional[str] = None,
    extra_tags: Optional[Mapping[str, str]] = None,
) -> aws.kms.Key:
    """A symmetric customer-managed key with an alias: yearly rotation, 30-day deletion window, the policy
    lock-out check on, protected in prod. `statements` follow account administration in the key policy; pass
    None only when an `aws.kms.KeyPolicy` sets the policy later (it must start with account_administration)."""
    key = aws.kms.Key(
        name,
        description=f"{ctx.name_prefix} {domain}: {description}",
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=30,
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        bypass_policy_lockout_safety_check=False,
        policy=None if statements is None else policy_json([account_administration(ctx), *statements]),
        region=region,
        tags=ctx.tags(component, DataDomain=domain, **(extra_tags or {})),
        opts=child(parent, protect=ctx.protect),
    )
    aws.kms.Alias(name, name=alias, target_key_id=key.key_id, region=region, opts=child(key))
    return key


# --------------------------------------------------------------------------------------------------
# IAM
# --------------------------------------------------------------------------------------------------


@dataclass
class ServiceRole:
    """A service role with its inline policy: a consumer that AWS validates at creation (CloudTrail checks that
    its CloudWatch Logs role can already write) depends on `ready`, not only on the role."""

    role: aws.iam.Role
    policy: Optional[aws.iam.RolePolicy]
    attachments: list[aws.iam.RolePolicyAttachment]

    @property
    def ready(self) -> list[pulumi.Resource]:
        return [self.role, *([self.policy] if self.policy is not None else []), *self.attachments]

    @property
    def arn(self) -> pulumi.Output[str]:
        """The role's ARN, resolved only once its policies exist: whatever is given this ARN waits for them, so
        AWS never validates or uses the role before it can do its job (RDS monitoring, App Runner, ECS)."""
        return pulumi.Output.all(self.role.arn, *[part.urn for part in self.ready[1:]]).apply(lambda values: values[0])

    @property
    def name(self) -> pulumi.Output[str]:
        return self.role.name


def service_role(
    name: str,
    ctx: StackContext,
    component: str,
    parent: pulumi.Resource,
    *,
    services: Sequence[str],
    statements: Sequence[Statement] = (),
    managed_policy_arns: Sequence[str] = (),
    description: str,
    source_arn: Optional[Any] = None,
    trust_policy: Optional[pulumi.Output[str]] = None,
    max_session_duration: int = 3600,
) -> ServiceRole:
    """A role assumable only by the given services of this account (or by `trust_policy`), with one inline
    least-privilege policy and any managed policies, capped by the stack's permissions boundary; returned with its
    parts so a consumer can wait for them."""
    role = aws.iam.Role(
        name,
        description=description,
        assume_role_policy=trust_policy if trust_policy is not None else service_trust(ctx, services, source_arn),
        max_session_duration=max_session_duration,
        permissions_boundary=ctx.permissions_boundary_arn,
        tags=ctx.tags(component),
        opts=child(parent),
    )
    policy = None
    if statements:
        policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy_json(statements), opts=child(role))
    attachments = [
        aws.iam.RolePolicyAttachment(f"{name}-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn, opts=child(role))
        for arn in managed_policy_arns
    ]
    return ServiceRole(role=role, policy=policy, attachments=attachments)


# --------------------------------------------------------------------------------------------------
# Logs
# --------------------------------------------------------------------------------------------------


def log_group(
    name: str,
    ctx: StackContext,
    component: str,
    parent: pulumi.Resource,
    *,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    log_group_name: Optional[pulumi.Input[str]] = None,
    region: Optional[str] = None,
    protect: Optional[bool] = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.cloudwatch.LogGroup:
    """A log group with the configured retention, a customer-managed key and prod deletion protection."""
    keep = ctx.protect if protect is None else protect
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        deletion_protection_enabled=keep,
        region=region,
        tags=ctx.tags(component),
        opts=child(parent, protect=keep, depends_on=list(depends_on)),
    )


WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"  # WAF logs only to log groups named so, in the web ACL's region
WAF_REDACTED_HEADERS = ("authorization", "cookie")  # credentials never reach the logs


def waf_logging(
    name: str,
    ctx: StackContext,
    component: str,
    parent: pulumi.Resource,
    *,
    acl: aws.wafv2.WebAcl,
    suffix: str,
    kms_key_arn: pulumi.Input[str],
    retention_days: int,
    redact: Sequence[str] = (),
    keep_actions: Sequence[str] = (),
    region: Optional[str] = None,
) -> aws.cloudwatch.LogGroup:
    """A web ACL's logs in an encrypted `aws-waf-logs-<prefix>-<suffix>` log group, with authorization and cookie
    headers (plus `redact`) redacted; with `keep_actions` only requests WAF acted on that way are kept."""
    group = log_group(
        f"{name}-waf-logs",
        ctx,
        component,
        parent,
        retention_days=retention_days,
        kms_key_arn=kms_key_arn,
        log_group_name=f"{WAF_LOG_GROUP_PREFIX}{ctx.name_prefix}-{suffix}",
        region=region,
    )
    waf = aws.wafv2
    aws.wafv2.WebAclLoggingConfiguration(
        f"{name}-waf-logging",
        resource_arn=acl.arn,
        log_destination_configs=[group.arn],
        region=region,
        logging_filter=waf.WebAclLoggingConfigurationLoggingFilterArgs(
            default_behavior="DROP",
            filters=[
                waf.WebAclLoggingConfigurationLoggingFilterFilterArgs(
                    behavior="KEEP",
                    requirement="MEETS_ANY",
                    conditions=[
                        waf.WebAclLoggingConfigurationLoggingFilterFilterConditionArgs(
                            action_condition=waf.WebAclLoggingConfigurationLoggingFilterFilterConditionActionConditionArgs(
                                action=action
                            )
                        )
                        for action in keep_actions
                    ],
                )
            ],
        )
        if keep_actions
        else None,
        redacted_fields=[
            waf.WebAclLoggingConfigurationRedactedFieldArgs(
                single_header=waf.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
            )
            for header in (*WAF_REDACTED_HEADERS, *redact)
        ],
        opts=child(acl),
    )
    return group


# --------------------------------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BucketEncryption:
    """SSE-KMS with a customer-managed key, or SSE-S3 where a consumer cannot use KMS (reason required)."""

    kms_key_arn: Optional[pulumi.Input[str]] = None
    sse_s3_reason: Optional[str] = None

    def __post_init__(self) -> None:
        if (self.kms_key_arn is None) == (self.sse_s3_reason is None):
            raise ValueError("BucketEncryption needs exactly one of kms_key_arn or sse_s3_reason")


@dataclass(frozen=True)
class LifecycleRule:
    """One lifecycle rule in plain terms; expanded into the S3 rule shape by hardened_bucket."""

    id: str
    expire_days: Optional[int] = None
    noncurrent_expire_days: Optional[int] = 90
    transition_days: Optional[int] = None  # to GLACIER_IR / GLACIER
    transition_class: str = "GLACIER"
    abort_multipart_days: int = 7


@dataclass
class HardenedBucket:
    bucket: aws.s3.Bucket
    policy: Optional[aws.s3.BucketPolicy]  # None only between hardened_bucket(defer_policy=True) and attach_policy
    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    # every sub-resource of the bucket; a writer that depends on the policy (CloudTrail, Config, CloudFront)
    # should depend on these so that it never sees a half-configured bucket
    ready: list[pulumi.Resource]
    logical_name: str = ""
    region: Optional[str] = None
    public_block: Optional[aws.s3.BucketPublicAccessBlock] = None

    def attach_policy(self, statements: Sequence[Statement] = ()) -> aws.s3.BucketPolicy:
        """The bucket policy: deny non-TLS and old TLS, plus the caller's statements. hardened_bucket calls it,
        unless defer_policy=True lets the caller first create what the statements name (e.g. the CloudFront
        distribution whose ARN an OAC read grant needs, while the distribution needs the bucket)."""
        if self.policy is not None:
            raise ValueError(f"{self.logical_name} already has its bucket policy")
        self.policy = aws.s3.BucketPolicy(
            f"{self.logical_name}-policy",
            bucket=self.bucket.id,
            policy=policy_json([deny_insecure_transport(self.bucket.arn), deny_old_tls(self.bucket.arn), *statements]),
            region=self.region,
            # a policy write fails while Block Public Access is still being applied
            opts=child(self.bucket, depends_on=[self.public_block] if self.public_block else []),
        )
        self.ready.append(self.policy)
        return self.policy


def hardened_bucket(
    name: str,
    ctx: StackContext,
    component: str,
    parent: pulumi.Resource,
    *,
    encryption: BucketEncryption,
    lifecycle: Sequence[LifecycleRule],
    statements: Sequence[Statement] = (),
    access_log_bucket: Optional[pulumi.Input[str]] = None,
    access_log_prefix: Optional[str] = None,
    versioned: bool = True,
    protect: Optional[bool] = None,
    object_ownership: str = "BucketOwnerEnforced",
    object_lock_enabled: bool = False,
    region: Optional[str] = None,
    defer_policy: bool = False,
) -> HardenedBucket:
    """A private bucket: all four public-access blocks, ACLs disabled, default encryption, versioning,
    lifecycle, a policy that denies non-TLS requests (plus the caller's statements), optional access logs.
    Stateful: protected in prod and force-destroyable only in dev. With defer_policy=True the caller adds the
    policy later with `attach_policy(statements)` (and `statements` must be empty here)."""
    if defer_policy and statements:
        raise ValueError("with defer_policy=True pass the statements to attach_policy")
    keep = ctx.protect if protect is None else protect
    bucket = aws.s3.Bucket(
        name,
        force_destroy=not keep,
        object_lock_enabled=object_lock_enabled or None,
        region=region,
        tags=ctx.tags(component),
        opts=child(parent, protect=keep),
    )
    opts = child(bucket)
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=region,
        opts=opts,
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership=object_ownership),
        region=region,
        opts=opts,
    )
    if encryption.kms_key_arn is not None:
        default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=encryption.kms_key_arn
        )
    else:
        default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256"
        )
    sse = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=encryption.kms_key_arn is not None,
            )
        ],
        region=region,
        opts=opts,
    )
    ready: list[pulumi.Resource] = [public_block, ownership, sse]
    if versioned:
        ready.append(
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                region=region,
                opts=opts,
            )
        )
    ready.append(
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[_lifecycle_rule(rule, versioned) for rule in lifecycle],
            region=region,
            opts=child(bucket, depends_on=ready[-1:] if versioned else []),
        )
    )
    if access_log_bucket is not None:
        ready.append(
            aws.s3.BucketLogging(
                f"{name}-access-logs",
                bucket=bucket.id,
                target_bucket=access_log_bucket,
                target_prefix=access_log_prefix or f"s3/{name}/",
                region=region,
                opts=opts,
            )
        )
    hardened = HardenedBucket(
        bucket=bucket, policy=None, arn=bucket.arn, name=bucket.bucket, ready=ready,
        logical_name=name, region=region, public_block=public_block,
    )
    if not defer_policy:
        hardened.attach_policy(statements)
    return hardened


def _lifecycle_rule(rule: LifecycleRule, versioned: bool) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule.id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=rule.expire_days)
        if rule.expire_days
        else None,
        transitions=[
            aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=rule.transition_days, storage_class=rule.transition_class)
        ]
        if rule.transition_days
        else None,
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=rule.noncurrent_expire_days
        )
        if versioned and rule.noncurrent_expire_days
        else None,
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=rule.abort_multipart_days
        ),
    )


# --------------------------------------------------------------------------------------------------
# Alarms
# --------------------------------------------------------------------------------------------------


def metric_alarm(
    name: str,
    ctx: StackContext,
    component: str,
    parent: pulumi.Resource,
    *,
    description: str,
    namespace: Optional[str] = None,
    metric_name: Optional[str] = None,
    dimensions: Optional[Mapping[str, pulumi.Input[str]]] = None,
    statistic: Optional[str] = None,
    threshold: float,
    comparison: str,
    topic_arn: pulumi.Input[str],
    period: int = 300,
    evaluation_periods: int = 1,
    datapoints_to_alarm: Optional[int] = None,
    treat_missing_data: str = "notBreaching",
    region: Optional[str] = None,
    severity: str = "warning",
    metric_queries: Sequence[aws.cloudwatch.MetricAlarmMetricQueryArgs] = (),
) -> aws.cloudwatch.MetricAlarm:
    """One CloudWatch alarm that notifies the topic on ALARM and on OK (percentiles go to extended_statistic).

    Either a single metric (namespace, metric_name, dimensions, statistic) or metric math (`metric_queries`,
    exactly one of them with return_data=True; period and statistic then live in the queries)."""
    if bool(metric_queries) == (metric_name is not None):
        raise ValueError(f"alarm {name}: give either metric_name or metric_queries")
    single = not metric_queries
    percentile = single and statistic is not None and statistic.startswith("p")
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace=namespace if single else None,
        metric_name=metric_name if single else None,
        dimensions=dict(dimensions or {}) if single else None,
        statistic=None if percentile or not single else statistic,
        extended_statistic=statistic if percentile else None,
        metric_queries=list(metric_queries) or None,
        threshold=threshold,
        comparison_operator=comparison,
        period=period if single else None,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm or evaluation_periods,
        treat_missing_data=treat_missing_data,
        actions_enabled=True,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        region=region,
        tags=ctx.tags(component, Severity=severity),
        opts=child(parent),
    )


def _validation_field(value: Optional[str], field: str) -> str:
    """A field of an ACM DNS validation option: ACM always fills in the record it asks for (the SDK types it optional).

    During a preview of a new certificate the options are unknown and this does not run.
    """
    if value is None:
        raise ValueError(f"ACM returned a DNS validation option without {field}")
    return value


def dns_validated_certificate(
    name: str,
    *,
    domain: str,
    zone_id: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    region: Optional[str] = None,
) -> pulumi.Output[str]:
    """An ACM certificate for one domain, validated through its Route 53 record; its ARN once validation completed.

    `region` None is the stack's region (a load balancer's certificate); CloudFront needs us-east-1.
    """
    certificate = aws.acm.Certificate(
        f"{name}-cert", domain_name=domain, validation_method="DNS", region=region, tags=dict(tags), opts=child(parent)
    )
    # one domain name, so exactly one validation record
    option = certificate.domain_validation_options.apply(lambda options: options[0])
    record = aws.route53.Record(
        f"{name}-cert-validation",
        zone_id=zone_id,
        name=option.apply(lambda o: _validation_field(o.resource_record_name, "resource_record_name")),
        type=option.apply(lambda o: _validation_field(o.resource_record_type, "resource_record_type")),
        records=[option.apply(lambda o: _validation_field(o.resource_record_value, "resource_record_value"))],
        ttl=300,
        allow_overwrite=True,
        opts=child(certificate),
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-cert",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        region=region,
        opts=child(certificate),
    )
    return validation.certificate_arn


# --------------------------------------------------------------------------------------------------
# Typed views one component hands to another (a component never looks another up by name)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseAccess:
    """How the application reaches the database as its own IAM-authenticated users (never the master user)."""

    host: pulumi.Output[str]  # the writer (cluster) endpoint
    reader_host: pulumi.Output[str]  # the reader endpoint
    port: int
    database_name: str
    schema: str
    app_user: str  # read/write, owner of the schema
    reader_user: str  # read-only, for the reader endpoint
    app_connect_arn: pulumi.Output[str]  # rds-db:connect resource of app_user on this cluster
    reader_connect_arn: pulumi.Output[str]

    @property
    def connect_arns(self) -> list[pulumi.Output[str]]:
        return [self.app_connect_arn, self.reader_connect_arn]


@dataclass(frozen=True)
class ApiOrigin:
    """What the frontend needs from the API: its host, and the header that proves a request came via CloudFront."""

    domain: pulumi.Output[str]  # host name only, no scheme
    url: pulumi.Output[str]  # https://<domain>
    verify_header_name: str
    verify_header_value: pulumi.Output[str]  # secret (pulumi-random)
    # ecs: the CloudFront VPC origin of the internal load balancer, and whether its hop inside the VPC is HTTPS
    vpc_origin_id: Optional[pulumi.Output[str]] = None
    https_inside_vpc: bool = True


@dataclass(frozen=True)
class RestoreTestingTargets:
    """The database's AWS Backup restore tests, for the dashboard: metrics the reporter publishes and its alarms."""

    metric_namespace: str
    stack_dimension: str  # value of the metrics' Stack dimension
    frequency: str  # "weekly" | "monthly"
    alarm_arns: tuple[pulumi.Output[str], ...]


@dataclass(frozen=True)
class DatabaseTargets:
    """What observability needs to watch the database."""

    cluster_identifier: pulumi.Output[str]
    instance_identifiers: Mapping[str, pulumi.Output[str]]  # stable key ("writer", "reader-1", ...) -> identifier
    readers: int
    max_capacity: float
    restore_testing: Optional[RestoreTestingTargets] = None


@dataclass(frozen=True)
class ApiTargets:
    """What observability needs to watch the API, for either platform."""

    platform: str  # "ecs" | "apprunner"
    url: pulumi.Output[str]
    health_check_path: str
    max_instances: int
    apprunner_service_name: Optional[pulumi.Output[str]] = None
    apprunner_service_id: Optional[pulumi.Output[str]] = None
    ecs_cluster_name: Optional[pulumi.Output[str]] = None
    ecs_service_name: Optional[pulumi.Output[str]] = None
    # CloudWatch dimensions of the internal ALB and its target group (app/<name>/<id>, targetgroup/<name>/<id>)
    load_balancer_arn_suffix: Optional[pulumi.Output[str]] = None
    target_group_arn_suffix: Optional[pulumi.Output[str]] = None
    trace_service_name: Optional[str] = None  # ecs: OTEL_SERVICE_NAME, the service name X-Ray shows
    log_group_names: tuple[pulumi.Output[str], ...] = ()


@dataclass(frozen=True)
class FrontendTargets:
    """What observability needs to watch the frontend (CloudFront and WAF metrics live in us-east-1)."""

    distribution_id: pulumi.Output[str]
    distribution_domain: pulumi.Output[str]  # the *.cloudfront.net name
    site_domain: pulumi.Output[str]  # what users type: the custom domain, else the CloudFront name
    url: pulumi.Output[str]
    web_acl_name: pulumi.Output[str]
    web_acl_metric_name: str
    waf_log_group_name: pulumi.Output[str]
    # True when the Frontend already enabled CloudFront's additional metrics (cloudfront.MonitoringSubscription);
    # otherwise Observability subscribes, because the OriginLatency alarm needs those metrics.
    additional_metrics: bool = False
