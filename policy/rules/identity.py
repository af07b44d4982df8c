"""Identity and key rules: KMS keys, IAM roles, policies, users and the password policy, Secrets Manager secrets
(KMS.*, IAM.*, SecretsManager.*)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from ..framework import (
    Res,
    StackView,
    allows,
    as_list,
    condition_clauses,
    dig,
    grants,
    number,
    on_every_resource,
    principal_values,
    public_principal,
    restricting_condition,
    restricting_operator,
    statement_actions,
    statements,
    text,
    truthy,
)
from .shared import (
    ACCESS_KEY,
    GROUP_ATTACH,
    GROUP_POLICY,
    IAM_POLICY,
    KMS_KEY,
    LOGIN_PROFILE,
    PASSWORD_POLICY,
    POLICY_ATTACH,
    ROLE,
    ROLE_ATTACH,
    ROLE_POLICY,
    SECRET,
    SECRET_ROTATION,
    USER_ATTACH,
    USER_POLICY,
    Findings,
    resource_rule,
    stack_rule,
)


@resource_rule(
    "kms-key-rotation",
    types=(KMS_KEY,),
    controls=("KMS.4",),
    severity="medium",
    tsc=("CC6.1",),
    description="Symmetric customer-managed keys rotate automatically (provider default: off).",
    remediation="Set enable_key_rotation=True (rotation_period_in_days 90-2560).",
)
def _kms_rotation(res: Res) -> Iterator[str]:
    spec = text(res.get("customerMasterKeySpec")) or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and not truthy(res.get("enableKeyRotation")):
        yield "enable_key_rotation is not true"


@resource_rule(
    "kms-key-not-public",
    types=(KMS_KEY, "aws:kms/keyPolicy:KeyPolicy"),
    controls=("KMS.5",),
    severity="critical",
    tsc=("CC6.1",),
    description="Key policies grant nothing to a wildcard principal without a restricting condition, and keep the "
    "policy-lockout safety check.",
    remediation="Name the account root or service principals with aws:SourceAccount/aws:SourceArn conditions; leave "
    "bypass_policy_lockout_safety_check False.",
)
def _kms_public(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s) and public_principal(s) and not restricting_condition(s):
            yield f"statement {s.get('Sid', '?')} allows a wildcard principal"
    if truthy(res.get("bypassPolicyLockoutSafetyCheck")):
        yield "bypass_policy_lockout_safety_check is true"


INLINE_POLICY_TYPES = (ROLE_POLICY, USER_POLICY, GROUP_POLICY)
IDENTITY_POLICY_TYPES = (IAM_POLICY, ROLE, *INLINE_POLICY_TYPES)


def _identity_documents(res: Res) -> list[Any]:
    """The identity-policy documents a resource carries (not trust policies)."""
    if res.type == ROLE:
        return [dig(p, "policy") for p in as_list(res.get("inlinePolicies"))]
    return [res.get("policy")]


def _allow_statements(res: Res) -> Iterator[Mapping[str, Any]]:
    for doc in _identity_documents(res):
        for s in statements(doc):
            if allows(s):
                yield s


@resource_rule(
    "iam-no-kms-decrypt-on-all-keys",
    types=IDENTITY_POLICY_TYPES,
    controls=("KMS.1", "KMS.2"),
    severity="medium",
    tsc=("CC6.1", "CC6.3"),
    description="Identity policies do not allow kms:Decrypt or kms:ReEncryptFrom on all keys (Resource `*`, an ARN "
    "pattern matching every key, or NotResource; through Action patterns or NotAction).",
    remediation="List the key ARNs the principal needs in Resource.",
)
def _kms_decrypt(res: Res) -> Iterator[str]:
    for s in _allow_statements(res):
        if on_every_resource(s, "arn:aws:kms") and any(grants(s, a) for a in ("kms:decrypt", "kms:reencryptfrom")):
            yield f"statement {s.get('Sid', '?')} allows decryption with every KMS key"


# AWS managed policies that amount to full administration: `*:*`, or IAM write access (a principal with iam:* can
# attach AdministratorAccess to itself).
ADMIN_EQUIVALENT_POLICIES = ("AdministratorAccess", "IAMFullAccess")
ATTACHMENT_TYPES = (ROLE_ATTACH, POLICY_ATTACH, USER_ATTACH, GROUP_ATTACH)


def _attached_policy_arns(res: Res) -> list[str]:
    return [text(a) for a in as_list(res.get("policyArn")) + as_list(res.get("managedPolicyArns"))]


@resource_rule(
    "iam-no-admin-policy",
    types=(*IDENTITY_POLICY_TYPES, *ATTACHMENT_TYPES),
    controls=("IAM.1",),
    severity="high",
    tsc=("CC6.1", "CC6.3"),
    description="No identity gets full administrator rights: no policy document allows Action \"*\" (or a NotAction) "
    "on Resource \"*\", and no role, user or group is attached AdministratorAccess or IAMFullAccess.",
    remediation="Grant the specific actions on the specific resources the principal uses; detach the AWS managed "
    "admin-equivalent policy.",
)
def _iam_admin(res: Res) -> Iterator[str]:
    for s in _allow_statements(res):
        everything = "*" in statement_actions(s) or s.get("NotAction") is not None
        if everything and "*" in [text(r) for r in as_list(s.get("Resource"))]:
            yield f"statement {s.get('Sid', '?')} allows *:* (full administrator)"
    for arn in _attached_policy_arns(res):
        name = arn.rsplit("/", 1)[-1]
        if arn.startswith("arn:aws:iam::aws:policy/") and name in ADMIN_EQUIVALENT_POLICIES:
            yield f"attaches the AWS managed {name} (administrator-equivalent)"


@resource_rule(
    "iam-no-service-wildcard-actions",
    types=IDENTITY_POLICY_TYPES,
    controls=("IAM.21",),
    severity="low",
    tsc=("CC6.3",),
    description="Identity policies (managed and inline) allow no `*` or `service:*` actions and no NotAction.",
    remediation="List the actions; a wildcard suffix on a verb (`s3:Get*`) is tolerated, a whole service is not.",
)
def _iam_wildcards(res: Res) -> Iterator[str]:
    for s in _allow_statements(res):
        broad = [a for a in statement_actions(s) if a == "*" or a.endswith(":*")]
        if broad:
            yield f"statement {s.get('Sid', '?')} allows {broad}"
        if s.get("NotAction") is not None:
            yield f"statement {s.get('Sid', '?')} allows NotAction"


@resource_rule(
    "iam-no-user-policies",
    types=(USER_POLICY, USER_ATTACH, POLICY_ATTACH),
    controls=("IAM.2",),
    severity="low",
    tsc=("CC6.3",),
    description="No policy is attached to an IAM user; access goes through roles.",
    remediation="Attach the policy to a role (or group) instead.",
)
def _iam_users(res: Res) -> Iterator[str]:
    if res.type in (USER_POLICY, USER_ATTACH) or as_list(res.get("users")):
        yield "a policy is attached to an IAM user"


@resource_rule(
    "iam-no-long-lived-credentials",
    types=(ACCESS_KEY, LOGIN_PROFILE),
    controls=("IAM.3", "IAM.5"),
    severity="medium",
    tsc=("CC6.1", "CC6.2"),
    description="The program creates no IAM access keys or console passwords (CI uses OIDC roles, people use SSO).",
    remediation="Remove the AccessKey/UserLoginProfile; use a role assumed through OIDC or IAM Identity Center.",
)
def _iam_credentials(res: Res) -> Iterator[str]:
    yield f"{res.type.rsplit(':', 1)[-1]} creates long-lived IAM user credentials"


CLOUDSHELL = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"


@resource_rule(
    "iam-no-cloudshell-full-access",
    types=(ROLE, ROLE_ATTACH, POLICY_ATTACH, USER_ATTACH, GROUP_ATTACH),
    controls=("IAM.27",),
    severity="medium",
    tsc=("CC6.3",),
    description="No identity gets AWSCloudShellFullAccess.",
    remediation="Remove the attachment; grant the narrower CloudShell actions if needed.",
)
def _cloudshell(res: Res) -> Iterator[str]:
    arns = as_list(res.get("policyArn")) + as_list(res.get("managedPolicyArns"))
    if any(text(a).endswith(":policy/AWSCloudShellFullAccess") for a in arns):
        yield "attaches AWSCloudShellFullAccess"


GITHUB_SUB = "token.actions.githubusercontent.com:sub"
COGNITO_AUD = "cognito-identity.amazonaws.com:aud"
# repo:<owner>/<repository>:<context>: owner and repository literal (the context may use wildcards)
_GITHUB_REPO = re.compile(r"^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:.+$")
_IDENTITY_POOL = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d:[0-9a-f-]{36}$")


def _pinned_values(statement: Mapping[str, Any], key: str) -> list[Any]:
    """The values of every clause on `key` under an operator that must hold (no IfExists, no negation)."""
    return [v for op, values in condition_clauses(statement, key) if restricting_operator(op) for v in values]


def _federated_problem(statement: Mapping[str, Any]) -> Optional[str]:
    """Why a federated trust does not pin the identity, or None. GitHub OIDC: `sub` names one repository (any
    ref or environment of it); other OIDC providers: a `sub` without wildcards; a Cognito identity pool: `aud` is
    the pool id, which is how AWS documents identity-pool roles."""
    github = _pinned_values(statement, GITHUB_SUB)
    if github:
        loose = [v for v in github if not _GITHUB_REPO.match(text(v))]
        return f"GitHub subject {loose} does not name one repository" if loose else None
    cognito = _pinned_values(statement, COGNITO_AUD)
    if cognito:
        loose = [v for v in cognito if not _IDENTITY_POOL.match(text(v))]
        return f"Cognito audience {loose} is not an identity pool id" if loose else None
    keys = {str(k) for clauses in (statement.get("Condition") or {}).values() if isinstance(clauses, Mapping)
            for k in clauses if str(k).lower().endswith(":sub")}
    subjects = [v for key in keys for v in _pinned_values(statement, key)]
    if not subjects:
        return "no subject (or identity pool audience) condition"
    loose = [v for v in subjects if "*" in text(v) or "?" in text(v)]
    return f"subject {loose} has wildcards" if loose else None


@resource_rule(
    "iam-role-trust-scoped",
    types=(ROLE,),
    controls=(),
    severity="high",
    tsc=("CC6.1", "CC6.3"),
    references=("AWS confused-deputy guidance", "cdk-nag IAM5"),
    description="Role trust policies name no wildcard principal and no NotPrincipal, scope service principals with a "
    "fixed aws:SourceAccount/aws:SourceArn, and pin federated principals by value: a GitHub OIDC subject names one "
    "repository, another OIDC subject has no wildcard, a Cognito audience is the identity pool id.",
    remediation="Build trust policies with components.common.service_trust(...) or add the conditions by hand.",
)
def _trust(res: Res) -> Iterator[str]:
    for s in statements(res.get("assumeRolePolicy")):
        if not allows(s):
            continue
        sid = s.get("Sid", "?")
        kinds = {kind for kind, _ in principal_values(s)}
        if s.get("NotPrincipal") is not None:
            yield f"statement {sid} trusts every principal but those in NotPrincipal"
        elif public_principal(s):
            yield f"statement {sid} trusts a wildcard principal"
        elif "Service" in kinds and not restricting_condition(s):
            yield f"statement {sid} trusts a service principal without a fixed aws:SourceAccount/aws:SourceArn"
        elif "Federated" in kinds:
            problem = _federated_problem(s)
            if problem:
                yield f"statement {sid} trusts a federated principal: {problem}"


@resource_rule(
    "iam-password-policy-strong",
    types=(PASSWORD_POLICY,),
    controls=("IAM.7", "IAM.15", "IAM.16"),
    severity="medium",
    tsc=("CC6.1", "CC6.2"),
    description="The account password policy needs upper/lower case, numbers, symbols, 14+ characters and prevents "
    "reuse of the last 24 passwords (provider defaults are weaker).",
    remediation="Set all four require_* flags, minimum_password_length=14 and password_reuse_prevention=24.",
)
def _password(res: Res) -> Iterator[str]:
    for key in ("requireUppercaseCharacters", "requireLowercaseCharacters", "requireNumbers", "requireSymbols"):
        if not truthy(res.get(key)):
            yield f"{key} is not true"
    if number(res.get("minimumPasswordLength"), 6) < 14:
        yield f"minimum_password_length is {res.get('minimumPasswordLength') or 'the default 6'}"
    if number(res.get("passwordReusePrevention"), 0) < 24:
        yield f"password_reuse_prevention is {res.get('passwordReusePrevention') or 'unset'}"


@resource_rule(
    "secret-encrypted-with-cmk",
    types=(SECRET,),
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config secretsmanager-using-cmk", "CKV_AWS_149"),
    description="Secrets Manager secrets are encrypted with a customer-managed key (default: aws/secretsmanager).",
    remediation="Set kms_key_id=<data key ARN>.",
)
def _secret_cmk(res: Res) -> Iterator[str]:
    if not text(res.get("kmsKeyId")) or text(res.get("kmsKeyId")).endswith("alias/aws/secretsmanager"):
        yield "no customer-managed kms_key_id"


@stack_rule(
    "secret-rotation-enabled",
    types=(SECRET,),
    controls=("SecretsManager.1", "SecretsManager.4"),
    severity="medium",
    tsc=("CC6.1",),
    description="Every program-created secret has automatic rotation at most every 90 days (RDS-managed master "
    "secrets rotate through RDS and are not program resources).",
    remediation="Add aws.secretsmanager.SecretRotation(secret_id=secret.id, rotation_rules={automatically_after_days<=90}).",
)
def _secret_rotation(stack: StackView) -> Findings:
    for secret in stack.of(SECRET):
        rotations = stack.referrers(secret, (SECRET_ROTATION,), "secretId")
        if not rotations:
            yield secret, "no SecretRotation"
        for rotation in rotations:
            problem = rotation_problem(rotation.get("rotationRules"))
            if problem:
                yield secret, problem


MAX_ROTATION_DAYS = 90  # SecretsManager.4's default maximumAllowedRotationFrequency
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")


def rotation_problem(rules: Any) -> Optional[str]:
    """Why a rotation schedule may leave more than 90 days between rotations, or None. `automatically_after_days`
    at most 90; `rate(N days)` at most 90 (hours are fine); `cron(...)` only when it fires every month (month and
    year fields `*`), the longest gap a monthly-or-more-frequent cron can leave being 31 days."""
    days = dig(rules, "automaticallyAfterDays")
    schedule = text(dig(rules, "scheduleExpression")).strip()
    if schedule:
        rate, cron = _RATE.match(schedule), _CRON.match(schedule)
        if rate:
            every = int(rate.group(1)) / (24 if rate.group(2).startswith("hour") else 1)
            return None if 0 < every <= MAX_ROTATION_DAYS else f"schedule {schedule} rotates less often than every " \
                f"{MAX_ROTATION_DAYS} days"
        fields = cron.group(1).split() if cron else []
        if len(fields) == 6 and fields[3] in ("*", "*/1") and fields[5] in ("*", "?"):
            return None
        return f"schedule {schedule} does not provably rotate every {MAX_ROTATION_DAYS} days (use rate() or a " \
            "monthly cron)"
    every = number(days, 0)
    if not 0 < every <= MAX_ROTATION_DAYS:
        return f"rotation every {every:g} days (more than {MAX_ROTATION_DAYS} or unset)"
    return None
