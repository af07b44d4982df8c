"""Ci: the AWS side of GitHub Actions delivery, with no long-lived keys and no path to administrator.

- `iam.OpenIdConnectProvider` for `token.actions.githubusercontent.com` (audience `sts.amazonaws.com`). It is an
  account singleton, so exactly one stack per account sets `ci.githubRepository` (prod here).
- a preview role, trusted only for pull-request workflows of that repository and for the daily drift check (jobs in
  the `drift` GitHub environment, .github/workflows/drift.yml): the configuration reads a
  `pulumi preview --refresh` needs for every service the program manages, and explicit denies on every read that
  returns data (object contents, secret values, log lines, image layers, traces, ...: ci_permissions.DATA_READS).
- a deploy role for this stack, trusted only for jobs in the protected GitHub environment (`environment:prod`), and
  a dev deploy role for the dev stack, trusted only for jobs in the dev environment. Each manages the services in
  ci_permissions (derived from the resource types the program registers, checked by a test), creates and changes
  roles of its own stack only with that stack's permissions boundary, attaches only the AWS managed policies the
  program uses, passes roles only to the services that use them, and never reads secret values, decrypts data,
  rewrites a managed policy, assumes a role, stops the audit trail or the security services, or deletes a key.

Neither deploy role may change the CI roles or the OIDC provider (no widening of its own trust): an administrator
applies those, and the first `pulumi up` of each stack (it creates the stack's permissions boundary, which no deploy
role may write). docs/ci.md lists every statement and why.

The trust conditions match GitHub's default subject format exactly (`StringEquals`, no wildcards):
`repo:<owner>/<name>:pull_request` and `repo:<owner>/<name>:environment:<environment>`. A branch subject is never
trusted: a job on main that skipped the protected environment would skip its required reviewers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from . import ci_permissions as perms
from .common import ServiceRole, StackContext, Statement, allow, child, policy_json, service_role
from .guardrails import AUDIT_TAMPERING, BOUNDED_ROLE_WRITES, KEY_DESTRUCTION, POLICY_REWRITES, boundary_name
from .settings import CiSettings

COMPONENT = "ci"
DRIFT_ENVIRONMENT = "drift"  # GitHub environment of the scheduled drift check (read-only preview role)
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
DEPLOY_SESSION_SECONDS = 7200  # a prod update with Aurora and CloudFront can outlast one hour

ROLE_UPKEEP = ("iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
               "iam:TagRole", "iam:UntagRole")
BOUNDED_WITHOUT_ATTACH = tuple(a for a in BOUNDED_ROLE_WRITES if a not in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"))
# The deploy roles create no managed policy: the only one the program has is the boundary, an administrator's.
MANAGED_POLICY_WRITES = (*POLICY_REWRITES, "iam:CreatePolicy", "iam:DeletePolicy", "iam:DeletePolicyVersion")
# Key administration for the keys the program creates; no Decrypt/Encrypt/GenerateDataKey on the caller's behalf.
KEY_ADMINISTRATION = (
    "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:PutKeyPolicy", "kms:EnableKeyRotation",
    "kms:RotateKeyOnDemand", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource", "kms:DescribeKey",
    "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:ListKeyPolicies", "kms:ListGrants",
    "kms:ListKeyRotations",
)
KEY_READS = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
             "kms:ListKeyPolicies", "kms:ListAliases", "kms:ListKeys", "kms:ListKeyRotations")
# Services that encrypt with the data key through the deploying principal's own KMS permissions when a resource is
# created: RDS stores the managed master-user secret in Secrets Manager (which generates its data key through
# kms:ViaService), and AWS Backup creates a vault under a customer-managed key. A kms:ViaService grant is usable only
# inside those services' APIs, and reading the secret still needs secretsmanager:GetSecretValue, which is denied.
ENVELOPE_VIA_SERVICES = ("secretsmanager", "backup")
AUDIT_BUCKET_PROTECTION = (
    "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration", "s3:BypassGovernanceRetention",
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketLogging",
)
# Account settings of the security baseline (only where this stack owns it)
ALTERNATE_CONTACT = ("account:GetAlternateContact", "account:PutAlternateContact", "account:DeleteAlternateContact")
PASSWORD_POLICY = ("iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy")
CONFIG_SLR_WRITES = ("iam:TagRole", "iam:UntagRole", "iam:UpdateRoleDescription")
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
    regions: Sequence[str]  # every region the stacks put resources in (aws:RequestedRegion)
    data_key_arn: pulumi.Input[str]  # this stack's data key (RDS secret and Backup vault encryption at deploy)
    account_baseline: bool = False  # this stack owns the account settings (password policy, contact, Config SLR)
    audit_bucket_arns: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    # dev and prod share this account (organization mode none): the dev deploy role lives here; in organization mode
    # every account's stack has its own CI roles
    shared_account: bool = True
    # roles a deploy may assume, e.g. the organization's management role of organization mode (a second provider)
    assumable_role_arns: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class DeployTarget:
    """One deploy role: the stack it deploys and the GitHub environment whose jobs may assume it."""

    stack: str
    environment: str
    account_baseline: bool


def subjects(settings: CiSettings) -> tuple[list[str], str, Optional[str]]:
    """(preview, prod deploy, dev deploy) subjects of GitHub's OIDC token for the configured repository."""
    repo = f"repo:{settings.github_repository}"
    dev = f"{repo}:environment:{settings.dev_environment}" if settings.dev_environment else None
    preview = [f"{repo}:pull_request", f"{repo}:environment:{DRIFT_ENVIRONMENT}"]
    return preview, f"{repo}:environment:{settings.prod_environment}", dev


