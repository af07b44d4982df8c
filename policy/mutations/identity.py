"""Violating variants: IAM identity policies, attachments, trust policies, password policy, KMS key policies,
secrets."""

from __future__ import annotations

from typing import Any

from policy.rules.shared import (
    ACCESS_KEY,
    GROUP_ATTACH,
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
)

from .core import Mutant, variant

KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"


def _grant(m: Mutant, statement: dict[str, Any], suffix: str = "net-flow-logs-policy") -> str:
    """Append an Allow statement to a role's inline policy."""
    return m.policy(m.get(ROLE_POLICY, suffix), lambda s: s.append({"Sid": "Mutant", "Effect": "Allow", **statement}))


def _attach(m: Mutant, policy_arn: str, typ: str = ROLE_ATTACH, **extra: Any) -> str:
    role = m.get(ROLE, "net-flow-logs")
    key = {ROLE_ATTACH: {"role": role.outputs.get("name", role.id)}, GROUP_ATTACH: {"group": "admins"},
           USER_ATTACH: {"user": "alice"}, POLICY_ATTACH: {}}[typ]
    return m.add(typ, f"{m.prefix}mutant-attachment", {**key, "policyArn": policy_arn, **extra}, like=role).name


DECRYPT = "iam-no-kms-decrypt-on-all-keys"


@variant(DECRYPT, "kms:Decrypt on every key", "value", ("dev", "prod"))
def _decrypt_all(m: Mutant) -> str:
    return _grant(m, {"Action": "kms:Decrypt", "Resource": "*"})


@variant(DECRYPT, "NotResource: every key but one", "not-element")
def _decrypt_not_resource(m: Mutant) -> str:
    return _grant(m, {"Action": ["kms:Decrypt"], "NotResource": "arn:aws:kms:us-west-2:111122223333:key/one"})


@variant(DECRYPT, "kms:Re* wildcard reaches ReEncryptFrom", "wildcard")
def _decrypt_wildcard(m: Mutant) -> str:
    return _grant(m, {"Action": "kms:Re*", "Resource": ["arn:aws:kms:*:*:key/*"]})


@variant(DECRYPT, "NotAction leaves kms:Decrypt allowed", "not-element")
def _decrypt_not_action(m: Mutant) -> str:
    return _grant(m, {"NotAction": ["s3:*", "iam:*"], "Resource": "*"})


ADMIN = "iam-no-admin-policy"


@variant(ADMIN, "*:* statement", "value", ("dev", "prod"))
def _admin_star(m: Mutant) -> str:
    return _grant(m, {"Action": "*", "Resource": "*"})


@variant(ADMIN, "NotAction with Resource *", "not-element")
def _admin_not_action(m: Mutant) -> str:
    return _grant(m, {"NotAction": "iam:DeleteAccountPasswordPolicy", "Resource": ["*"]})


@variant(ADMIN, "AWS managed AdministratorAccess attached", "added", ("dev", "prod"))
def _admin_attachment(m: Mutant) -> str:
    return _attach(m, "arn:aws:iam::aws:policy/AdministratorAccess")


@variant(ADMIN, "IAMFullAccess attached to a group (self-escalation to admin)", "added")
def _admin_iam_full(m: Mutant) -> str:
    return _attach(m, "arn:aws:iam::aws:policy/IAMFullAccess", GROUP_ATTACH)


@variant(ADMIN, "AdministratorAccess through a role's managed_policy_arns", "sibling")
def _admin_managed_arns(m: Mutant) -> str:
    return m.set(m.get(ROLE, "net-flow-logs"), "managedPolicyArns", ["arn:aws:iam::aws:policy/AdministratorAccess"])


WILDCARDS = "iam-no-service-wildcard-actions"


@variant(WILDCARDS, "s3:* on a bucket", "wildcard", ("dev", "prod"))
def _service_star(m: Mutant) -> str:
    return _grant(m, {"Action": ["s3:GetObject", "S3:*"], "Resource": "arn:aws:s3:::b/*"})


@variant(WILDCARDS, "Action *", "wildcard")
def _action_star(m: Mutant) -> str:
    return _grant(m, {"Action": "*", "Resource": "arn:aws:s3:::b"})


@variant(WILDCARDS, "NotAction", "not-element")
def _not_action(m: Mutant) -> str:
    return _grant(m, {"NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::b"})


