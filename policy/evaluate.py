"""Run the pack on an offline capture, through the same pulumi_policy objects `pulumi preview` runs.

The adapter turns each captured resource into what CrossGuard would hand the pack: `ResourceValidationArgs` with
the resource's inputs (resource rules) and `StackValidationArgs` of `PolicyResource`s with the outputs (stack
rules; in preview mode only the inputs are known), Pulumi options (`protect`), provider, parent, dependencies and
property dependencies. Unknown values become CrossGuard's sentinels behind its unknown-checking proxy, so a rule
that reads one during preview is skipped exactly as CrossGuard skips it.

The capture is duck-typed (`offline.Capture`): the pack does not import the offline engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from .framework import EXCEPTED, MANDATORY, STACK_SUBJECT, PolicyException, Rule, StackView
from .rules import EXCEPTIONS, RULES

OFFLINE_UNKNOWN = "<computed>"  # offline.UNKNOWN


def _wire(value: Any) -> Any:
    """Inputs as CrossGuard receives them: unknowns as the engine's sentinel strings."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if isinstance(value, pulumi.output.Unknown) or value == OFFLINE_UNKNOWN:
        return UNKNOWN_STRING_VALUE
    return value


def _options(resource: Any) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        resource.protect,
        list(resource.ignore_changes),
        resource.delete_before_replace,
        [],
        PolicyCustomTimeouts(0, 0, 0),
        list(resource.additional_secret_outputs),
        resource.parent,
    )


def _providers(capture: Any) -> dict[str, PolicyProviderResource]:
    found = {}
    for r in capture.resources:
        if r.type.startswith("pulumi:providers:"):
            found[r.urn] = PolicyProviderResource(r.type, unknown_checking_proxy(_wire(r.inputs)), r.urn, r.name)
    return found


def _provider_of(resource: Any, providers: dict[str, PolicyProviderResource]) -> Optional[PolicyProviderResource]:
    urn = resource.provider.rsplit("::", 1)[0] if resource.provider else ""
    return providers.get(urn)


def _checked(capture: Any) -> list[Any]:
    """The resources CrossGuard analyzes: everything but the stack itself (components included)."""
    return [r for r in capture.resources if r.type != "pulumi:pulumi:Stack"]


def resource_args(capture: Any, resource: Any, providers: Optional[dict] = None) -> ResourceValidationArgs:
    providers = _providers(capture) if providers is None else providers
    return ResourceValidationArgs(
        resource.type,
        unknown_checking_proxy(_wire(resource.inputs)),
        resource.urn,
        resource.name,
        _options(resource),
        _provider_of(resource, providers),
    )


def stack_args(capture: Any) -> StackValidationArgs:
    providers = _providers(capture)
    nodes: dict[str, PolicyResource] = {}
    for r in capture.resources:
        props = r.outputs if (r.outputs and not capture.preview) else r.inputs
        nodes[r.urn] = PolicyResource(
            r.type, unknown_checking_proxy(_wire(props)), r.urn, r.name, _options(r), _provider_of(r, providers), None, [], {}
        )
    for r in capture.resources:
        node = nodes[r.urn]
        node.parent = nodes.get(r.parent) if r.parent else None
        node.dependencies = [nodes[u] for u in r.dependencies if u in nodes]
        node.property_dependencies = {k: [nodes[u] for u in v if u in nodes] for k, v in r.property_dependencies.items()}
    return StackValidationArgs(list(nodes.values()))


@dataclass(frozen=True)
class Finding:
    rule: Rule
    resource: str
    type: str
    message: str
    exception: Optional[PolicyException] = None

    @property
    def mandatory(self) -> bool:
        return self.rule.enforcement == MANDATORY


@dataclass
class Evaluation:
    """The pack's verdict on one stack."""

    stack: str
    environment: str
    violations: list[Finding] = field(default_factory=list)
    excepted: list[Finding] = field(default_factory=list)
    passed: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # rule -> [(type, resource name)]
    skipped: list[tuple[Rule, str]] = field(default_factory=list)  # unknown during preview
    not_applicable: list[Rule] = field(default_factory=list)  # prod-only rules on another environment

    @property
    def mandatory(self) -> list[Finding]:
        return [v for v in self.violations if v.mandatory]

    @property
    def advisory(self) -> list[Finding]:
        return [v for v in self.violations if not v.mandatory]

    @property
    def passed_count(self) -> int:
        return sum(len(v) for v in self.passed.values())


def _run(policy_validate: Any, args: Any) -> tuple[list[tuple[str, Optional[str]]], list[tuple], Optional[str]]:
    reported: list[tuple[str, Optional[str]]] = []
    sink: list[tuple] = []
    token = EXCEPTED.set(sink)
    try:
        policy_validate(args, lambda message, urn=None: reported.append((message, urn)))
    except UnknownValueError as error:
        return reported, sink, error.message
    finally:
        EXCEPTED.reset(token)
    return reported, sink, None


def evaluate(capture: Any, rules: Sequence[Rule] = RULES) -> Evaluation:
    """Evaluate `rules` on the capture the way `pulumi preview --policy-pack policy` would."""
    checked = _checked(capture)
    sargs = stack_args(capture)
    view = StackView(sargs)
    result = Evaluation(stack=capture.stack, environment=view.environment)
    by_urn = {r.urn: r for r in capture.resources}
    providers = _providers(capture)

    for rule in rules:
        if not rule.applies_to_environment(view.environment):
            result.not_applicable.append(rule)
            continue
        passed = result.passed.setdefault(rule.name, [])
        if rule.kind == "resource":
            for resource in (r for r in checked if r.type in rule.types):
                reported, sink, unknown = _run(rule.policy.validate, resource_args(capture, resource, providers))
                if unknown:
                    result.skipped.append((rule, f"{resource.name}: {unknown}"))
                result.violations += [Finding(rule, resource.name, resource.type, m) for m, _ in reported]
                result.excepted += [Finding(rule, resource.name, resource.type, m, e) for _, _, _, m, e in sink]
                if not reported and not sink and not unknown:
                    passed.append((resource.type, resource.name))
            continue
        reported, sink, unknown = _run(rule.policy.validate, sargs)
        if unknown:
            result.skipped.append((rule, unknown))
        flagged: set[str] = set()
        for message, urn in reported:
            subject = by_urn.get(urn) if urn else None
            name = subject.name if subject else STACK_SUBJECT
            flagged.add(name)
            result.violations.append(Finding(rule, name, subject.type if subject else "stack", message))
        for _, name, urn, message, exception in sink:
            flagged.add(name)
            subject = by_urn.get(urn) if urn else None
            result.excepted.append(Finding(rule, name, subject.type if subject else "stack", message, exception))
        if not unknown and STACK_SUBJECT not in flagged:
            passed += [(r.type, r.name) for r in checked if r.type in rule.types and r.name not in flagged]
    return result


def unused_exceptions(evaluations: Iterable[Evaluation],
                      exceptions: Sequence[PolicyException] = EXCEPTIONS) -> list[PolicyException]:
    """Exceptions that suppressed nothing in any of the evaluations (stale, or a near-miss that never matches)."""
    used = {id(f.exception) for e in evaluations for f in e.excepted}
    return [e for e in exceptions if id(e) not in used]
