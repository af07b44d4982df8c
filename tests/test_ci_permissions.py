"""The CI roles' service table (components/ci_permissions.py) stays in step with what the program registers.

A new component whose resources belong to a service the table does not know fails here until the table (and so the
deploy and preview roles) learns it; a service no stack uses any more fails too, so the roles shed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from components import ci_permissions as perms
from components.settings.api import API_PLATFORMS
from offline import Capture, stacks
from tests.conftest import capture_for
from tests.iam_documents import ROLE, as_list, documents

STACKS = tuple(stacks())
# every platform, a custom domain (ACM, Route 53) and synthetics: the optional parts of the program
VARIANTS: dict[str, dict[str, object]] = {
    **{f"api-{p}": {"vitality:api.platform": p} for p in API_PLATFORMS},
    "custom-domain": {"vitality:frontend.domain": "app.example.com", "vitality:frontend.hostedZoneId": "Z0123456789ABCDEFGHIJ"},
    "with-ci": {"vitality:ci.githubRepository": "acme/platform", "vitality:ci.devStack": "sandbox"},
}


def captures() -> Iterator[tuple[str, Capture]]:
    for stack in STACKS:
        capture = capture_for(stack)
        yield stack, capture
        if (capture.config.values.get("vitality:security") or {}).get("organization", {}).get("mode") == "administrator":
            continue  # the security-tooling stack has no workload to vary
        for variant, overrides in VARIANTS.items():
            yield f"{stack}/{variant}", capture_for(stack, overrides=overrides)


def modules_in_use() -> dict[str, set[str]]:
    """pulumi-aws module -> the resource types of it that some stack or variant registers."""
    found: dict[str, set[str]] = {}
    for _, capture in captures():
        for resource in capture.resources:
            module = perms.module_of(resource.type)
            if module is not None:
                found.setdefault(module, set()).add(resource.type)
    return found


def test_every_registered_resource_type_has_its_services() -> None:
    missing = {module: sorted(types) for module, types in modules_in_use().items() if module not in perms.MODULE_PREFIXES}
    assert missing == {}, "add these pulumi-aws modules to MODULE_PREFIXES in components/ci_permissions.py"


def test_the_table_has_no_service_the_program_no_longer_manages() -> None:
    assert sorted(set(perms.MODULE_PREFIXES) - set(modules_in_use())) == []


def test_every_prefix_has_actions_or_hand_written_statements() -> None:
    prefixes = {p for ps in perms.MODULE_PREFIXES.values() for p in ps}
    assert sorted(prefixes - set(perms.SERVICE_ACTIONS) - perms.HAND_WRITTEN) == []
    assert sorted(set(perms.SERVICE_ACTIONS) - prefixes) == []


def test_actions_are_verb_patterns_never_whole_services() -> None:
    for action in perms.deploy_actions():
        prefix, verb = action.split(":")
        assert prefix in perms.SERVICE_ACTIONS and verb and verb != "*", action
    assert perms.read_actions() == sorted(set(perms.read_actions()))
    assert set(perms.read_actions()) <= set(perms.deploy_actions())


def test_data_reads_are_never_granted_by_name() -> None:
    """The table grants verb patterns (s3:Get*), the denies take out the data reads they would include."""
    assert not set(perms.DATA_READS) & set(perms.deploy_actions())


def test_roles_are_passed_only_to_the_services_that_trust_them() -> None:
    trusted: set[str] = set()
    for _, capture in captures():
        for role in capture.of_type(ROLE):
            for document in documents(capture):
                if document.resource is role and document.key == "assumeRolePolicy":
                    for statement in document.statements:
                        trusted.update(as_list((statement.get("Principal") or {}).get("Service")))
    # Config's recorder is given its service-linked role, which no trust policy of the program names
    assert sorted(trusted | {"config.amazonaws.com"}) == sorted(perms.PASSED_TO_SERVICES)


def test_only_listed_managed_policies_are_attached() -> None:
    listed = {f"arn:aws:iam::aws:policy/{p}" for p in perms.ATTACHABLE_MANAGED_POLICIES}
    attached: set[str] = set()
    for _, capture in captures():
        ci_policies = {p.outputs["arn"] for p in capture.of_type("aws:iam/policy:Policy")}
        attached |= {a.inputs["policyArn"] for a in capture.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                     if a.inputs["policyArn"] not in ci_policies}
    assert sorted(attached - listed) == []


@pytest.mark.parametrize(
    ("budget", "pieces"), [(10_000, 1), (60, 3)],
)
def test_chunks_keep_the_order_and_the_budget(budget: int, pieces: int) -> None:
    actions = [f"svc:Action{i:02d}" for i in range(9)]
    chunks = perms.chunked(actions, budget)
    assert [a for c in chunks for a in c] == actions
    assert len(chunks) == pieces
    assert all(len(str(c)) <= budget for c in chunks)


def test_docs_list_every_denied_data_read() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text()
    missing = [a for a in perms.DATA_READS if f"`{a}`" not in page and f"`{a.split(':', 1)[1]}`" not in page]
    assert missing == []
