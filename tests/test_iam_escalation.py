"""No role the program creates can gain a permission it does not have (issue #15, "Done when").

Walks every identity policy of every stack and fails on IAM writes that could widen a principal: role creation or
policy changes without a permissions-boundary condition, managed-policy rewrites, PassRole without
iam:PassedToService, administrator-grade managed policies; and checks that every role carries the stack's boundary.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest

from components.guardrails import boundary_name
from offline import Capture, stacks
from tests.conftest import capture_for
from tests.iam_documents import ATTACHMENT, ROLE, as_list, identity_documents

NEEDS_BOUNDARY = ("iam:createrole", "iam:putrolepolicy", "iam:attachrolepolicy", "iam:putrolepermissionsboundary")
NEVER = ("iam:createpolicyversion", "iam:setdefaultpolicyversion")
ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
# every stack file, plus a dev stack holding its own CI roles (another account; the CI roles exist only where
# ci.githubRepository is set) whose dev deploy role deploys a
# sandbox stack
TOPOLOGIES = {
    **{stack: (stack, {}) for stack in stacks()},
    "dev-with-ci": ("dev", {"vitality:ci.githubRepository": "acme/platform", "vitality:ci.devStack": "sandbox"}),
}


def _grants(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatchcase(action, str(pattern).lower()) for pattern in as_list(statement.get("Action")))


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key.lower() for clauses in (statement.get("Condition") or {}).values() for key in clauses}


def escalations(statement: dict[str, Any]) -> list[str]:
    """What an Allow statement would let its principal do beyond its own grants."""
    if statement.get("Effect") != "Allow":
        return []
    if statement.get("NotAction") is not None:
        return ["allows NotAction: every IAM write outside the list, boundary or not"]
    keys, found = _condition_keys(statement), []
    for action in NEEDS_BOUNDARY:
        if _grants(statement, action) and "iam:permissionsboundary" not in keys:
            found.append(f"{action} without an iam:PermissionsBoundary condition")
    found += [f"{action} (rewrites a managed policy in place)" for action in NEVER if _grants(statement, action)]
    if _grants(statement, "iam:passrole") and "iam:passedtoservice" not in keys:
        found.append("iam:PassRole without an iam:PassedToService condition")
    return found


def _capture(topology: str) -> Capture:
    stack, overrides = TOPOLOGIES[topology]
    return capture_for(stack, overrides=overrides)


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_no_identity_policy_can_widen_a_principal(topology: str) -> None:
    capture = _capture(topology)
    found = [
        f"{document.where} {statement.get('Sid', '?')}: {problem}"
        for document in identity_documents(capture)
        for statement in document.statements
        for problem in escalations(statement)
    ]
    assert found == []


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_no_administrator_grade_managed_policy_is_attached(topology: str) -> None:
    capture = _capture(topology)
    attached = [a.inputs["policyArn"] for a in capture.of_type(ATTACHMENT)]
    attached += [arn for role in capture.of_type(ROLE) for arn in as_list(role.inputs.get("managedPolicyArns"))]
    assert attached, "the walk must see the attachments"
    assert [arn for arn in attached if str(arn).rsplit("/", 1)[-1] in ADMIN_POLICIES] == []


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_every_role_carries_the_stacks_permissions_boundary(topology: str) -> None:
    capture = _capture(topology)
    boundary = f"arn:aws:iam::111122223333:policy/{boundary_name('vitality', capture.stack)}"
    assert capture.outputs["permissionsBoundaryArn"] == boundary
    roles = capture.of_type(ROLE)
    assert len(roles) >= 5
    assert {role.name: role.inputs.get("permissionsBoundary") for role in roles} == {role.name: boundary for role in roles}


def test_the_walk_sees_the_ci_roles_iam_writes() -> None:
    """The deploy role does create roles and pass them: the walk above inspects real grants, not an empty set."""
    capture = _capture("prod")
    statements = [s for d in identity_documents(capture) if "-ci-deploy" in d.resource.name for s in d.statements]
    assert any(_grants(s, "iam:createrole") for s in statements)
    assert any(_grants(s, "iam:passrole") for s in statements)


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        # the deploy role before issue #15: role writes and policy versions on vitality-* with no boundary
        ({"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy"], "Resource": "arn:aws:iam::1:role/vitality-*"},
         "iam:createrole without"),
        ({"Effect": "Allow", "Action": ["iam:CreatePolicyVersion"], "Resource": "*"}, "rewrites a managed policy"),
        ({"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "arn:aws:iam::1:role/vitality-*"}, "iam:PassedToService"),
        ({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, "iam:attachrolepolicy without"),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "iam:passrole"),
        ({"Effect": "Allow", "NotAction": "iam:DeleteRole", "Resource": "*"}, "NotAction"),
    ],
)
def test_the_walk_catches_escalation_paths(statement: dict[str, Any], problem: str) -> None:
    assert any(problem.lower() in p.lower() for p in escalations(statement))


def test_the_walk_accepts_bounded_writes() -> None:
    assert escalations({
        "Effect": "Allow",
        "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
        "Resource": "*",
        "Condition": {"ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
    }) == []
