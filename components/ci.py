"""Ci: the AWS side of GitHub Actions delivery, with no long-lived keys.

- `iam.OpenIdConnectProvider` for `token.actions.githubusercontent.com` (audience `sts.amazonaws.com`). It is an
  account singleton, so exactly one stack per account sets `ci.githubRepository` (prod here).
- a preview role, trusted only for pull-request workflows of that repository and for the daily drift check (jobs in
  the `drift` GitHub environment, .github/workflows/drift.yml): `ReadOnlyAccess`, plus what a
  preview writes (the stack lock of a DIY S3 backend) and decrypts (an awskms:// secrets provider).
- a deploy role, trusted only for pushes to the deploy branch (dev) and for jobs in the protected GitHub
  environment (prod): `PowerUserAccess` + `IAMReadOnlyAccess` + IAM writes scoped to this project's role and
  policy names, the Config service-linked role's tags and description, the account password policy and the
  account's alternate contacts. It may not change the CI roles or the OIDC provider (no widening of its own trust); an
  administrator changes those. docs/architecture.md explains the trade-off.

The trust conditions match GitHub's default subject format exactly (`StringEquals`, no wildcards):
`repo:<owner>/<name>:pull_request`, `repo:<owner>/<name>:ref:refs/heads/<branch>` and
`repo:<owner>/<name>:environment:<environment>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from .common import StackContext, Statement, allow, child, policy_json, service_role
from .settings import CiSettings

COMPONENT = "ci"
DRIFT_ENVIRONMENT = "drift"  # GitHub environment of the scheduled drift check (read-only preview role)
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
DEPLOY_SESSION_SECONDS = 7200  # a prod update with Aurora and CloudFront can outlast one hour

# IAM writes the deploy role needs for the roles and inline policies the program manages.
IAM_ROLE_WRITES = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)
IAM_POLICY_WRITES = (
    "iam:CreatePolicy",
    "iam:DeletePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
# The security baseline's alternate contact: PowerUserAccess excludes account:*.
ALTERNATE_CONTACT = ("account:GetAlternateContact", "account:PutAlternateContact", "account:DeleteAlternateContact")
# The AWS Config service-linked role is created with tags and a description (PowerUserAccess allows
# iam:CreateServiceLinkedRole, but not the role's later tag or description updates).
CONFIG_SLR_WRITES = ("iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRoleDescription")
OIDC_PROVIDER_WRITES = (
    "iam:DeleteOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
)


@dataclass(frozen=True)
class CiArgs:
    ctx: StackContext
    settings: CiSettings  # github_repository is set (the component exists only then)


def subjects(settings: CiSettings) -> tuple[list[str], tuple[str, ...]]:
    """(preview subjects, deploy subjects) of GitHub's OIDC token for the configured repository."""
    repo = f"repo:{settings.github_repository}"
    return [f"{repo}:pull_request", f"{repo}:environment:{DRIFT_ENVIRONMENT}"], (
        f"{repo}:ref:refs/heads/{settings.deploy_branch}",
        f"{repo}:environment:{settings.prod_environment}",
    )


def _github_trust(provider_arn: pulumi.Output[str], subject: Any) -> pulumi.Output[str]:
    return policy_json(
        [
            {
                "Sid": "GitHubActions",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": AUDIENCE, f"{GITHUB_OIDC_HOST}:sub": subject}
                },
            }
        ]
    )


