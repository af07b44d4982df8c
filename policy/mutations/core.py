"""Mutation machinery: a mutable copy of a capture, path helpers, and the `Variant` registry.

Each `Variant` takes a copy of a stack's capture (`Mutant`), breaks one thing the way a careless edit or an
adversary would (a wildcard in a condition value, a `Not*` element, a partial action list, a setting moved to a
sibling resource, a resource removed or added) and names the resource the rule must then report.
`tests/test_policy_mutations.py` runs every variant through `policy.evaluate` (the CrossGuard path) and asserts a
new violation of that rule on that resource; `docs/compliance.md` cites the count per control.

A `Mutant` never changes the capture it copies: a varied resource is a copy with deep-copied props, so unchanged
resources are shared (and their CrossGuard conversion cached) across variants.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Optional

SIG, SECRET = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


class Mutant:
    """A mutable copy of a capture (duck-types `offline.Capture` for `policy.evaluate`)."""

    def __init__(self, capture: Any) -> None:
        self.stack: str = capture.stack
        self.preview: bool = capture.preview
        self.resources: list[Any] = list(capture.resources)
        self.prefix = f"vitality-{self.stack}-"

    # ---- finding resources ----------------------------------------------------------------------

    def all(self, typ: str) -> list[Any]:
        return sorted((r for r in self.resources if r.type == typ), key=lambda r: r.name)

    def get(self, typ: str, suffix: Optional[str] = None) -> Any:
        """The resource of `typ` named `vitality-<stack>-<suffix>` (or the only one of its type; of a per-region
        resource of the baseline, the home region's, which has no `region` argument)."""
        found = [r for r in self.all(typ) if suffix is None or r.name == self.prefix + suffix]
        if suffix is None and len(found) > 1:
            found = [r for r in found if not r.inputs.get("region")]
        if len(found) != 1:
            raise LookupError(f"{self.stack}: {len(found)} {typ} named {suffix!r}: {[r.name for r in self.all(typ)]}")
        return found[0]

    def referring(self, typ: str, key: str, target: Any) -> list[Any]:
        """Resources of `typ` whose `key` holds one of the target's addresses (id, ARN, name)."""
        addresses = {a for a in (target.id, target.outputs.get("arn"), target.outputs.get("bucket"),
                                 target.outputs.get("name")) if a}
        return [r for r in self.all(typ) if set(_strings(r.inputs.get(key))) & addresses]

    # ---- changing them --------------------------------------------------------------------------

    def edit(self, resource: Any, change: Callable[[dict[str, Any]], object], *, protect: Optional[bool] = None,
             replaces: Optional[str] = None) -> str:
        """Replace `resource` by a copy whose inputs (and outputs) went through `change`; returns its name.
        `replaces`: a top-level input now given a literal value, so its property dependencies are gone too."""
        inputs = copy.deepcopy(resource.inputs)
        change(inputs)
        outputs = copy.deepcopy(resource.outputs)
        if outputs:
            change(outputs)
        dependencies = {k: v for k, v in resource.property_dependencies.items() if k != replaces}
        varied = dataclasses.replace(resource, inputs=inputs, outputs=outputs, property_dependencies=dependencies,
                                     protect=resource.protect if protect is None else protect)
        self.resources[self.current(resource)] = varied
        return str(resource.name)

    def current(self, resource: Any) -> int:
        """The index of `resource` (or of the copy that replaced it) in this mutant."""
        return next(i for i, r in enumerate(self.resources) if r.urn == resource.urn)

    def set(self, resource: Any, path: str, value: Any) -> str:
        return self.edit(resource, lambda props: put(props, path, value), replaces=None if "." in path else path)

    def drop(self, resource: Any, path: str) -> str:
        return self.edit(resource, lambda props: delete(props, path), replaces=None if "." in path else path)

    def policy(self, resource: Any, change: Callable[[list[dict[str, Any]]], object], key: str = "policy") -> str:
        """Edit the statements of a JSON policy document input (string or object)."""

        def apply(props: dict[str, Any]) -> None:
            raw = props.get(key)
            doc: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
            statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
            change(statements)
            doc["Statement"] = statements
            props[key] = json.dumps(doc) if isinstance(raw, str) else doc

        return self.edit(resource, apply)

    def remove(self, *resources: Any) -> None:
        for r in resources:
            del self.resources[self.current(r)]

    def add(self, typ: str, name: str, inputs: dict[str, Any], *, like: Any = None, id: Optional[str] = None,
            outputs: Optional[dict[str, Any]] = None) -> Any:
        """A new custom resource registered like `like` (same parent and provider), tagged like the stack."""
        template = like or next(r for r in self.resources if r.custom and r.type.startswith("aws:"))
        tags = dict(template.inputs.get("tags") or {"Environment": self.stack})
        props = {"tags": tags, **inputs}
        rid = id or f"{name}-id"
        resource = dataclasses.replace(
            template, urn=f"urn:pulumi:{self.stack}::vitality::{typ}::{name}", type=typ, name=name, custom=True,
            protect=False, dependencies=[], property_dependencies={}, inputs=props,
            outputs={**props, "id": rid, "arn": f"arn:aws:mutant:{self.stack}:{name}", **(outputs or {})}, id=rid)
        self.resources.append(resource)
        return resource


# --------------------------------------------------------------------------------------------------
# Paths in props (dotted, list indexes as numbers; a secret-wrapped value is stepped through)
# --------------------------------------------------------------------------------------------------


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict) and value.get(SIG) == SECRET:
        return value["value"]
    return value


