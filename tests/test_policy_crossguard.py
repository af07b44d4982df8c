"""The offline check sees exactly what CrossGuard sees.

Each captured resource is sent, in the wire form the engine uses for an analyzer (a protobuf Struct in which a
secret is the `{<sig>: <secret sig>, value: ...}` object; pulumi analyzer_plugin.go marshals with KeepSecrets), to
the policy SDK's own gRPC servicer (`pulumi_policy.policy._PolicyAnalyzerServicer.Analyze` / `AnalyzeStack`), with a
policy that records the props it is handed. Those must equal what `policy.evaluate` hands the rules offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, serialize_properties
from pulumi_policy.policy import _PolicyAnalyzerServicer

from offline import Capture
from policy import rules as R
from policy.evaluate import evaluate, resource_args, stack_args


def plain(value: Any) -> Any:
    """A policy's props (behind the SDK's proxies) as plain data; assets and archives by type and contents."""
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return (type(value).__name__, plain({k: v for k, v in vars(value).items() if not k.startswith("_")}))
    if isinstance(value, Mapping):
        return {k: plain(value[k]) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


def engine_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """The properties as the engine puts them on the wire: the captured values, secrets still wrapped, assets and
    archives as their signature objects."""
    struct = struct_pb2.Struct()
    struct.update(serialize_properties(props))
    return struct


def servicer(*policies: Any) -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer("wire-test", "0.0.1", list(policies), EnforcementLevel.MANDATORY,
                                   None, None, None, None, None, None, None)


def crossguard_resource_props(capture: Capture) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    recorder = ResourceValidationPolicy("record", "records props",
                                        validate=lambda args, report: seen.__setitem__(args.urn, plain(args.props)))
    analyzer = servicer(recorder)
    for r in capture.resources:
        if r.type == "pulumi:pulumi:Stack":
            continue
        request = analyzer_pb2.AnalyzeRequest(type=r.type, urn=r.urn, name=r.name, properties=engine_struct(r.inputs),
                                              options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect))
        analyzer.Analyze(request, None)
    return seen


def test_resource_policies_see_the_same_props_as_under_crossguard(capture: Capture) -> None:
    expected = crossguard_resource_props(capture)
    offline = {r.urn: plain(resource_args(capture, r).props) for r in capture.resources if r.type != "pulumi:pulumi:Stack"}
    assert offline == expected


def test_stack_policies_see_the_same_props_as_under_crossguard(capture: Capture) -> None:
    seen: dict[str, Any] = {}
    recorder = StackValidationPolicy(
        "record", "records props",
        validate=lambda args, report: seen.update({r.urn: plain(r.props) for r in args.resources}))
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=r.type, urn=r.urn, name=r.name, properties=engine_struct(r.outputs or r.inputs))
        for r in capture.resources])
    servicer(recorder).AnalyzeStack(request, None)
    offline = {node.urn: plain(node.props) for node in stack_args(capture).resources}
    assert offline == seen


def test_cloudfront_origins_reach_the_rules_with_their_secret_unwrapped(capture: Capture) -> None:
    distribution = capture.one(R.DISTRIBUTION)
    wire = distribution.inputs["origins"]
    assert wire[SPECIAL_SIG_KEY] == SPECIAL_SECRET_SIG, "the origins are no longer a secret: this test guards nothing"
    origins = plain(resource_args(capture, distribution).props)["origins"]
    assert origins == wire["value"]
    api = next(o for o in origins if o["originId"] == "api")
    assert [h["name"] for h in api["customHeaders"]] == ["X-Origin-Verify"]
    result = evaluate(capture, [R.RULES_BY_NAME[n] for n in ("cloudfront-origin-https", "cloudfront-origin-access-control",
                                                              "cloudfront-default-root-object")])
    for rule in ("cloudfront-origin-https", "cloudfront-origin-access-control", "cloudfront-default-root-object"):
        assert (R.DISTRIBUTION, distribution.name) in result.passed[rule], rule


def test_no_secret_wrapper_reaches_a_rule(capture: Capture) -> None:
    def wrapped(value: Any) -> bool:
        if isinstance(value, dict):
            return SPECIAL_SIG_KEY in value or any(wrapped(v) for v in value.values())
        if isinstance(value, list):
            return any(wrapped(v) for v in value)
        return False

    nodes = stack_args(capture).resources
    assert [n.name for n in nodes if wrapped(plain(n.props))] == []
