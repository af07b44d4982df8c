"""Ci: GitHub OIDC provider and the preview/deploy roles, only where ci.githubRepository is set."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import ci_permissions as perms
from components.ci import Ci, CiArgs
from components.settings import CiSettings
from offline import Capture
from tests.conftest import capture_for, config_error, policy, statements

OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INLINE = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
REPO = "vitality-example/vitality-platform"  # Pulumi.prod.yaml


def role(capture: Capture, suffix: str) -> Any:
    return capture.named(f"vitality-{capture.stack}-ci-{suffix}")


def trust(capture: Capture, suffix: str) -> dict[str, Any]:
    (statement,) = statements(policy(role(capture, suffix), "assumeRolePolicy"))
    return statement


def attached(capture: Capture, suffix: str) -> list[str]:
    return sorted(a.inputs["policyArn"] for a in capture.children(role(capture, suffix).urn) if a.type == ATTACHMENT)


def inline(capture: Capture, suffix: str) -> list[dict[str, Any]]:
    found = [r for r in capture.children(role(capture, suffix).urn) if r.type == INLINE]
    return statements(policy(found[0])) if found else []


def test_created_only_where_configured(dev: Capture, prod: Capture) -> None:
    assert dev.of_type(OIDC) == [] and dev.of_type("vitality:platform:Ci") == []
    assert "ciPreviewRoleArn" not in dev.outputs and "ciDeployRoleArn" not in dev.outputs
    assert len(prod.of_type(OIDC)) == 1
    provider = prod.one(OIDC)
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider.inputs  # IAM trusts GitHub's CA itself
    assert provider.tags["Component"] == "ci"


def test_outputs_are_the_role_arns(prod: Capture) -> None:
    assert prod.outputs["ciPreviewRoleArn"] == role(prod, "preview").outputs["arn"]
    assert prod.outputs["ciDeployRoleArn"] == role(prod, "deploy").outputs["arn"]
    assert prod.outputs["ciDevDeployRoleArn"] == role(prod, "deploy-dev").outputs["arn"]


def test_preview_role_trusts_only_pull_requests_and_the_drift_check_of_the_repository(prod: Capture) -> None:
    assert trust(prod, "preview") == {
        "Sid": "GitHubActions",
        "Effect": "Allow",
        "Principal": {"Federated": prod.one(OIDC).outputs["arn"]},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": [f"repo:{REPO}:pull_request", f"repo:{REPO}:environment:drift"],
            }
        },
    }


@pytest.mark.parametrize(("suffix", "environment"), [("deploy", "prod"), ("deploy-dev", "dev")])
def test_deploy_roles_trust_only_their_protected_environment(prod: Capture, suffix: str, environment: str) -> None:
    """No branch subject: a job on main that skipped the prod environment would skip its required reviewers."""
    statement = trust(prod, suffix)
    assert statement["Principal"] == {"Federated": prod.one(OIDC).outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:{REPO}:environment:{environment}",
        }
    }
    assert ":ref:" not in json.dumps(statement)


def test_environments_come_from_config() -> None:
    capture = capture_for(
        "dev",
        overrides={
            "vitality:ci.githubRepository": "acme/platform",
            "vitality:ci.prodEnvironment": "production",
            "vitality:ci.devEnvironment": "staging",
            "vitality:ci.devStack": "staging",
        },
    )
    sub = "token.actions.githubusercontent.com:sub"
    assert trust(capture, "preview")["Condition"]["StringEquals"][sub] == [
        "repo:acme/platform:pull_request", "repo:acme/platform:environment:drift"
    ]
    assert trust(capture, "deploy")["Condition"]["StringEquals"][sub] == "repo:acme/platform:environment:production"
    assert trust(capture, "deploy-dev")["Condition"]["StringEquals"][sub] == "repo:acme/platform:environment:staging"
    by_sid = {s["Sid"]: s for s in inline(capture, "deploy-dev")}
    assert by_sid["StackRolesWithBoundary"]["Resource"] == ["arn:aws:iam::111122223333:role/vitality-staging-*"]


def test_no_dev_deploy_role_without_a_dev_environment() -> None:
    capture = capture_for("prod", overrides={"vitality:ci.devEnvironment": ""})
    assert sorted(r.name for r in capture.of_type(ROLE) if r.name.startswith("vitality-prod-ci-")) == [
        "vitality-prod-ci-deploy", "vitality-prod-ci-preview"]
    assert "ciDevDeployRoleArn" not in capture.outputs


def test_no_aws_managed_read_or_power_policies(prod: Capture) -> None:
    assert attached(prod, "preview") == []
    services = sorted(p.outputs["arn"] for p in prod.of_type(POLICY) if "-ci-deploy-services-" in p.name)
    assert len(services) >= 1
    for suffix in ("deploy", "deploy-dev"):
        assert attached(prod, suffix) == services  # the program's own service grants, nothing of AWS's
    assert role(prod, "deploy").inputs["maxSessionDuration"] == 7200
    assert role(prod, "preview").inputs["maxSessionDuration"] == 3600


def test_service_grants_are_verbs_never_whole_services(prod: Capture) -> None:
    grants = [s for p in prod.of_type(POLICY) if "-ci-deploy-services-" in p.name for s in statements(policy(p))]
    actions = [a for s in grants for a in s["Action"]]
    assert set(actions) == set(perms.deploy_actions())
    assert not any(a == "*" or a.endswith(":*") for a in actions)
    assert all(s["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}} for s in grants)
    # a managed policy holds at most 6,144 characters
    assert all(len(json.dumps(policy(p), separators=(",", ":"))) <= 6144 for p in prod.of_type(POLICY) if "-ci-" in p.name)


VIA_SERVICES = [f"{s}.{r}.amazonaws.com" for s in ("secretsmanager", "backup") for r in ("us-east-1", "us-west-2")]
DATA_READS = {"s3:GetObject*", "secretsmanager:GetSecretValue", "ssm:GetParameter*", "logs:GetLogEvents",
              "logs:FilterLogEvents", "logs:StartQuery", "rds:DownloadDBLogFilePortion", "ecr:GetDownloadUrlForLayer",
              "ecr:BatchGetImage", "xray:BatchGetTraces"}


@pytest.mark.parametrize("suffix", ["preview", "deploy", "deploy-dev"])
def test_ci_roles_deny_data_reads_and_decryption(prod: Capture, suffix: str) -> None:
    by_sid = {s["Sid"]: s for s in inline(prod, suffix)}
    denied = set(by_sid["NoDataReads"]["Action"]) | set(by_sid["NoObjectReads"]["Action"])
    assert denied >= DATA_READS
    assert by_sid["NoDataReads"]["Effect"] == by_sid["NoObjectReads"]["Effect"] == "Deny"
    assert by_sid["NoDataReads"]["Resource"] == by_sid["NoObjectReads"]["Resource"] == "*"
    decrypt = by_sid["NoDecryption"]
    assert decrypt["Effect"] == "Deny" and decrypt["Resource"] == "*"
    assert decrypt["Action"] == ["kms:Decrypt", "kms:ReEncryptFrom"]
    if suffix == "preview":
        assert "Condition" not in decrypt  # no decryption at all
    else:
        # only inside the services that encrypt what a deploy creates (the master secret, backup vaults, parameters)
        assert decrypt["Condition"] == {"StringNotEquals": {"kms:ViaService": VIA_SERVICES}}



def test_preview_role_reads_configuration_only(prod: Capture) -> None:
    by_sid = {s["Sid"]: s for s in inline(prod, "preview")}
    allowed = [a for s in by_sid.values() if s["Effect"] == "Allow" for a in s["Action"]]
    verbs = {a.split(":", 1)[1] for a in allowed}
    assert all(v.startswith(("Describe", "Get", "List", "BatchGet", "View")) for v in verbs), verbs
    assert set(by_sid["ReadConfiguration"]["Action"]) == set(perms.read_actions())
    # refresh reads every service the deploy role manages
    assert {a.split(":")[0] for a in perms.read_actions()} == {a.split(":")[0] for a in perms.deploy_actions()} - {"backup-storage"}


def test_preview_role_gets_diy_backend_and_secrets_key_access_when_configured() -> None:
    key = "arn:aws:kms:us-west-2:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    capture = capture_for(
        "prod", overrides={"vitality:ci.stateBucket": "acme-pulumi-state", "vitality:ci.secretsProviderKeyArn": key}
    )
    by_sid = {s["Sid"]: s for s in inline(capture, "preview")}
    assert by_sid["ListState"]["Resource"] == "arn:aws:s3:::acme-pulumi-state"
    assert by_sid["ReadState"] == {
        "Sid": "ReadState", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::acme-pulumi-state/.pulumi/*"
    }
    assert by_sid["TakeStackLock"]["Action"] == ["s3:PutObject", "s3:DeleteObject"]
    assert by_sid["TakeStackLock"]["Resource"] == "arn:aws:s3:::acme-pulumi-state/.pulumi/locks/*"
    assert by_sid["ConfigSecrets"]["Action"] == ["kms:Decrypt"]
    assert by_sid["ConfigSecrets"]["Resource"] == key
    # the denies leave exactly the state objects and the secrets key
    assert by_sid["NoObjectReads"]["NotResource"] == ["arn:aws:s3:::acme-pulumi-state/.pulumi/*"]
    assert by_sid["NoDecryption"]["NotResource"] == [key]
    deploy = {s["Sid"]: s for s in inline(capture, "deploy")}
    assert deploy["WriteState"]["Resource"] == "arn:aws:s3:::acme-pulumi-state/.pulumi/*"
    assert deploy["ConfigSecrets"]["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


def test_deploy_role_iam_writes_need_the_stacks_boundary(prod: Capture) -> None:
    by_sid = {s["Sid"]: s for s in inline(prod, "deploy")}
    boundary = "arn:aws:iam::111122223333:policy/vitality-prod-permissions-boundary"
    roles = ["arn:aws:iam::111122223333:role/vitality-prod-*"]
    bounded = by_sid["StackRolesWithBoundary"]
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"} <= set(bounded["Action"])
    assert bounded["Resource"] == roles
    assert bounded["Condition"] == {"ArnEquals": {"iam:PermissionsBoundary": boundary}}
    attach = by_sid["AttachProgramPolicies"]
    assert attach["Action"] == ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    assert attach["Condition"]["ArnEquals"]["iam:PermissionsBoundary"] == boundary
    assert "arn:aws:iam::aws:policy/AdministratorAccess" not in attach["Condition"]["ArnEquals"]["iam:PolicyARN"]
    passing = by_sid["PassStackRoles"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": list(perms.PASSED_TO_SERVICES)}}
    # it never rewrites a managed policy, assumes a role, or stops the audit trail and the security services
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:CreatePolicy"} <= set(by_sid["NoManagedPolicyWrites"]["Action"])
    assert by_sid["NoRoleAssumption"]["Action"] == ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]
    assert {"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "config:StopConfigurationRecorder", "guardduty:DeleteDetector",
            "securityhub:DisableSecurityHub", "kms:ScheduleKeyDeletion"} <= set(by_sid["NoAuditTampering"]["Action"])
    audit = by_sid["GuardAuditBuckets"]
    assert {"s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration"} <= set(audit["Action"])
    bucket = f"arn:aws:s3:::{prod.outputs['auditBucketName']}"
    assert bucket in audit["Resource"] and f"{bucket}/*" in audit["Resource"]
    # Resource "*" only for actions without resource-level permissions (and the region-scoped key creation)
    wildcard = sorted(s["Sid"] for s in by_sid.values() if s["Effect"] == "Allow" and s["Resource"] == "*")
    assert wildcard == ["AccountPasswordPolicy", "CreateKeys", "ReadIam"]


def test_deploy_role_key_permissions_never_decrypt_directly(prod: Capture) -> None:
    by_sid = {s["Sid"]: s for s in inline(prod, "deploy")}
    keys = ["arn:aws:kms:us-east-1:111122223333:key/*", "arn:aws:kms:us-west-2:111122223333:key/*"]
    grants = by_sid["GrantsForAwsServices"]
    assert grants["Action"] == ["kms:CreateGrant"] and grants["Resource"] == keys
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    envelope = by_sid["EnvelopeKeysViaServices"]
    assert envelope["Condition"]["StringEquals"]["kms:ViaService"] == VIA_SERVICES
    allowed = {a for s in by_sid.values() if s["Effect"] == "Allow" for a in s["Action"]}
    assert not {"kms:Encrypt", "kms:ReEncryptFrom", "kms:ScheduleKeyDeletion", "kms:DisableKey"} & allowed
    assert envelope["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]


def test_deploy_roles_cannot_change_the_ci_trust(prod: Capture) -> None:
    for suffix in ("deploy", "deploy-dev"):
        deny = {s["Sid"]: s for s in inline(prod, suffix)}["DenyChangingCiTrust"]
        assert deny["Effect"] == "Deny"
        assert {"iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole",
                "iam:AddClientIDToOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"} <= set(deny["Action"])
        assert deny["Resource"] == ["arn:aws:iam::111122223333:role/vitality-prod-ci-*", prod.one(OIDC).outputs["arn"]]
    for suffix in ("preview", "deploy", "deploy-dev"):
        assert role(prod, suffix).outputs["name"].startswith("vitality-prod-ci-")


def test_dev_deploy_role_is_fenced_off_prod(prod: Capture) -> None:
    by_sid = {s["Sid"]: s for s in inline(prod, "deploy-dev")}
    assert by_sid["StackRolesWithBoundary"]["Resource"] == ["arn:aws:iam::111122223333:role/vitality-dev-*"]
    assert by_sid["StackRolesWithBoundary"]["Condition"] == {
        "ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/vitality-dev-permissions-boundary"}
    }
    assert by_sid["NeverTheCiStacksEnvironment"] == {
        "Sid": "NeverTheCiStacksEnvironment", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "prod"}},
    }
    assert by_sid["NeverTheCiStacksBuckets"]["Resource"] == ["arn:aws:s3:::vitality-prod-*", "arn:aws:s3:::vitality-prod-*/*"]
    # the account settings belong to the baseline stack's role only
    assert not {"AccountPasswordPolicy", "SecurityAlternateContact", "ConfigServiceLinkedRole"} & set(by_sid)
    assert all(bucket.outputs["bucket"].startswith("vitality-prod-") for bucket in prod.of_type("aws:s3/bucket:Bucket"))


def test_deploy_role_can_apply_the_security_baseline(prod: Capture) -> None:
    """The baseline sets the security alternate contact and tags the AWS Config service-linked role."""
    by_sid = {s["Sid"]: s for s in inline(prod, "deploy")}
    contact = by_sid["SecurityAlternateContact"]
    assert contact["Effect"] == "Allow"
    assert contact["Action"] == ["account:GetAlternateContact", "account:PutAlternateContact", "account:DeleteAlternateContact"]
    assert contact["Resource"] == "arn:aws:account::111122223333:account"
    slr = by_sid["ConfigServiceLinkedRole"]
    assert slr["Action"] == ["iam:TagRole", "iam:UntagRole", "iam:UpdateRoleDescription"]
    assert slr["Resource"] == "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/*"
    recorder_role = prod.named("vitality-prod-security-recorder", "aws:cfg/recorder:Recorder").inputs["roleArn"]
    assert recorder_role.startswith(slr["Resource"][:-1])
    assert "config.amazonaws.com" in by_sid["ServiceLinkedRoles"]["Condition"]["StringEquals"]["iam:AWSServiceName"]


def test_inline_policies_fit_the_role_quota(prod: Capture) -> None:
    """IAM counts at most 10,240 characters of inline policy per role (whitespace excluded)."""
    for suffix in ("preview", "deploy", "deploy-dev"):
        assert len(json.dumps({"Statement": inline(prod, suffix)}, separators=(",", ":"))) < 10240


def test_runs_with_unknown_outputs() -> None:
    capture = capture_for("prod", preview=True)
    assert len(capture.of_type(OIDC)) == 1
    assert len([r for r in capture.of_type(ROLE) if r.name.startswith("vitality-prod-ci-")]) == 3


def test_component_refuses_missing_repository() -> None:
    with pytest.raises(ValueError, match="githubRepository"):
        Ci("x", CiArgs(ctx=None, settings=CiSettings(None, "prod", "dev", "dev", None, None), regions=(), data_key_arn=""))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("githubRepository", "vitality-platform"),
        ("githubRepository", "acme/"),
        ("githubRepository", "-acme/platform"),
        ("githubRepository", "acme/platform/extra"),
        ("githubRepository", "acme/.."),
        ("devEnvironment", "dev env"),
        ("devStack", "Dev Stack"),
        ("devStack", ""),
        ("prodEnvironment", "prod env"),
        ("prodEnvironment", ""),
        ("stateBucket", "Acme_State"),
        ("stateBucket", "192.168.10.12"),
        ("secretsProviderKeyArn", "alias/pulumi-secrets"),
        ("secretsProviderKeyArn", "arn:aws:kms:us-west-2:1111:key/abc"),
    ],
)
def test_bad_values_are_rejected(key: str, value: str) -> None:
    error = config_error("prod", {f"vitality:ci.{key}": value})
    assert error.keys == [f"vitality:ci.{key}"]
    assert f"pulumi config set --path ci.{key}" in str(error)


def test_wrong_types_and_unknown_keys_are_rejected() -> None:
    error = config_error("prod", {"vitality:ci.githubRepo": "acme/platform", "vitality:ci.devEnvironment": 3})
    assert sorted(error.keys) == ["vitality:ci.devEnvironment", "vitality:ci.githubRepo"]
    assert "did you mean 'githubRepository'" in str(error)
