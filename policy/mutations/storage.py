"""Violating variants: S3 buckets, their sub-resources and bucket policies, account Block Public Access."""

from __future__ import annotations

from typing import Any

from policy.rules.shared import ACCOUNT_BPA, BUCKET

from .core import Mutant, variant

BPA = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"

SITE = "web-site"


def _part(m: Mutant, typ: str, bucket: str = SITE) -> Any:
    return m.get(typ, {BPA: f"{bucket}-public-access", POLICY: f"{bucket}-policy", OWNERSHIP: f"{bucket}-ownership",
                       SSE: f"{bucket}-encryption", VERSIONING: f"{bucket}-versioning",
                       LIFECYCLE: f"{bucket}-lifecycle", LOGGING: f"{bucket}-access-logs"}[typ])


def _bucket(m: Mutant, bucket: str = SITE) -> str:
    return m.get(BUCKET, bucket).name


@variant("s3-bucket-public-access-blocked", "restrict_public_buckets off", "value", ("dev", "prod"))
def _bpa_flag(m: Mutant) -> str:
    m.set(_part(m, BPA), "restrictPublicBuckets", False)
    return _bucket(m)


@variant("s3-bucket-public-access-blocked", "public access block removed", "removed")
def _bpa_removed(m: Mutant) -> str:
    m.remove(_part(m, BPA, "security-audit"))
    return _bucket(m, "security-audit")


@variant("s3-bucket-public-access-blocked", "legacy public-read ACL", "sibling")
def _bpa_acl(m: Mutant) -> str:
    return m.set(m.get(BUCKET, SITE), "acl", "public-read")


TLS = "s3-bucket-tls-only"


def _tls(m: Mutant, change: Any, bucket: str = SITE) -> str:
    def edit(statements: list[dict[str, Any]]) -> None:
        deny = next(s for s in statements if s.get("Sid") == "DenyInsecureTransport")
        change(deny, statements)

    m.policy(_part(m, POLICY, bucket), edit)
    return _bucket(m, bucket)


@variant(TLS, "deny covers only s3:GetObject (plain-HTTP uploads allowed)", "partial", ("dev", "prod"))
def _tls_get_only(m: Mutant) -> str:
    return _tls(m, lambda deny, _: deny.update(Action="s3:GetObject"))


@variant(TLS, "deny covers reads and uploads but not the other actions", "partial")
def _tls_some_actions(m: Mutant) -> str:
    return _tls(m, lambda deny, _: deny.update(Action=["s3:GetObject", "s3:PutObject", "s3:ListBucket"]))


@variant(TLS, "condition value flipped to true", "value")
def _tls_flipped(m: Mutant) -> str:
    return _tls(m, lambda deny, _: deny.update(Condition={"Bool": {"aws:SecureTransport": "true"}}))


@variant(TLS, "deny only on the bucket, not its objects", "partial")
def _tls_bucket_only(m: Mutant) -> str:
    return _tls(m, lambda deny, _: deny.update(Resource=[r for r in deny["Resource"] if not r.endswith("/*")]),
                "security-audit")


@variant(TLS, "deny scoped to one principal", "value")
def _tls_one_principal(m: Mutant) -> str:
    return _tls(m, lambda deny, _: deny.update(Principal={"AWS": "arn:aws:iam::111122223333:root"}))


@variant(TLS, "bucket policy removed", "removed")
def _tls_removed(m: Mutant) -> str:
    m.remove(_part(m, POLICY, "web-logs"))
    return _bucket(m, "web-logs")


@variant("s3-bucket-acls-disabled", "ObjectWriter ownership", "value", ("dev", "prod"))
def _ownership_writer(m: Mutant) -> str:
    m.set(_part(m, OWNERSHIP), "rule.objectOwnership", "ObjectWriter")
    return _bucket(m)


@variant("s3-bucket-acls-disabled", "ownership controls removed", "removed")
def _ownership_removed(m: Mutant) -> str:
    m.remove(_part(m, OWNERSHIP, "security-audit"))
    return _bucket(m, "security-audit")


LOG_RULE = "s3-bucket-access-logging"


@variant(LOG_RULE, "access logging removed", "removed", ("dev", "prod"))
def _logging_removed(m: Mutant) -> str:
    m.remove(_part(m, LOGGING))
    return _bucket(m)


@variant(LOG_RULE, "bucket logs into itself", "value", ("dev", "prod"))
def _logging_self(m: Mutant) -> str:
    site = m.get(BUCKET, SITE)
    m.set(_part(m, LOGGING), "targetBucket", site.outputs["bucket"])
    return site.name