class Ci(pulumi.ComponentResource):
    provider_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CiArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        if not args.settings.github_repository:
            raise ValueError("Ci needs ci.githubRepository; construct it only when the setting is present")
        super().__init__("vitality:platform:Ci", name, None, opts)
        ctx, cfg = args.ctx, args.settings
        preview_subjects, deploy_subjects = subjects(cfg)

        # Thumbprints are optional in pulumi-aws v7: IAM validates GitHub's certificate against its own trusted CAs.
        provider = aws.iam.OpenIdConnectProvider(
            f"{name}-github",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_lists=[AUDIENCE],
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        self.provider_arn = provider.arn

        preview = service_role(
            f"{name}-preview",
            ctx,
            COMPONENT,
            self,
            services=(),
            trust_policy=_github_trust(provider.arn, preview_subjects),
            managed_policy_arns=(f"arn:{ctx.partition}:iam::aws:policy/ReadOnlyAccess",),
            statements=self._backend_statements(ctx, cfg),
            description=f"GitHub Actions pull-request previews of {cfg.github_repository} (read-only)",
        )
        deploy = service_role(
            f"{name}-deploy",
            ctx,
            COMPONENT,
            self,
            services=(),
            trust_policy=_github_trust(provider.arn, list(deploy_subjects)),
            managed_policy_arns=(
                f"arn:{ctx.partition}:iam::aws:policy/PowerUserAccess",
                f"arn:{ctx.partition}:iam::aws:policy/IAMReadOnlyAccess",
            ),
            statements=self._deploy_statements(ctx, name, provider.arn),
            description=f"GitHub Actions deployments of {cfg.github_repository} ({cfg.deploy_branch}, "
            f"environment {cfg.prod_environment})",
            max_session_duration=DEPLOY_SESSION_SECONDS,
        )
        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.register_outputs(
            {"providerArn": provider.arn, "previewRoleArn": preview.arn, "deployRoleArn": deploy.arn}
        )

    @staticmethod
    def _backend_statements(ctx: StackContext, cfg: CiSettings) -> list[Statement]:
        """A preview reads the state and takes the stack lock (DIY S3 backend) and decrypts config secrets
        (awskms:// secrets provider). Pulumi Cloud with its default secrets provider needs neither."""
        found: list[Statement] = []
        if cfg.state_bucket:
            bucket = f"arn:{ctx.partition}:s3:::{cfg.state_bucket}"
            found += [
                allow("ListState", ["s3:ListBucket", "s3:GetBucketLocation"], bucket),
                allow("ReadState", ["s3:GetObject"], f"{bucket}/.pulumi/*"),
                allow("TakeStackLock", ["s3:PutObject", "s3:DeleteObject"], f"{bucket}/.pulumi/locks/*"),
            ]
        if cfg.secrets_provider_key_arn:
            found.append(allow("DecryptConfigSecrets", ["kms:Decrypt"], cfg.secrets_provider_key_arn))
        return found

    @staticmethod
    def _deploy_statements(ctx: StackContext, name: str, provider_arn: pulumi.Output[str]) -> list[Statement]:
        """PowerUserAccess covers everything but IAM, Organizations and Account Management; these add IAM writes for
        the project's own roles and policies (every physical name starts with the project name), the account-level
        settings the security baseline manages, and fence off the CI trust itself."""
        iam = f"arn:{ctx.partition}:iam::"
        account = ctx.account_id
        project_roles = [
            pulumi.Output.concat(iam, account, f":role/{ctx.project}-*"),
            pulumi.Output.concat(iam, account, f":role/*/{ctx.project}-*"),  # roles with a path
        ]
        return [
            allow("ProjectRoles", IAM_ROLE_WRITES, project_roles),
            allow("PassProjectRoles", ["iam:PassRole"], project_roles),
            allow("ProjectPolicies", IAM_POLICY_WRITES, pulumi.Output.concat(iam, account, f":policy/{ctx.project}-*")),
            # account password policy (security baseline): these actions have no resource-level permissions
            allow("AccountPasswordPolicy", ["iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy"], "*"),
            # the account resource type (arn:<partition>:account::<account>:account) of a standalone account
            allow("SecurityAlternateContact", ALTERNATE_CONTACT, pulumi.Output.concat(f"arn:{ctx.partition}:account::", account, ":account")),
            allow(
                "ConfigServiceLinkedRole",
                CONFIG_SLR_WRITES,
                pulumi.Output.concat(iam, account, ":role/aws-service-role/config.amazonaws.com/*"),
            ),
            {
                "Sid": "DenyChangingCiTrust",
                "Effect": "Deny",
                "Action": [*IAM_ROLE_WRITES, *OIDC_PROVIDER_WRITES],
                "Resource": [pulumi.Output.concat(iam, account, f":role/{name}-*"), provider_arn],
            },
        ]
