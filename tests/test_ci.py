"""Ci: GitHub OIDC provider and the preview/deploy roles, only where ci.githubRepository is set."""

from __future__ import annotations

from typing import Any

import pytest

from components.ci import Ci, CiArgs
from components.settings import CiSettings
from offline import Capture
from tests.conftest import capture_for, config_error, policy, statements

OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INLINE = "aws:iam/rolePolicy:RolePolicy"
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


def test_deploy_role_trusts_only_the_main_branch_and_the_prod_environment(prod: Capture) -> None:
    statement = trust(prod, "deploy")
    assert statement["Principal"] == {"Federated": prod.one(OIDC).outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": [
                f"repo:{REPO}:ref:refs/heads/main",
                f"repo:{REPO}:environment:prod",
            ],
        }
    }


def test_branch_and_environment_come_from_config() -> None:
    capture = capture_for(
        "dev",
        overrides={
            "vitality:ci.githubRepository": "acme/platform",
            "vitality:ci.deployBranch": "release/v2",
            "vitality:ci.prodEnvironment": "production",
        },
    )
    assert trust(capture, "preview")["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/platform:pull_request", "repo:acme/platform:environment:drift"
    ]
    assert trust(capture, "deploy")["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/platform:ref:refs/heads/release/v2",
        "repo:acme/platform:environment:production",
    ]


def test_preview_role_is_read_only(prod: Capture) -> None:
    assert attached(prod, "preview") == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert inline(prod, "preview") == []  # Pulumi Cloud backend: nothing beyond read-only
    assert role(prod, "preview").inputs["maxSessionDuration"] == 3600


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
    assert by_sid["DecryptConfigSecrets"]["Action"] == ["kms:Decrypt"]
    assert by_sid["DecryptConfigSecrets"]["Resource"] == key
    assert all(s["Effect"] == "Allow" for s in by_sid.values())


def test_deploy_role_is_scoped_and_cannot_change_the_ci_trust(prod: Capture) -> None:
    assert attached(prod, "deploy") == [
        "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
    ]
    assert role(prod, "deploy").inputs["maxSessionDuration"] == 7200
    by_sid = {s["Sid"]: s for s in inline(prod, "deploy")}
    for statement in by_sid.values():
        actions = statement["Action"]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions), statement
    assert by_sid["ProjectRoles"]["Resource"] == [
        "arn:aws:iam::111122223333:role/vitality-*",
        "arn:aws:iam::111122223333:role/*/vitality-*",
    ]
    assert by_sid["PassProjectRoles"]["Action"] == ["iam:PassRole"]
    assert by_sid["ProjectPolicies"]["Resource"] == "arn:aws:iam::111122223333:policy/vitality-*"
    wildcard = [s["Sid"] for s in by_sid.values() if s["Resource"] == "*"]
    assert wildcard == ["AccountPasswordPolicy"]
    deny = by_sid["DenyChangingCiTrust"]
    assert deny["Effect"] == "Deny"
    assert {"iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole",
            "iam:AddClientIDToOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"} <= set(deny["Action"])
    assert deny["Resource"] == ["arn:aws:iam::111122223333:role/vitality-prod-ci-*", prod.one(OIDC).outputs["arn"]]
    # the deny covers both CI roles' physical names
    for suffix in ("preview", "deploy"):
        assert role(prod, suffix).outputs["name"].startswith("vitality-prod-ci-")


def test_deploy_role_can_apply_the_security_baseline(prod: Capture) -> None:
    """PowerUserAccess excludes account:* and most of iam:*; the baseline sets the security alternate contact and
    creates the tagged AWS Config service-linked role."""
    by_sid = {s["Sid"]: s for s in inline(prod, "deploy")}
    contact = by_sid["SecurityAlternateContact"]
    assert contact["Effect"] == "Allow"
    assert contact["Action"] == ["account:GetAlternateContact", "account:PutAlternateContact", "account:DeleteAlternateContact"]
    assert contact["Resource"] == "arn:aws:account::111122223333:account"
    slr = by_sid["ConfigServiceLinkedRole"]
    assert slr["Effect"] == "Allow"
    assert slr["Action"] == ["iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRoleDescription"]
    assert slr["Resource"] == "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/*"
    recorder_role = prod.one("aws:cfg/recorder:Recorder").inputs["roleArn"]
    assert recorder_role.startswith(slr["Resource"][:-1])
    # the SLR grant does not reach the CI roles, which the deny fences off
    assert not prod.outputs["ciDeployRoleArn"].startswith(slr["Resource"][:-1])


def test_runs_with_unknown_outputs() -> None:
    capture = capture_for("prod", preview=True)
    assert len(capture.of_type(OIDC)) == 1
    assert len([r for r in capture.of_type(ROLE) if r.name.startswith("vitality-prod-ci-")]) == 2


def test_component_refuses_missing_repository() -> None:
    with pytest.raises(ValueError, match="githubRepository"):
        Ci("x", CiArgs(ctx=None, settings=CiSettings(None, "main", "prod", None, None)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("githubRepository", "vitality-platform"),
        ("githubRepository", "acme/"),
        ("githubRepository", "-acme/platform"),
        ("githubRepository", "acme/platform/extra"),
        ("githubRepository", "acme/.."),
        ("deployBranch", "release/*"),
        ("deployBranch", "a..b"),
        ("deployBranch", ""),
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
    error = config_error("prod", {"vitality:ci.githubRepo": "acme/platform", "vitality:ci.deployBranch": 3})
    assert sorted(error.keys) == ["vitality:ci.deployBranch", "vitality:ci.githubRepo"]
    assert "did you mean 'githubRepository'" in str(error)
