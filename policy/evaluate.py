"""Run the pack on an offline capture, through the same pulumi_policy objects `pulumi preview` runs.

The adapter turns each captured resource into what CrossGuard would hand the pack: `ResourceValidationArgs` with
the resource's inputs (resource rules) and `StackValidationArgs` of `PolicyResource`s with the outputs (stack
rules; in preview mode only the inputs are known), Pulumi options (`protect`), provider, parent, dependencies and
property dependencies. Unknown values become CrossGuard's sentinels behind its unknown-checking proxy, so a rule
that reads one during preview is skipped exactly as CrossGuard skips it.

Props take the road they take in `pulumi preview`: the engine marshals them for the analyzer with `KeepUnknowns`,
`KeepSecrets` and `SkipInternalKeys` (pulumi sdk/go/common/resource/plugin/analyzer_plugin.go, Analyze and
AnalyzeStack), so a secret travels as the `{<sig>: <secret sig>, value: ...}` object the capture holds, an unknown
as the unknown-string sentinel and `__`-prefixed keys are dropped; the policy SDK then rebuilds them with
`deserialize_properties(json_format.MessageToDict(request.properties))`, which unwraps every secret to its plain
value (pulumi_policy/policy.py `Analyze`). `crossguard_props` does the same two steps through the same protobuf
Struct and the same SDK function, so a rule sees a secret-bearing input (CloudFront `origins`, which carries the
origin-verify header) exactly as CrossGuard does, numbers as doubles included.

The capture is duck-typed (`offline.Capture`): the pack does not import the offline engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties, serialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from .framework import EXCEPTED, MANDATORY, STACK_SUBJECT, PolicyException, Rule, StackView
from .rules import EXCEPTIONS, RULES

OFFLINE_UNKNOWN = "<computed>"  # offline.UNKNOWN


def _marshal(value: Any) -> Any:
    """The engine's MarshalProperties(KeepUnknowns, KeepSecrets, SkipInternalKeys) of a captured value, as JSON."""
    if isinstance(value, dict):
        return {k: _marshal(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, (list, tuple)):
        return [_marshal(v) for v in value]
    if isinstance(value, pulumi.output.Unknown) or value == OFFLINE_UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):  # the asset/archive signature objects of the wire
        return serialize_properties({"value": value})["value"]
    return value


def wire_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """`AnalyzeRequest.properties` as the engine sends it for these captured props."""
    struct = struct_pb2.Struct()
    struct.update(_marshal(props))
    return struct


def crossguard_props(props: dict[str, Any]) -> dict[str, Any]:
    """What a policy's `args.props` holds under CrossGuard (before the unknown-checking proxy): secrets unwrapped."""
    return deserialize_properties(json_format.MessageToDict(wire_struct(props)))


# Proxied props by the identity of the captured dict (kept alive beside its result, so the id cannot be reused):
# the mutation suite evaluates hundreds of copies of a capture that share every unchanged resource's props.
# Captured props are never changed in place (tests copy a resource to vary it), and rules only read.
_PROXIED: dict[int, tuple[dict[str, Any], Any]] = {}
_PROXIED_LIMIT = 50_000


def _policy_props(props: dict[str, Any]) -> Any:
    cached = _PROXIED.get(id(props))
    if cached is not None and cached[0] is props:
        return cached[1]
    if len(_PROXIED) >= _PROXIED_LIMIT:
        _PROXIED.clear()
    proxied = unknown_checking_proxy(crossguard_props(props))
    _PROXIED[id(props)] = (props, proxied)
    return proxied


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
            found[r.urn] = PolicyProviderResource(r.type, _policy_props(r.inputs), r.urn, r.name)
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
        _policy_props(resource.inputs),
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
            r.type, _policy_props(props), r.urn, r.name, _options(r), _provider_of(r, providers), None, [], {}
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
    resource_inputs: dict[str, ResourceValidationArgs] = {}  # one conversion per resource, shared by every rule

    def args_of(resource: Any) -> ResourceValidationArgs:
        if resource.urn not in resource_inputs:
            resource_inputs[resource.urn] = resource_args(capture, resource, providers)
        return resource_inputs[resource.urn]

    for rule in rules:
        if not rule.applies_to_environment(view.environment):
            result.not_applicable.append(rule)
            continue
        passed = result.passed.setdefault(rule.name, [])
        if rule.kind == "resource":
            for resource in (r for r in checked if r.type in rule.types):
                reported, sink, unknown = _run(rule.policy.validate, args_of(resource))
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
