"""Top-level keys: the environment profile and extra tags (`vitality:environment`, `vitality:tags`), and the
provider keys the program reads (`aws:region`, declared in the stack files, not in Pulumi.yaml).
"""

from __future__ import annotations

import re

from .schema import Key, one_of

ENVIRONMENTS = ("dev", "prod", "security")

TOP_LEVEL: tuple[Key, ...] = (
    Key(
        "environment",
        "string",
        "Environment profile: prod protects stateful resources and forbids force-delete; dev allows fast teardown; "
        "security is the security-tooling account's stack (security.organization.mode administrator), protected "
        "like prod.",
        allowed=one_of(*ENVIRONMENTS)[0],
        check=one_of(*ENVIRONMENTS)[1],
        example="dev",
    ),
    Key(
        "tags",
        "object",
        "Extra tags merged into every taggable resource (e.g. Owner, CostCenter). Project, Environment, Component "
        "and ManagedBy are always set and cannot be overridden.",
        default={},
        allowed="a map of tag name to string value, at most 40 entries, not Project/Environment/Component/ManagedBy",
        check=lambda v: len(v) <= 40
        and all(isinstance(x, str) and isinstance(y, str) and x not in _RESERVED_TAGS for x, y in v.items()),
    ),
)

_RESERVED_TAGS: tuple[str, ...] = ("Project", "Environment", "Component", "ManagedBy")

# Provider keys the program reads (declared in the stack files, not typed in Pulumi.yaml).
PROVIDER_KEYS = ("aws:region",)
AWS_REGION_RE: re.Pattern[str] = re.compile(r"(us|eu|ap|ca|sa|me|af|il|mx)(-gov)?-[a-z]+-\d")