def _github_trust(provider_arn: pulumi.Output[str], subject: str | list[str]) -> pulumi.Output[str]:
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
    dev_deploy_role_arn: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: CiArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        if not args.settings.github_repository:
            raise ValueError("Ci needs ci.githubRepository; construct it only when the setting is present")
        super().__init__("vitality:platform:Ci", name, None, opts)
        self._args, self._name = args, name
        ctx, cfg = args.ctx, args.settings
        preview_subjects, prod_subject, dev_subject = subjects(cfg)

        # Thumbprints are optional in pulumi-aws v7: IAM validates GitHub's certificate against its own trusted CAs.
        provider = aws.iam.OpenIdConnectProvider(
            f"{name}-github",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_lists=[AUDIENCE],
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        self.provider_arn = provider.arn
        # the service grants of the deploy roles exceed an inline policy (10,240 characters a role), so they live in
        # managed policies both deploy roles attach; no deploy role may change a managed policy
        self._service_policies = [
            aws.iam.Policy(
                f"{name}-deploy-services-{index}",
                description=f"Services the {ctx.project} program manages, part {index} (derived from its resource types)",
                policy=policy_json([allow("ManageServices", chunk, "*", Condition=self._in_regions())]),
                tags=ctx.tags(COMPONENT),
                opts=child(self),
            )
            for index, chunk in enumerate(perms.chunked(perms.deploy_actions()), start=1)
        ]

        preview = service_role(
            f"{name}-preview",
            ctx,
            COMPONENT,
            self,
            services=(),
            trust_policy=_github_trust(provider.arn, preview_subjects),
            statements=self._preview_statements(),
            description=f"GitHub Actions pull-request previews of {cfg.github_repository} and drift checks (configuration reads only)",
        )
        deploy = self._deploy_role(
            f"{name}-deploy", provider.arn, prod_subject, DeployTarget(ctx.stack, cfg.prod_environment, args.account_baseline)
        )
        dev = (
            self._deploy_role(f"{name}-deploy-dev", provider.arn, dev_subject, DeployTarget(cfg.dev_stack, cfg.dev_environment, False))
            if dev_subject and cfg.dev_environment and args.shared_account
            else None
        )
        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.dev_deploy_role_arn = dev.arn if dev else None
        self.register_outputs(
            {
                "providerArn": provider.arn,
                "previewRoleArn": preview.arn,
                "deployRoleArn": deploy.arn,
                "devDeployRoleArn": self.dev_deploy_role_arn,
            }
        )

    # ---------------------------------------------------------------------------------------------- shared pieces

    def _iam_arn(self, resource: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(f"arn:{self._args.ctx.partition}:iam::", self._args.ctx.account_id, f":{resource}")

    def _in_regions(self) -> dict[str, Any]:
        return {"StringEquals": {"aws:RequestedRegion": sorted(set(self._args.regions))}}

    def _backend_statements(self, write: bool) -> list[Statement]:
        """The state and the stack lock of a DIY S3 backend, and the config secrets of an awskms:// provider. Pulumi
        Cloud with its default secrets provider needs neither."""
        cfg, found = self._args.settings, []
        if cfg.state_bucket:
            bucket = f"arn:{self._args.ctx.partition}:s3:::{cfg.state_bucket}"
            found += [
                allow("ListState", ["s3:ListBucket", "s3:GetBucketLocation"], bucket),
                allow("ReadState", ["s3:GetObject"], f"{bucket}/.pulumi/*"),
                allow("WriteState", ["s3:PutObject", "s3:DeleteObject"], f"{bucket}/.pulumi/*")
                if write
                else allow("TakeStackLock", ["s3:PutObject", "s3:DeleteObject"], f"{bucket}/.pulumi/locks/*"),
            ]
        if cfg.secrets_provider_key_arn:
            actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
            found.append(allow("ConfigSecrets", actions, cfg.secrets_provider_key_arn))
        return found

    def _data_read_denies(self, deploy: bool) -> list[Statement]:
        """Explicit denies on every read that returns data; the backend's own state objects and secrets key (when
        configured) are the only exceptions, because Pulumi itself reads them."""
        cfg, partition = self._args.settings, self._args.ctx.partition
        state = [f"arn:{partition}:s3:::{cfg.state_bucket}/.pulumi/*"] if cfg.state_bucket else []
        object_reads = [a for a in perms.DATA_READS if a.startswith("s3:")]
        reads: list[Statement] = [
            {"Sid": "NoDataReads", "Effect": "Deny", "Action": [a for a in perms.DATA_READS if a not in object_reads], "Resource": "*"},
            {"Sid": "NoObjectReads", "Effect": "Deny", "Action": object_reads, **({"NotResource": state} if state else {"Resource": "*"})},
        ]
        via = [f"{service}.{region}.amazonaws.com" for service in ENVELOPE_VIA_SERVICES for region in sorted(set(self._args.regions))]
        decrypt: Statement = {"Sid": "NoDecryption", "Effect": "Deny", "Action": ["kms:Decrypt", "kms:ReEncryptFrom"]}
        if deploy:  # only inside the services that encrypt what it creates
            decrypt["Condition"] = {"StringNotEquals": {"kms:ViaService": via}}
        keys = [cfg.secrets_provider_key_arn] if cfg.secrets_provider_key_arn else []
        decrypt.update({"NotResource": keys} if keys else {"Resource": "*"})
        return [*reads, decrypt]

    # ------------------------------------------------------------------------------------------------ preview role

    def _preview_statements(self) -> list[Statement]:
        return [
            allow("ReadConfiguration", perms.read_actions(), "*", Condition=self._in_regions()),
            allow("ReadIam", ["iam:Get*", "iam:List*"], "*"),
            allow("ReadKeys", KEY_READS, "*", Condition=self._in_regions()),
            *self._backend_statements(write=False),
            *self._data_read_denies(deploy=False),
        ]

    # ------------------------------------------------------------------------------------------------ deploy roles

    def _deploy_role(self, name: str, provider_arn: pulumi.Output[str], subject: str, target: DeployTarget) -> ServiceRole:
        role = service_role(
            name,
            self._args.ctx,
            COMPONENT,
            self,
            services=(),
            trust_policy=_github_trust(provider_arn, subject),
            statements=self._deploy_statements(target, provider_arn),
            description=f"GitHub Actions deployments of {self._args.settings.github_repository}: stack {target.stack}, "
            f"environment {target.environment}",
            max_session_duration=DEPLOY_SESSION_SECONDS,
        )
        role.attachments += [
            aws.iam.RolePolicyAttachment(
                f"{name}-services-{index}", role=role.name, policy_arn=policy.arn, opts=child(role.role)
            )
            for index, policy in enumerate(self._service_policies, start=1)
        ]
        return role

    def _deploy_statements(self, target: DeployTarget, provider_arn: pulumi.Output[str]) -> list[Statement]:
        ctx = self._args.ctx
        project = ctx.project
        stack_roles = [self._iam_arn(f"role/{project}-{target.stack}-*")]
        boundary = {"ArnEquals": {"iam:PermissionsBoundary": self._iam_arn(f"policy/{boundary_name(project, target.stack)}")}}
        managed = [f"arn:{ctx.partition}:iam::aws:policy/{p}" for p in perms.ATTACHABLE_MANAGED_POLICIES]
        keys = [pulumi.Output.concat(f"arn:{ctx.partition}:kms:{region}:", ctx.account_id, ":key/*") for region in sorted(set(self._args.regions))]
        config_slr = self._iam_arn("role/aws-service-role/config.amazonaws.com/*")
        found: list[Statement] = [
            allow("ReadIam", ["iam:Get*", "iam:List*"], "*"),
            allow("StackRolesWithBoundary", BOUNDED_WITHOUT_ATTACH, stack_roles, Condition=boundary),
            allow(
                "AttachProgramPolicies",
                ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
                stack_roles,
                Condition={**boundary, "ArnEquals": {**boundary["ArnEquals"], "iam:PolicyARN": managed}},
            ),
            allow("StackRoleUpkeep", ROLE_UPKEEP, stack_roles),
            allow(
                "PassStackRoles",
                ["iam:PassRole"],
                [*stack_roles, *([config_slr] if target.account_baseline else [])],
                Condition={"StringEquals": {"iam:PassedToService": list(perms.PASSED_TO_SERVICES)}},
            ),
            allow(
                "ServiceLinkedRoles",
                ["iam:CreateServiceLinkedRole"],
                self._iam_arn("role/aws-service-role/*"),
                Condition={"StringEquals": {"iam:AWSServiceName": list(perms.SERVICE_LINKED_ROLES)}},
            ),
            # CreateKey and ListAliases have no resource-level permissions
            allow("CreateKeys", ["kms:CreateKey", "kms:ListAliases", "kms:ListKeys"], "*", Condition=self._in_regions()),
            allow("AdministerKeys", KEY_ADMINISTRATION, [*keys, *(k.apply(lambda arn: arn.replace(":key/", ":alias/")) for k in keys)]),
            # RDS, ECR, App Runner, Backup and X-Ray encrypt with the data key through grants of the caller
            allow("GrantsForAwsServices", ["kms:CreateGrant"], keys, Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
            self._envelope_statement(target, keys),
            *self._backend_statements(write=True),
        ]
        if target.account_baseline:
            found += [
                # the account password policy: these actions have no resource-level permissions
                allow("AccountPasswordPolicy", PASSWORD_POLICY, "*"),
                allow(
                    "SecurityAlternateContact",
                    ALTERNATE_CONTACT,
                    pulumi.Output.concat(f"arn:{ctx.partition}:account::", ctx.account_id, ":account"),
                ),
                allow("ConfigServiceLinkedRole", CONFIG_SLR_WRITES, config_slr),
            ]
        found += self._deploy_denies(target, provider_arn)
        return found

    def _envelope_statement(self, target: DeployTarget, keys: list[pulumi.Output[str]]) -> Statement:
        """Data keys for the services that encrypt what a deploy creates, only through them, only the target stack's
        data key: this stack's by ARN; the dev stack's (not known here) by its alias."""
        via = {"kms:ViaService": [f"{s}.{r}.amazonaws.com" for s in ENVELOPE_VIA_SERVICES for r in sorted(set(self._args.regions))]}
        if target.stack == self._args.ctx.stack:
            return allow("EnvelopeKeysViaServices", ["kms:GenerateDataKey", "kms:Decrypt"], [self._args.data_key_arn],
                         Condition={"StringEquals": via})
        alias = f"alias/{self._args.ctx.project}-{target.stack}-data"
        return allow("EnvelopeKeysViaServices", ["kms:GenerateDataKey", "kms:Decrypt"], keys,
                     Condition={"StringEquals": via, "ForAnyValue:StringEquals": {"kms:ResourceAliases": [alias]}})

    def _deploy_denies(self, target: DeployTarget, provider_arn: pulumi.Output[str]) -> list[Statement]:
        ctx = self._args.ctx
        found: list[Statement] = [
            *self._data_read_denies(deploy=True),
            {"Sid": "NoManagedPolicyWrites", "Effect": "Deny", "Action": list(MANAGED_POLICY_WRITES), "Resource": "*"},
            # a role it created could trust it; it never assumes one
            {"Sid": "NoRoleAssumption", "Effect": "Deny", "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"],
             **({"NotResource": list(self._args.assumable_role_arns)} if self._args.assumable_role_arns else {"Resource": "*"})},
            {"Sid": "NoAuditTampering", "Effect": "Deny", "Action": [*AUDIT_TAMPERING, *KEY_DESTRUCTION], "Resource": "*"},
            {
                "Sid": "DenyChangingCiTrust",
                "Effect": "Deny",
                "Action": [*BOUNDED_ROLE_WRITES, *ROLE_UPKEEP, "iam:PutRolePermissionsBoundary", *OIDC_PROVIDER_WRITES],
                "Resource": [self._iam_arn(f"role/{self._name}-*"), provider_arn],
            },
        ]
        if self._args.audit_bucket_arns:
            arns = list(self._args.audit_bucket_arns)
            found.append(
                {
                    "Sid": "GuardAuditBuckets",
                    "Effect": "Deny",
                    "Action": list(AUDIT_BUCKET_PROTECTION),
                    "Resource": [*arns, *(pulumi.Output.concat(a, "/*") for a in arns)],
                }
            )
        if target.stack != ctx.stack:
            found += self._other_stack_fence(target)
        return found

    def _other_stack_fence(self, target: DeployTarget) -> list[Statement]:
        """The dev deploy role shares the account with the stack that holds the CI roles (prod): it may not touch
        anything tagged with that stack's environment (every service that evaluates aws:ResourceTag), nor that
        stack's buckets, which S3 recognises by name only. Separate accounts isolate fully (docs/ci.md)."""
        ctx = self._args.ctx
        buckets = f"arn:{ctx.partition}:s3:::{ctx.name_prefix}-*"
        return [
            {
                "Sid": "NeverTheCiStacksEnvironment",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/Environment": ctx.environment}},
            },
            {"Sid": "NeverTheCiStacksBuckets", "Effect": "Deny", "Action": ["s3:*"], "Resource": [buckets, f"{buckets}/*"]},
        ]