@variant(WILDCARDS, "a managed policy with ec2:*", "added")
def _managed_policy(m: Mutant) -> str:
    return m.add(IAM_POLICY, f"{m.prefix}mutant-policy", {"policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}}).name


USERS = "iam-no-user-policies"


@variant(USERS, "inline user policy", "added")
def _user_policy(m: Mutant) -> str:
    return m.add(USER_POLICY, f"{m.prefix}mutant-user-policy", {"user": "alice", "policy": "{}"}).name


@variant(USERS, "managed policy attached to a user", "added")
def _user_attach(m: Mutant) -> str:
    return _attach(m, "arn:aws:iam::aws:policy/ReadOnlyAccess", USER_ATTACH)


@variant(USERS, "exclusive policy attachment naming a user", "sibling")
def _policy_attach_users(m: Mutant) -> str:
    return _attach(m, "arn:aws:iam::aws:policy/ReadOnlyAccess", POLICY_ATTACH, users=["alice"], roles=["r"])


@variant("iam-no-long-lived-credentials", "access key", "added", ("dev", "prod"))
def _access_key(m: Mutant) -> str:
    return m.add(ACCESS_KEY, f"{m.prefix}mutant-key", {"user": "ci"}).name


@variant("iam-no-long-lived-credentials", "console password", "added")
def _login_profile(m: Mutant) -> str:
    return m.add(LOGIN_PROFILE, f"{m.prefix}mutant-login", {"user": "alice"}).name


@variant("iam-no-cloudshell-full-access", "role attachment", "added", ("dev", "prod"))
def _cloudshell(m: Mutant) -> str:
    return _attach(m, "arn:aws:iam::aws:policy/AWSCloudShellFullAccess")


@variant("iam-no-cloudshell-full-access", "group attachment", "added")
def _cloudshell_group(m: Mutant) -> str:
    return _attach(m, "arn:aws:iam::aws:policy/AWSCloudShellFullAccess", GROUP_ATTACH)


@variant("iam-no-cloudshell-full-access", "through a role's managed_policy_arns", "sibling")
def _cloudshell_managed_arns(m: Mutant) -> str:
    return m.set(m.get(ROLE, "net-flow-logs"), "managedPolicyArns",
                 ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"])


TRUST = "iam-role-trust-scoped"


def _trust(m: Mutant, suffix: str, change: Any) -> str:
    return m.policy(m.get(ROLE, suffix), change, key="assumeRolePolicy")


def _condition(key: str, value: Any, operator: str = "StringEquals") -> Any:
    def change(statements: list[dict[str, Any]]) -> None:
        for s in statements:
            for op in list(s.get("Condition", {})):
                s["Condition"][op].pop(key, None)
                if not s["Condition"][op]:
                    del s["Condition"][op]
            s.setdefault("Condition", {}).setdefault(operator, {})[key] = value

    return change


@variant(TRUST, "GitHub subject repo:* (any repository on GitHub)", "wildcard")
def _github_any_repo(m: Mutant) -> str:
    return _trust(m, "ci-deploy", _condition("token.actions.githubusercontent.com:sub", "repo:*", "StringLike"))


@variant(TRUST, "GitHub subject repo:<org>/* (any repository of the owner)", "wildcard")
def _github_any_org_repo(m: Mutant) -> str:
    return _trust(m, "ci-preview", _condition("token.actions.githubusercontent.com:sub",
                                              ["repo:vitality-example/vitality-platform:pull_request",
                                               "repo:vitality-example/*"], "StringLike"))


@variant(TRUST, "GitHub trust pinned by audience only", "removed")
def _github_no_sub(m: Mutant) -> str:
    def change(statements: list[dict[str, Any]]) -> None:
        for s in statements:
            for clauses in s.get("Condition", {}).values():
                clauses.pop("token.actions.githubusercontent.com:sub", None)

    return _trust(m, "ci-deploy", change)


@variant(TRUST, "Cognito audience *", "wildcard", ("dev", "prod"))
def _cognito_any_pool(m: Mutant) -> str:
    return _trust(m, "obs-rum-guest", _condition("cognito-identity.amazonaws.com:aud", "*", "StringLike"))


@variant(TRUST, "service principal with aws:SourceAccount *", "wildcard", ("dev", "prod"))
def _service_any_account(m: Mutant) -> str:
    return _trust(m, "db-monitoring", _condition("aws:SourceAccount", "*", "StringLike"))


@variant(TRUST, "service principal scoped only if the key exists", "partial")
def _service_if_exists(m: Mutant) -> str:
    return _trust(m, "db-monitoring", _condition("aws:SourceAccount", "111122223333", "StringEqualsIfExists"))


@variant(TRUST, "service principal without a condition", "removed", ("dev", "prod"))
def _service_unscoped(m: Mutant) -> str:
    return _trust(m, "net-flow-logs", lambda statements: [s.pop("Condition", None) for s in statements])


@variant(TRUST, "NotPrincipal Allow (everyone but one)", "not-element")
def _not_principal(m: Mutant) -> str:
    def change(statements: list[dict[str, Any]]) -> None:
        statements.append({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
                           "Action": "sts:AssumeRole"})

    return _trust(m, "security-support", change)


@variant(TRUST, "any AWS principal", "wildcard")
def _any_aws(m: Mutant) -> str:
    def change(statements: list[dict[str, Any]]) -> None:
        statements[0]["Principal"] = {"AWS": ["*"]}

    return _trust(m, "security-support", change)


PASSWORD = "iam-password-policy-strong"


@variant(PASSWORD, "eight characters", "value")
def _password_short(m: Mutant) -> str:
    return m.set(m.get(PASSWORD_POLICY), "minimumPasswordLength", 8)


@variant(PASSWORD, "reuse of the last 5 allowed", "value")
def _password_reuse(m: Mutant) -> str:
    return m.set(m.get(PASSWORD_POLICY), "passwordReusePrevention", 5)


@variant(PASSWORD, "no symbols required", "removed")
def _password_symbols(m: Mutant) -> str:
    return m.drop(m.get(PASSWORD_POLICY), "requireSymbols")


@variant("kms-key-rotation", "rotation off", "value", ("dev", "prod"))
def _rotation_off(m: Mutant) -> str:
    return m.set(m.get(KMS_KEY, "kms-data"), "enableKeyRotation", False)


@variant("kms-key-rotation", "rotation unset (provider default off)", "removed")
def _rotation_unset(m: Mutant) -> str:
    return m.drop(m.get(KMS_KEY, "kms-messaging"), "enableKeyRotation")


KEY_PUBLIC = "kms-key-not-public"


def _key_statement(m: Mutant, statement: dict[str, Any], suffix: str = "kms-data") -> str:
    return m.policy(m.get(KMS_KEY, suffix), lambda s: s.append({"Sid": "Mutant", "Effect": "Allow", **statement}))


@variant(KEY_PUBLIC, "Decrypt for any principal", "value", ("dev", "prod"))
def _key_public(m: Mutant) -> str:
    return _key_statement(m, {"Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"})


@variant(KEY_PUBLIC, "any principal with kms:CallerAccount *", "wildcard")
def _key_any_account(m: Mutant) -> str:
    return _key_statement(m, {"Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                              "Condition": {"StringLike": {"kms:CallerAccount": "*"}}})


@variant(KEY_PUBLIC, "any principal unless a key is present (IfExists)", "partial")
def _key_if_exists(m: Mutant) -> str:
    return _key_statement(m, {"Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                              "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}})


@variant(KEY_PUBLIC, "NotPrincipal Allow", "not-element")
def _key_not_principal(m: Mutant) -> str:
    return _key_statement(m, {"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:Decrypt",
                              "Resource": "*"})


@variant(KEY_PUBLIC, "public grant moved to the separate key policy resource", "sibling", ("dev", "prod"))
def _key_policy_resource(m: Mutant) -> str:
    return m.policy(m.get(KEY_POLICY), lambda s: s.append({"Effect": "Allow", "Principal": "*", "Action": "kms:*",
                                                           "Resource": "*"}))


@variant(KEY_PUBLIC, "policy lockout safety check bypassed", "value")
def _key_bypass(m: Mutant) -> str:
    return m.set(m.get(KMS_KEY, "kms-data"), "bypassPolicyLockoutSafetyCheck", True)


def _secret(m: Mutant, **props: Any) -> Any:
    return m.add(SECRET, f"{m.prefix}mutant-secret", {"name": f"{m.prefix}mutant", **props},
                 id=f"arn:aws:secretsmanager:us-west-2:111122223333:secret:{m.prefix}mutant")


@variant("secret-encrypted-with-cmk", "secret under aws/secretsmanager", "added", ("dev", "prod"))
def _secret_default_key(m: Mutant) -> str:
    return _secret(m).name


@variant("secret-encrypted-with-cmk", "secret naming the AWS managed alias", "value")
def _secret_alias(m: Mutant) -> str:
    return _secret(m, kmsKeyId="alias/aws/secretsmanager").name


ROTATION = "secret-rotation-enabled"


def _rotated(m: Mutant, rules: dict[str, Any]) -> str:
    secret = _secret(m, kmsKeyId="arn:aws:kms:us-west-2:111122223333:key/k")
    m.add(SECRET_ROTATION, f"{m.prefix}mutant-rotation", {"secretId": secret.id, "rotationRules": rules})
    return secret.name


@variant(ROTATION, "secret without rotation", "added", ("dev", "prod"))
def _no_rotation(m: Mutant) -> str:
    return _secret(m, kmsKeyId="arn:aws:kms:us-west-2:111122223333:key/k").name


@variant(ROTATION, "rotation every 180 days", "value")
def _rotation_days(m: Mutant) -> str:
    return _rotated(m, {"automaticallyAfterDays": 180})


@variant(ROTATION, "yearly rate() schedule", "value")
def _rotation_rate(m: Mutant) -> str:
    return _rotated(m, {"scheduleExpression": "rate(365 days)"})


@variant(ROTATION, "yearly cron() schedule", "value")
def _rotation_cron(m: Mutant) -> str:
    return _rotated(m, {"scheduleExpression": "cron(0 4 1 1 ? *)"})