def _strings(value: Any) -> list[str]:
    value = _unwrap(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _walk(props: Any, path: str) -> tuple[Any, Any]:
    steps = path.split(".")
    node = props
    for step in steps[:-1]:
        node = _unwrap(node[int(step)] if isinstance(node, list) else node.setdefault(step, {}))
    last = steps[-1]
    return _unwrap(node), (int(last) if isinstance(_unwrap(node), list) else last)


def get(props: Any, path: str) -> Any:
    node, key = _walk(copy.deepcopy(props), path)
    return _unwrap(node[key]) if isinstance(node, list) else _unwrap(node.get(key))


def put(props: dict[str, Any], path: str, value: Any) -> None:
    node, key = _walk(props, path)
    node[key] = value


def delete(props: dict[str, Any], path: str) -> None:
    node, key = _walk(props, path)
    if isinstance(node, list):
        del node[key]
    else:
        node.pop(key, None)


def items(props: dict[str, Any], path: str) -> list[Any]:
    """The list at `path` (unwrapped), to edit in place."""
    node, key = _walk(props, path)
    value = node[key]
    return _unwrap(value)


# --------------------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------------------

KINDS = ("value", "wildcard", "not-element", "partial", "sibling", "removed", "added", "expired")


# The App Runner topology (api.platform apprunner): variants of what only that platform creates run on it.
APPRUNNER = (("vitality:api.platform", "apprunner"),)


@dataclass(frozen=True)
class Variant:
    rule: str
    name: str
    kind: str
    mutate: Callable[[Mutant], str]  # breaks the copy; returns the resource (or "stack") the rule must name
    stacks: tuple[str, ...] = ("prod",)
    today: Optional[str] = None  # evaluate on this date (YYYY-MM-DD) instead of the real one
    topology: tuple[tuple[str, Any], ...] = ()  # config overrides of the capture the variant copies

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name}"


VARIANTS: list[Variant] = []


def variant(rule: str, name: str, kind: str, stacks: Iterable[str] = ("prod",), today: Optional[str] = None,
            topology: tuple[tuple[str, Any], ...] = ()) -> Callable[[Callable[[Mutant], str]], Callable[[Mutant], str]]:
    def register(mutate: Callable[[Mutant], str]) -> Callable[[Mutant], str]:
        VARIANTS.append(Variant(rule, name, kind, mutate, tuple(stacks), today, topology))
        return mutate

    return register


def by_rule(variants: Iterable[Variant] = ()) -> Mapping[str, list[Variant]]:
    found: dict[str, list[Variant]] = {}
    for v in variants or VARIANTS:
        found.setdefault(v.rule, []).append(v)
    return found


def statements_where(statements: list[dict[str, Any]], **match: Any) -> Iterator[dict[str, Any]]:
    for s in statements:
        if all(s.get(k) == v for k, v in match.items()):
            yield s