@variant(LOG_RULE, "log destination exempted by its own self-logging only", "sibling")
def _logging_fake_destination(m: Mutant) -> str:
    """The access-log bucket is exempt only while other buckets deliver to it: point them elsewhere and give it a
    logging configuration to itself, and it is an unlogged bucket again."""
    sink = m.get(BUCKET, "security-access-logs")
    for log in m.all(LOGGING):
        m.set(log, "targetBucket", m.get(BUCKET, "web-logs").outputs["bucket"])
    m.add(LOGGING, f"{m.prefix}security-access-logs-self", {"bucket": sink.outputs["bucket"],
                                                            "targetBucket": sink.outputs["bucket"]}, like=sink)
    return sink.name


LIFECYCLE_RULE = "s3-bucket-lifecycle"


@variant(LIFECYCLE_RULE, "lifecycle rule disabled", "value", ("dev", "prod"))
def _lifecycle_disabled(m: Mutant) -> str:
    m.edit(_part(m, LIFECYCLE), lambda p: [r.update(status="Disabled") for r in p["rules"]])
    return _bucket(m)


@variant(LIFECYCLE_RULE, "versioned bucket never expires noncurrent versions", "partial")
def _lifecycle_noncurrent(m: Mutant) -> str:
    m.edit(_part(m, LIFECYCLE, "security-audit"), lambda p: [r.pop("noncurrentVersionExpiration", None)
                                                             for r in p["rules"]])
    return _bucket(m, "security-audit")


@variant(LIFECYCLE_RULE, "lifecycle configuration removed", "removed")
def _lifecycle_removed(m: Mutant) -> str:
    m.remove(_part(m, LIFECYCLE, "web-logs"))
    return _bucket(m, "web-logs")


@variant("s3-bucket-versioning", "versioning suspended", "value", ("dev", "prod"))
def _versioning_suspended(m: Mutant) -> str:
    m.set(_part(m, VERSIONING), "versioningConfiguration.status", "Suspended")
    return _bucket(m)


@variant("s3-bucket-versioning", "versioning removed", "removed")
def _versioning_removed(m: Mutant) -> str:
    m.remove(_part(m, VERSIONING, "security-config-history"))
    return _bucket(m, "security-config-history")


@variant("s3-bucket-default-encryption", "encryption configuration removed", "removed", ("dev", "prod"))
def _sse_removed(m: Mutant) -> str:
    m.remove(_part(m, SSE))
    return _bucket(m)


@variant("s3-bucket-default-encryption", "no default rule", "partial")
def _sse_empty(m: Mutant) -> str:
    m.set(_part(m, SSE, "security-audit"), "rules", [{"bucketKeyEnabled": True}])
    return _bucket(m, "security-audit")


