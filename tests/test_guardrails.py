"""The permissions boundary every role carries (components/guardrails.py)."""

from __future__ import annotations

from typing import Any

from offline import Capture
from tests.conftest import policy, statements

POLICY = "aws:iam/policy:Policy"


def boundary(capture: Capture) -> Any:
    return capture.named(f"vitality-{capture.stack}-guardrails-boundary")


def by_sid(capture: Capture) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements(policy(boundary(capture)))}


def test_one_fixed_name_boundary_per_stack_protected_in_prod(capture: Capture) -> None:
    found = boundary(capture)
    assert found.type == POLICY
    assert found.inputs["name"] == f"vitality-{capture.stack}-permissions-boundary"
    assert found.protect is (capture.stack == "prod")
    assert capture.outputs["permissionsBoundaryArn"] == found.outputs["arn"]
    assert found.inputs["tags"]["Component"] == "guardrails"


def test_boundary_only_caps(capture: Capture) -> None:
    sids = by_sid(capture)
    allows = [s for s in sids.values() if s["Effect"] == "Allow"]
    assert allows == [{"Sid": "WithinBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"}]


def test_roles_can_only_create_roles_with_a_project_boundary(capture: Capture) -> None:
    rule = by_sid(capture)["RolesOnlyWithProjectBoundary"]
    assert {"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:PutRolePolicy"} <= set(rule["Action"])
    assert rule["Condition"] == {
        "ArnNotLike": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/vitality-*-permissions-boundary"}
    }


def test_boundary_denies_escalation_and_tampering(capture: Capture) -> None:
    sids = by_sid(capture)
    assert sids["NoBoundaryRemoval"]["Action"] == ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
    assert sids["NoPolicyRewrites"]["Action"] == ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"]
    assert sids["NoBoundaryWrites"]["Resource"] == "arn:aws:iam::111122223333:policy/vitality-*-permissions-boundary"
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:CreateOpenIDConnectProvider"} <= set(sids["NoNewIdentities"]["Action"])
    assert {"organizations:Leave*", "organizations:Detach*", "organizations:Delete*"} <= set(sids["NoOrganizationChanges"]["Action"])
    assert {"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "config:StopConfigurationRecorder",
            "config:DeleteDeliveryChannel", "guardduty:DeleteDetector", "securityhub:DisableSecurityHub",
            "securityhub:BatchDisableStandards"} <= set(sids["NoAuditTampering"]["Action"])
    assert "cloudtrail:UpdateTrail" not in sids["NoAuditTampering"]["Action"]  # the remediation role needs it
    assert {"kms:ScheduleKeyDeletion", "kms:DisableKey"} <= set(sids["NoKeyDestruction"]["Action"])
    assert all(s["Effect"] == "Deny" for sid, s in sids.items() if sid != "WithinBoundary")


def test_every_role_waits_for_the_boundary(capture: Capture) -> None:
    """IAM refuses a role whose boundary does not exist yet: each role depends on the policy (through its ARN)."""
    urn = boundary(capture).urn
    roles = capture.of_type("aws:iam/role:Role")
    assert roles and all(urn in role.dependencies for role in roles)
