"""CI settings: the `ci` key table (GitHub repository, the GitHub environments and the stack of the two deploy roles,
Pulumi state bucket and secrets provider key), `CiSettings` and `read_ci`.
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


_ENVIRONMENT_RE = re.compile(r"[A-Za-z0-9._-]{1,255}")
_STACK_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


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
            "prodEnvironment",
            "string",
            "Protected GitHub environment (required reviewers) whose jobs may assume this stack's deploy role. No branch "
            "is ever trusted: a job that skipped the environment would skip its reviewers.",
            default="prod",
            allowed="a GitHub environment name: letters, digits, '.', '_' and '-', up to 255 characters",
            check=lambda v: _ENVIRONMENT_RE.fullmatch(v) is not None,
        ),
        Key(
            "devEnvironment",
            "string",
            "GitHub environment whose jobs may assume the dev deploy role (it deploys devStack only, and is denied "
            "everything tagged with this stack's environment). Empty: no dev deploy role.",
            default="dev",
            allowed="empty, or a GitHub environment name: letters, digits, '.', '_' and '-', up to 255 characters",
            check=lambda v: v == "" or _ENVIRONMENT_RE.fullmatch(v) is not None,
        ),
        Key(
            "devStack",
            "string",
            "The stack the dev deploy role deploys: its roles (<project>-<devStack>-*) and permissions boundary. When it is "
            "this stack, there is no dev deploy role here: this stack's own deploy role deploys it.",
            default="dev",
            allowed="a lower-case Pulumi stack name (letters, digits, '.', '_', '-')",
            check=lambda v: _STACK_RE.fullmatch(v) is not None,
        ),
        Key(
            "stateBucket",
            "string",
            "S3 bucket of a DIY Pulumi backend (cloud-url s3://<bucket>); the preview role may read the state and take "
            "the stack lock, the deploy roles may write the state. Empty: the Pulumi Cloud backend.",
            default="",
            allowed="empty, or an S3 bucket name (3-63 lower-case letters, digits, '.', '-')",
            check=lambda v: v == "" or _is_bucket_name(v),
        ),
        Key(
            "secretsProviderKeyArn",
            "string",
            "KMS key of an awskms:// secrets provider; the preview role may decrypt with it, the deploy roles also "
            "encrypt (no other key decrypts for them). Empty: the backend's default secrets provider.",
            default="",
            allowed="empty, or a KMS key ARN such as arn:aws:kms:us-west-2:111122223333:key/<uuid>",
            check=lambda v: v == "" or _KMS_KEY_ARN_RE.fullmatch(v) is not None,
        ),
    ),
)


@dataclass(frozen=True)
class CiSettings:
    github_repository: Optional[str]  # owner/name; None: this stack creates no CI roles
    prod_environment: str
    dev_environment: Optional[str]  # None: no dev deploy role
    dev_stack: str
    state_bucket: Optional[str]
    secrets_provider_key_arn: Optional[str]


def read_ci(problems: _Problems, raw: Any) -> Optional[CiSettings]:
    r = _Reader(problems, CI_SECTION, raw)
    v = r.values
    if r.bad:
        return None
    return CiSettings(
        github_repository=v["githubRepository"] or None,
        prod_environment=v["prodEnvironment"],
        # a stack's own deploy role deploys it: the dev deploy role exists only in another stack (the account's CI
        # stack) than the one it deploys, e.g. never in organization mode, where every account has its own CI roles
        dev_environment=(v["devEnvironment"] or None) if v["devStack"] != problems.stack else None,
        dev_stack=v["devStack"],
        state_bucket=v["stateBucket"] or None,
        secrets_provider_key_arn=v["secretsProviderKeyArn"] or None,
    )
