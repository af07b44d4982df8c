"""Every IAM policy document a capture holds: identity, trust, resource, key and bucket policies alike.

Documents are found by shape, not by resource type: any input named like a policy whose JSON has a `Statement`, so a
new resource with a policy is linted and walked without anyone adding it here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from offline import Capture

POLICY_INPUTS = ("policy", "assumeRolePolicy", "policyDocument", "accessPolicy")
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


@dataclass(frozen=True)
class Document:
    resource: Any  # offline Resource
    key: str  # the input that holds it
    body: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.resource.name} ({self.resource.type.rsplit(':', 1)[-1]}.{self.key})"

    @property
    def statements(self) -> list[dict[str, Any]]:
        found = self.body["Statement"]
        return found if isinstance(found, list) else [found]


def _as_document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) and "Statement" in value else None


def documents(capture: Capture) -> Iterator[Document]:
    for resource in capture.resources:
        for key in POLICY_INPUTS:
            body = _as_document(resource.inputs.get(key))
            if body is not None:
                yield Document(resource, key, body)
        for inline in resource.inputs.get("inlinePolicies") or []:
            body = _as_document(inline.get("policy")) if isinstance(inline, dict) else None
            if body is not None:
                yield Document(resource, "inlinePolicies", body)


def boundary_arns(capture: Capture) -> set[str]:
    return {r.inputs["permissionsBoundary"] for r in capture.of_type(ROLE) if r.inputs.get("permissionsBoundary")}


def identity_documents(capture: Capture) -> Iterator[Document]:
    """Policies that grant to a principal: inline role policies and managed policies, except a managed policy used
    only as a permissions boundary (a boundary caps, it grants nothing)."""
    boundaries = boundary_arns(capture)
    for document in documents(capture):
        kind = document.resource.type
        inline = kind == ROLE_POLICY or (kind == ROLE and document.key == "inlinePolicies")
        managed = kind == MANAGED_POLICY and document.resource.outputs.get("arn") not in boundaries
        if inline or managed:
            yield document


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
