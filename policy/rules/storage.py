"""Storage rules: S3 buckets and their sub-resources, bucket and topic resource policies, account-level Block Public
Access (S3.*)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Optional

from pulumi_policy.proxy import UnknownValueError

from ..framework import (
    ADVISORY,
    Res,
    StackView,
    allows,
    as_list,
    condition_value,
    dig,
    grants,
    public_principal,
    restricting_condition,
    statement_actions,
    statement_resources,
    statements,
    text,
    truthy,
)
from .shared import (
    ACCOUNT_BPA,
    BPA,
    BUCKET_POLICY,
    BUCKETS,
    LIFECYCLE,
    LOGGING,
    NOTIFICATION,
    OBJECT_LOCK,
    OWNERSHIP,
    REPLICATION,
    SSE,
    TOPIC,
    TOPIC_POLICY,
    VERSIONING,
    Findings,
    bpa_problem,
    bucket_children,
    resource_rule,
    stack_rule,
)


def _bucket_rule(name: str, types: tuple[str, ...], problem: Callable[[StackView, Res, list[Res]], Optional[str]],
                 **meta: Any) -> None:
    """A stack rule: every bucket has a sub-resource of `types` for which `problem(...)` returns None."""

    def check(stack: StackView) -> Findings:
        for bucket in stack.of(*BUCKETS):
            why = problem(stack, bucket, bucket_children(stack, bucket, types))
            if why:
                yield bucket, why

    check.__name__ = f"_{name.replace('-', '_')}"
    stack_rule(name, types=BUCKETS, **meta)(check)


_bucket_rule(
    "s3-bucket-public-access-blocked",
    BPA,
    bpa_problem,
    controls=("S3.8", "S3.2", "S3.3", "CloudTrail.6"),
    severity="high",
    tsc=("CC6.1", "CC6.6"),
    description="Every bucket has all four Block Public Access settings on and no public canned ACL.",
    remediation="Build buckets with components.common.hardened_bucket (BucketPublicAccessBlock with all four true).",
)


def _tls_deny(stack: StackView, bucket: Res, policies: list[Res]) -> Optional[str]:
    """S3.5: a Deny for every principal, on every S3 action (`s3:*`, not a list of some), on the bucket and its
    objects, when aws:SecureTransport is false."""
    try:
        bucket_arn = text(bucket.get("arn"))
    except UnknownValueError:  # a new bucket in preview: its policy's resources are unknown too
        bucket_arn = ""
    for policy in policies:
        for s in statements(policy.get("policy")):
            if text(s.get("Effect")).lower() != "deny" or not public_principal(s) or s.get("NotPrincipal") is not None:
                continue
            if not any(a in ("s3:*", "*") for a in statement_actions(s)):
                continue
            if [str(v).lower() for v in condition_value(s, "Bool", "aws:SecureTransport")] != ["false"]:
                continue
            resources = [text(r) for r in statement_resources(s)]
            if bucket_arn and not ({bucket_arn, f"{bucket_arn}/*"} <= set(resources) or "*" in resources):
                continue
            return None
    return "no bucket policy statement denies every S3 action without TLS (s3:*, aws:SecureTransport=false) on " \
        "the bucket and its objects"


_bucket_rule(
    "s3-bucket-tls-only",
    BUCKET_POLICY,
    _tls_deny,
    controls=("S3.5",),
    severity="medium",
    tsc=("CC6.1", "CC6.7"),
    description="Every bucket policy denies requests that do not use TLS, on the bucket and its objects.",
    remediation="Use hardened_bucket (its policy starts with DenyInsecureTransport).",
)


def _ownership(stack: StackView, bucket: Res, controls: list[Res]) -> Optional[str]:
    if any(text(dig(c.get("rule"), "objectOwnership")) == "BucketOwnerEnforced" for c in controls):
        return None
    return "ACLs are not disabled (no BucketOwnershipControls with BucketOwnerEnforced)"


_bucket_rule(
    "s3-bucket-acls-disabled",
    OWNERSHIP,
    _ownership,
    controls=("S3.12",),
    severity="medium",
    tsc=("CC6.1", "CC6.3"),
    description="Every bucket disables ACLs (object ownership BucketOwnerEnforced).",
    remediation="Add BucketOwnershipControls(rule={object_ownership: \"BucketOwnerEnforced\"}).",
)


def _bucket_names(bucket: Res) -> set[str]:
    return {a for a in bucket.addresses() if a}


def _access_logging(stack: StackView, bucket: Res, loggings: list[Res]) -> Optional[str]:
    """S3.9: the bucket delivers its server access logs to another bucket. AWS: the destination of access logs is
    not logged itself (that recurses), so a bucket that other buckets really deliver to is exempt; a logging
    configuration of the bucket pointing at itself counts neither as logging nor as a destination."""
    own = _bucket_names(bucket)
    if any(text(log.get("targetBucket")) and text(log.get("targetBucket")) not in own for log in loggings):
        return None
    for log in stack.of(*LOGGING):
        source = stack.ref(log, "bucket", BUCKETS)
        if source is not None and source is not bucket and stack.resolve(log.get("targetBucket"), BUCKETS) is bucket:
            return None
    if any(text(log.get("targetBucket")) in own for log in loggings):
        return "server access logs are delivered to the bucket itself"
    return "no server access logging"


_bucket_rule(
    "s3-bucket-access-logging",
    LOGGING,
    _access_logging,
    controls=("S3.9", "CloudTrail.7"),
    severity="medium",
    tsc=("CC7.2",),
    description="Every bucket writes server access logs, except the access-log destination itself (AWS guidance).",
    remediation="Pass access_log_bucket=<the log bucket> to hardened_bucket.",
)


def _lifecycle(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    rules = [r for c in configs for r in as_list(c.get("rules")) if text(dig(r, "status")) == "Enabled"]
    if not rules:
        return "no enabled lifecycle rule"
    versioned = any(text(dig(v.get("versioningConfiguration"), "status")) == "Enabled"
                    for v in bucket_children(stack, bucket, VERSIONING))
    if versioned and not any(dig(r, "noncurrentVersionExpiration") or dig(r, "noncurrentVersionTransitions")
                             for r in rules):
        return "versioned, but no lifecycle rule expires or transitions noncurrent versions"
    return None


_bucket_rule(
    "s3-bucket-lifecycle",
    LIFECYCLE,
    _lifecycle,
    controls=("S3.13", "S3.10", "S3.20"),
    severity="low",
    tsc=("C1.2", "A1.2"),
    description="Every bucket has an enabled lifecycle configuration; versioned buckets expire noncurrent versions "
    "(a lifecycle configuration also makes S3.20, root-only MFA delete, not apply).",
    remediation="Pass lifecycle rules to hardened_bucket (noncurrent_expire_days for versioned buckets).",
)


def _versioning(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    if any(text(dig(v.get("versioningConfiguration"), "status")) == "Enabled" for v in configs):
        return None
    return "versioning is not enabled"


_bucket_rule(
    "s3-bucket-versioning",
    VERSIONING,
    _versioning,
    controls=("S3.14",),
    severity="low",
    tsc=("A1.2", "C1.1", "CC7.4"),
    description="Every bucket has versioning enabled (recovery from overwrite and deletion).",
    remediation="Leave hardened_bucket's versioned=True.",
)


def _encryption(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    for c in configs:
        for rule in as_list(c.get("rules")):
            if text(dig(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")) in ("aws:kms", "aws:kms:dsse", "AES256"):
                return None
    return "no default server-side encryption configuration"


_bucket_rule(
    "s3-bucket-default-encryption",
    SSE,
    _encryption,
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config s3-bucket-server-side-encryption-enabled", "CKV_AWS_145"),
    description="Every bucket declares default encryption (the program's record of the choice, SSE-KMS or SSE-S3).",
    remediation="Use hardened_bucket with BucketEncryption(kms_key_arn=...) or a written sse_s3_reason.",
)


def _kms_encryption(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    for c in configs:
        for rule in as_list(c.get("rules")):
            default = dig(rule, "applyServerSideEncryptionByDefault")
            if text(dig(default, "sseAlgorithm")) in ("aws:kms", "aws:kms:dsse") and text(dig(default, "kmsMasterKeyId")):
                return None
    return "not encrypted with SSE-KMS and a customer-managed key"


_bucket_rule(
    "s3-bucket-kms-encryption",
    SSE,
    _kms_encryption,
    controls=("S3.17",),
    severity="medium",
    tsc=("CC6.1",),
    enforcement=ADVISORY,
    description="Buckets use SSE-KMS with a customer-managed key (advisory: SSE-S3 is allowed with a written reason, "
    "e.g. where a reader cannot use KMS).",
    remediation="Pass BucketEncryption(kms_key_arn=<key>) to hardened_bucket.",
)


def _replication(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    """S3.7: an enabled replication rule with a destination bucket (a disabled or destination-less rule
    replicates nothing)."""
    if not configs:
        return "no cross-region replication configuration"
    for config in configs:
        for rule in as_list(config.get("rules")):
            if text(dig(rule, "status")) == "Enabled" and text(dig(rule, "destination", "bucket")):
                return None
    return "no enabled replication rule with a destination bucket"


def _notifications(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    """S3.11: the configuration sends events somewhere (EventBridge, or a topic, queue or function with events)."""
    if not configs:
        return "no event notification configuration"
    for config in configs:
        if truthy(config.get("eventbridge")):
            return None
        for key in ("topics", "queues", "lambdaFunctions"):
            if any(as_list(dig(target, "events")) for target in as_list(config.get(key))):
                return None
    return "the event notification configuration sends no events"


_bucket_rule(
    "s3-bucket-replication",
    REPLICATION,
    _replication,
    controls=("S3.7",),
    severity="low",
    tsc=("A1.2",),
    enforcement=ADVISORY,
    description="Buckets replicate to another region through an enabled rule with a destination (advisory: disaster "
    "recovery beyond versioning is a choice).",
    remediation="Add aws.s3.BucketReplicationConfig with an enabled rule to a bucket in another region.",
)
_bucket_rule(
    "s3-bucket-event-notifications",
    NOTIFICATION,
    _notifications,
    controls=("S3.11",),
    severity="medium",
    tsc=("CC7.2",),
    enforcement=ADVISORY,
    description="Buckets send event notifications: EventBridge on, or a target with events (advisory).",
    remediation="Add aws.s3.BucketNotification(eventbridge=True) where object events matter.",
)


def _object_lock(stack: StackView, bucket: Res, found: list[Res]) -> Optional[str]:
    enabled = truthy(bucket.get("objectLockEnabled")) or any(
        text(c.get("objectLockEnabled")) in ("", "Enabled") for c in found)
    return None if enabled else "object lock is not enabled"


_bucket_rule(
    "s3-bucket-object-lock",
    OBJECT_LOCK,
    _object_lock,
    controls=("S3.15",),
    severity="medium",
    tsc=("C1.1", "CC7.4"),
    enforcement=ADVISORY,
    description="Buckets have Object Lock (advisory; worth it for the CloudTrail/Config audit bucket).",
    remediation="Create the bucket with object_lock_enabled=True (only at creation).",
)

S3_ADMIN_ACTIONS = ("s3:deletebucketpolicy", "s3:putbucketacl", "s3:putbucketpolicy", "s3:putencryptionconfiguration",
                    "s3:putobjectacl")
POLICY_BEARERS = (*BUCKET_POLICY, TOPIC_POLICY, TOPIC)


@resource_rule(
    "s3-bucket-policy-not-public",
    types=BUCKET_POLICY,
    controls=("S3.2", "S3.3"),
    severity="critical",
    tsc=("CC6.1", "CC6.6"),
    description="Bucket policies allow nothing to a wildcard principal without a fixed-value restricting condition "
    "(CloudFront OAC reads are scoped by AWS:SourceArn).",
    remediation="Grant to service principals with aws:SourceArn/aws:SourceAccount conditions, never to \"*\".",
)
def _s3_public(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s) and public_principal(s) and not restricting_condition(s):
            yield f"statement {s.get('Sid', '?')} allows a wildcard principal"


@resource_rule(
    "s3-bucket-policy-no-admin-grants",
    types=BUCKET_POLICY,
    controls=("S3.6",),
    severity="high",
    tsc=("CC6.1", "CC6.3"),
    description="Bucket policies grant no principal the bucket-administration actions (policy, ACL, encryption); "
    "those stay with the account's IAM.",
    remediation="Remove s3:PutBucketPolicy/DeleteBucketPolicy/PutBucketAcl/PutEncryptionConfiguration/PutObjectAcl "
    "(and s3:*) from Allow statements.",
)
def _s3_admin(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s):
            granted = [a for a in S3_ADMIN_ACTIONS if grants(s, a)]
            if granted:
                yield f"statement {s.get('Sid', '?')} grants {granted}"


@resource_rule(
    "s3-account-public-access-block",
    types=(ACCOUNT_BPA,),
    controls=("S3.1",),
    severity="medium",
    tsc=("CC6.1", "CC6.6"),
    description="The account-level S3 Block Public Access has all four settings on (provider defaults: off).",
    remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to True.",
)
def _account_bpa(res: Res) -> Iterator[str]:
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        if not truthy(res.get(flag)):
            yield f"{flag} is not true"