@variant("s3-bucket-kms-encryption", "site bucket switched to SSE-S3", "value", ("dev", "prod"))
def _kms_to_s3(m: Mutant) -> str:
    m.set(_part(m, SSE), "rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])
    return _bucket(m)


@variant("s3-bucket-kms-encryption", "SSE-KMS with the AWS managed key", "removed")
def _kms_default_key(m: Mutant) -> str:
    m.edit(_part(m, SSE, "security-audit"),
           lambda p: [r["applyServerSideEncryptionByDefault"].pop("kmsMasterKeyId", None) for r in p["rules"]])
    return _bucket(m, "security-audit")


def _replication(m: Mutant, rules: list[dict[str, Any]]) -> str:
    site = m.get(BUCKET, SITE)
    m.add(REPLICATION, f"{m.prefix}web-site-replication", {"bucket": site.outputs["bucket"], "role": "arn:r",
                                                           "rules": rules}, like=site)
    return site.name


@variant("s3-bucket-replication", "replication rule disabled", "value", ("dev", "prod"))
def _replication_disabled(m: Mutant) -> str:
    return _replication(m, [{"id": "dr", "status": "Disabled",
                             "destination": {"bucket": "arn:aws:s3:::replica"}}])


@variant("s3-bucket-replication", "enabled rule without a destination bucket", "partial")
def _replication_no_destination(m: Mutant) -> str:
    return _replication(m, [{"id": "dr", "status": "Enabled", "destination": {}}])


def _notification(m: Mutant, props: dict[str, Any]) -> str:
    site = m.get(BUCKET, SITE)
    m.add(NOTIFICATION, f"{m.prefix}web-site-events", {"bucket": site.outputs["bucket"], **props}, like=site)
    return site.name


@variant("s3-bucket-event-notifications", "configuration that sends nothing", "value", ("dev", "prod"))
def _notification_empty(m: Mutant) -> str:
    return _notification(m, {"eventbridge": False})


@variant("s3-bucket-event-notifications", "topic entry without events", "partial")
def _notification_no_events(m: Mutant) -> str:
    return _notification(m, {"topics": [{"topicArn": "arn:aws:sns:us-west-2:111122223333:t", "events": []}]})


@variant("s3-bucket-object-lock", "object lock removed from the audit bucket", "removed")
def _object_lock_removed(m: Mutant) -> str:
    audit = m.get(BUCKET, "security-audit")
    m.remove(m.get(OBJECT_LOCK, "security-audit-object-lock"))
    m.edit(audit, lambda p: p.pop("objectLockEnabled", None))
    return audit.name


@variant("s3-bucket-object-lock", "object lock configuration disabled", "value")
def _object_lock_disabled(m: Mutant) -> str:
    audit = m.get(BUCKET, "security-audit")
    m.edit(audit, lambda p: p.pop("objectLockEnabled", None))
    m.set(m.get(OBJECT_LOCK, "security-audit-object-lock"), "objectLockEnabled", "Disabled")
    return audit.name


PUBLIC = "s3-bucket-policy-not-public"


def _site_read(m: Mutant, change: Any) -> str:
    """Vary the CloudFront OAC read statement of the site bucket policy."""
    policy = _part(m, POLICY)

    def edit(statements: list[dict[str, Any]]) -> None:
        change(next(s for s in statements if s.get("Effect") == "Allow"))

    return m.policy(policy, edit)


@variant(PUBLIC, "Principal * with a wildcard aws:SourceArn", "wildcard", ("dev", "prod"))
def _public_wildcard_arn(m: Mutant) -> str:
    return _site_read(m, lambda s: s.update(Principal="*", Condition={"StringLike": {"AWS:SourceArn": "*"}}))


@variant(PUBLIC, "Principal * with a SourceArn of any distribution of any account", "wildcard")
def _public_any_distribution(m: Mutant) -> str:
    return _site_read(m, lambda s: s.update(Principal={"AWS": "*"}, Condition={
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}}))


@variant(PUBLIC, "Principal * without a condition", "removed", ("dev", "prod"))
def _public_no_condition(m: Mutant) -> str:
    return _site_read(m, lambda s: (s.update(Principal="*"), s.pop("Condition", None)))


@variant(PUBLIC, "Principal * with an IfExists condition", "partial")
def _public_if_exists(m: Mutant) -> str:
    return _site_read(m, lambda s: s.update(Principal="*", Condition={
        "StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}))


@variant(PUBLIC, "NotPrincipal Allow", "not-element")
def _public_not_principal(m: Mutant) -> str:
    return m.policy(_part(m, POLICY, "web-logs"), lambda s: s.append({
        "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::x/*"}))


ADMIN = "s3-bucket-policy-no-admin-grants"


def _grant(m: Mutant, action: Any, bucket: str = SITE) -> str:
    return m.policy(_part(m, POLICY, bucket), lambda s: s.append({
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": action,
        "Resource": "arn:aws:s3:::x"}))


@variant(ADMIN, "PutBucketPolicy granted", "value", ("dev", "prod"))
def _admin_policy(m: Mutant) -> str:
    return _grant(m, "s3:PutBucketPolicy")


@variant(ADMIN, "s3:* granted", "wildcard")
def _admin_all(m: Mutant) -> str:
    return _grant(m, ["s3:GetObject", "s3:*"], "security-audit")


@variant(ADMIN, "s3:Put* reaches PutBucketAcl", "wildcard")
def _admin_put(m: Mutant) -> str:
    return _grant(m, "s3:Put*")


@variant(ADMIN, "NotAction grants everything else", "not-element")
def _admin_not_action(m: Mutant) -> str:
    return m.policy(_part(m, POLICY, "web-logs"), lambda s: s.append({
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "NotAction": "s3:GetObject",
        "Resource": "arn:aws:s3:::x"}))


@variant("s3-account-public-access-block", "block_public_policy off", "value")
def _account_bpa(m: Mutant) -> str:
    return m.set(m.get(ACCOUNT_BPA), "blockPublicPolicy", False)


@variant("s3-account-public-access-block", "restrict_public_buckets unset", "removed")
def _account_bpa_unset(m: Mutant) -> str:
    return m.drop(m.get(ACCOUNT_BPA), "restrictPublicBuckets")

