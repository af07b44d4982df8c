"""Every policy document of every stack, linted with parliament (duo-labs, offline: it ships AWS's IAM definitions).

Parliament reports unknown services and actions, resources whose type matches none of the actions
(RESOURCE_MISMATCH), condition keys an action does not support, operator/value type mismatches, malformed
statements and more. Its RESOURCE_STAR style checks are left to the policy pack, whose least-privilege rules know
which actions have no resource-level permissions. Every other finding fails the test unless
tests/iam_lint_allowed.yaml lists it with a reason.

Trust and resource policies (role trust, key, bucket, topic and repository policies) often omit Resource, which
parliament expects in every statement; `*` stands in for it, which skips only the resource-type check there.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from parliament import analyze_policy_string

from offline import Capture, stacks
from tests.conftest import capture_for
from tests.iam_documents import Document, documents

ALLOWED = yaml.safe_load((Path(__file__).parent / "iam_lint_allowed.yaml").read_text())["allowed"]
STYLE_ONLY = {"RESOURCE_STAR", "RESOURCE_EFFECTIVELY_STAR"}
# every stack file, plus a dev stack holding its own CI roles (another account; the CI roles exist only where
# ci.githubRepository is set) whose dev deploy role deploys a
# sandbox stack
TOPOLOGIES = {
    **{stack: (stack, {}) for stack in stacks()},
    "dev-with-ci": ("dev", {"vitality:ci.githubRepository": "acme/platform", "vitality:ci.devStack": "sandbox"}),
}


def _lintable(body: dict[str, Any]) -> str:
    body = copy.deepcopy(body)
    statements = body["Statement"] if isinstance(body["Statement"], list) else [body["Statement"]]
    for statement in statements:
        if "Resource" not in statement and "NotResource" not in statement:
            statement["Resource"] = "*"
    return json.dumps(body)


def findings(document: Document) -> set[tuple[str, str]]:
    policy = analyze_policy_string(_lintable(document.body), ignore_private_auditors=True)
    return {(f.issue, str(f.detail)) for f in policy.findings if f.issue not in STYLE_ONLY}


def _allowed(entry: dict[str, Any], document: Document, issue: str, detail: str) -> bool:
    return (
        entry["issue"] == issue
        and re.search(entry["detail"], detail) is not None
        and re.search(entry["resources"], document.resource.name) is not None
    )


def _lint(capture: Capture) -> tuple[list[str], set[int]]:
    unexpected, used = [], set()
    for document in documents(capture):
        for issue, detail in sorted(findings(document)):
            matches = [i for i, entry in enumerate(ALLOWED) if _allowed(entry, document, issue, detail)]
            used.update(matches)
            if not matches:
                unexpected.append(f"{document.where}: {issue} {detail}")
    return unexpected, used


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_every_policy_document_passes_the_linter(topology: str) -> None:
    stack, overrides = TOPOLOGIES[topology]
    capture = capture_for(stack, overrides=overrides)
    assert sum(1 for _ in documents(capture)) >= 20  # the walk sees the documents
    unexpected, _ = _lint(capture)
    assert unexpected == []


def test_every_allow_list_entry_has_a_reason_and_is_still_needed() -> None:
    used: set[int] = set()
    for stack, overrides in TOPOLOGIES.values():
        used.update(_lint(capture_for(stack, overrides=overrides))[1])
    assert all(entry.get("reason") for entry in ALLOWED)
    assert [entry["issue"] for i, entry in enumerate(ALLOWED) if i not in used] == []


@pytest.mark.parametrize(
    ("statement", "issue"),
    [
        ({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}, "UNKNOWN_ACTION"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:sqs:us-west-2:111122223333:queue"}, "RESOURCE_MISMATCH"),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringEquals": {"ec2:Vpc": "vpc-1"}}},
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
    ],
)
def test_the_linter_reports_what_it_is_relied_on_for(statement: dict[str, Any], issue: str) -> None:
    document = Document(resource=None, key="policy", body={"Version": "2012-10-17", "Statement": [statement]})
    assert issue in {i for i, _ in findings(document)}
