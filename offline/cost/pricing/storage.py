"""Storage pricing: S3 buckets (their settings are free) and SSM parameters."""

from __future__ import annotations

from ...engine import Resource
from ..model import Charge, Context, Pricer, flat


def _bucket(r: Resource, ctx: Context) -> list[Charge]:
    buckets = ctx.of_types(r.type)
    return [
        Charge("S3 Standard storage (GB-month)", "s3.standard_gb_month", *ctx.share("s3_storage_gb", buckets)),
        Charge("PUT/LIST requests", "s3.put_1k", *ctx.share("s3_put_requests", buckets)),
        Charge("GET requests", "s3.get_1k", *ctx.share("s3_get_requests", buckets)),
    ]


def _ssm_parameter(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("tier", "Standard") == "Standard":
        return []  # standard parameters (SecureString included) are free; KMS bills the decrypts on the key
    return [flat(f"{r.inputs.get('tier')} parameter", "ssm.advanced_parameter_month", 1)]


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:ssm/parameter:Parameter": _ssm_parameter,
}

# Types with no charge of their own, and why.
FREE: dict[str, str] = {
    "aws:s3/bucketObjectv2:BucketObjectv2": "its bytes are billed as storage of its bucket (usage s3_storage_gb)",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket configuration "
    "(KMS requests are billed on the key)",
    "aws:s3/bucketVersioning:BucketVersioning": "bucket configuration (stored versions are billed as bucket storage)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketLogging:BucketLogging": "access log objects are billed as storage of the target bucket",
    "aws:s3/bucketNotification:BucketNotification": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "bucket configuration (the bucket is billed)",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": "account setting, no charge",
}
