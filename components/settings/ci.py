"""CI settings: the `ci` key table (GitHub repository, deploy branch, prod environment, Pulumi state bucket and
secrets provider key), `CiSettings` and `read_ci`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from .schema import Key, Section, _Problems, _Reader

_GITHUB_OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_GITHUB_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")
_KMS_KEY_ARN_RE = re.compile(r"arn:aws(-[a-z]+)*:kms:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:key/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def _is_github_repository(value: Any) -> bool:
    owner, slash, name = value.partition("/")
    return (
        bool(slash)
        and _GITHUB_OWNER_RE.fullmatch(owner) is not None
        and _GITHUB_NAME_RE.fullmatch(name) is not None
        and name not in (".", "..")
    )


def _is_branch(value: Any) -> bool:
    # git check-ref-format rules, minus wildcards: the trust policy matches the ref exactly
    return (
        re.fullmatch(r"[A-Za-z0-9._/-]{1,255}", value) is not None
        and ".." not in value
        and "//" not in value
        and not value.startswith(("/", "-", "."))
        and not value.endswith(("/", ".", ".lock"))
    )


def _is_bucket_name(value: Any) -> bool:
    return (
        re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) is not None
        and ".." not in value
        and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value) is None  # not shaped like an IP address
    )


CI_SECTION = Section(
    "ci",
    "GitHub Actions delivery: the account's GitHub OIDC provider and the CI preview/deploy roles. Set githubRepository "
    "in exactly one stack per AWS account (the OIDC provider is an account singleton).",
    (
        Key(
            "githubRepository",
            "string",
            "GitHub repository (owner/name) whose workflows may assume the CI roles. Empty: no CI roles in this stack.",
            default="",
            allowed="empty, or owner/name as GitHub spells it, e.g. vitality-example/vitality-platform",
            check=lambda v: v == "" or _is_github_repository(v),
        ),
        Key(
            "deployBranch",
            "string",
            "Branch whose push workflow may assume the deploy role (dev deploys run on it without an environment).",
            default="main",
            allowed="a branch name without wildcards, e.g. main",
            check=_is_branch,
        ),
        Key(
            "prodEnvironment",
            "string",
            "Protected GitHub environment (required reviewers) whose jobs may assume the deploy role for prod.",
            default="prod",
            allowed="a GitHub environment name: letters, digits, '.', '_' and '-', up to 255 characters",
            check=lambda v: re.fullmatch(r"[A-Za-z0-9._-]{1,255}", v) is not None,
        ),
        Key(
            "stateBucket",
            "string",
            "S3 bucket of a DIY Pulumi backend (cloud-url s3://<bucket>); the preview role may read the state and take "
            "the stack lock (the deploy role's PowerUserAccess covers S3). Empty: the Pulumi Cloud backend.",
            default="",
            allowed="empty, or an S3 bucket name (3-63 lower-case letters, digits, '.', '-')",
            check=lambda v: v == "" or _is_bucket_name(v),
        ),
        Key(
            "secretsProviderKeyArn",
            "string",
            "KMS key of an awskms:// secrets provider; the preview role may decrypt with it (the deploy role's "
            "PowerUserAccess covers KMS). Empty: the backend's default secrets provider.",
            default="",
            allowed="empty, or a KMS key ARN such as arn:aws:kms:us-west-2:111122223333:key/<uuid>",
            check=lambda v: v == "" or _KMS_KEY_ARN_RE.fullmatch(v) is not None,
        ),
    ),
)


@dataclass(frozen=True)
class CiSettings:
    github_repository: Optional[str]  # owner/name; None: this stack creates no CI roles
    deploy_branch: str
    prod_environment: str
    state_bucket: Optional[str]
    secrets_provider_key_arn: Optional[str]


def read_ci(problems: _Problems, raw: Any) -> Optional[CiSettings]:
    r = _Reader(problems, CI_SECTION, raw)
    v = r.values
    if r.bad:
        return None
    return CiSettings(
        github_repository=v["githubRepository"] or None,
        deploy_branch=v["deployBranch"],
        prod_environment=v["prodEnvironment"],
        state_bucket=v["stateBucket"] or None,
        secrets_provider_key_arn=v["secretsProviderKeyArn"] or None,
    )
