"""The proof that every rule fires on what it claims to catch: violating variants of the real stacks.

Each `Variant` takes a copy of a stack's capture (`Mutant`), breaks one thing the way a careless edit or an
adversary would (a wildcard in a condition value, a `Not*` element, a partial action list, a setting moved to a
sibling resource, a resource removed or added) and names the resource the rule must then report.
`tests/test_policy_mutations.py` runs every variant through `policy.evaluate` (the CrossGuard path) and asserts a
new violation of that rule on that resource; `docs/compliance.md` cites the count per control. One module per
service family, like `policy/rules/`.
"""

from . import (  # noqa: F401  (each module registers its variants)
    compute,
    database,
    edge,
    governance,
    identity,
    network,
    observability,
    security_services,
    storage,
)
from .core import VARIANTS, Mutant, Variant, by_rule

__all__ = ["VARIANTS", "Mutant", "Variant", "by_rule"]
