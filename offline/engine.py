"""Run the real program (`__main__.py`) for a stack under recording Pulumi mocks.

`run("prod")` reads the stack's config as the CLI would (`stack_config.py`), runs the program with mocks that
return realistic computed outputs (`outputs.py`), and returns a `Capture`: every registered resource with
its type, name, parent, provider, options (protect, retainOnDelete, dependencies, …) and inputs in engine
camelCase — what CrossGuard sees — plus the stack outputs. `preview=True` leaves computed outputs unknown,
as `pulumi preview` does.
"""

from __future__ import annotations

import asyncio
import gc
import os
import runpy
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS, get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .outputs import CALLS, computed_outputs
from .stack_config import ROOT, StackConfig, load_stack_config

UNKNOWN = "<computed>"


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: Optional[str]
    provider: str  # "<provider urn>::<id>", "" for the default provider
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    ignore_changes: list[str]
    additional_secret_outputs: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    @property
    def tags(self) -> dict[str, str]:
        tags = self.inputs.get("tags")
        return tags if isinstance(tags, dict) else {}


@dataclass
class Capture:
    stack: str
    preview: bool
    config: StackConfig
    resources: list[Resource]
    outputs: dict[str, Any]

    def of_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str) -> Resource:
        found = self.of_type(typ)
        if len(found) != 1:
            raise AssertionError(f"expected exactly one {typ}, found {len(found)}: {[r.name for r in found]}")
        return found[0]

    def named(self, name: str, typ: Optional[str] = None) -> Resource:
        """The resource with this logical name (names are unique per type, so give the type when they clash)."""
        found = [r for r in self.resources if r.name == name and typ in (None, r.type)]
        if len(found) != 1:
            raise KeyError(f"{name} ({typ or 'any type'}): {len(found)} matches")
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def descendants(self, urn: str) -> Iterator[Resource]:
        for r in self.children(urn):
            yield r
            yield from self.descendants(r.urn)

    def component_of(self, resource: Resource) -> Optional[Resource]:
        """The nearest ancestor that is a component (not a custom resource)."""
        parent = resource.parent
        while parent:
            node = self.by_urn(parent)
            if not node.custom and node.type != "pulumi:pulumi:Stack":
                return node
            parent = node.parent
        return None

    def resolve(self, value: Any) -> Optional[Resource]:
        """The resource whose id or ARN a value refers to (mocks hand out unique ids)."""
        if not isinstance(value, str) or not value:
            return None
        for r in self.resources:
            if r.custom and value in (r.id, r.outputs.get("arn")):
                return r
        return None


class _RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, region: str, preview: bool):
        self.region = region
        self.preview = preview

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict]:
        id_, extra = computed_outputs(args.typ, args.name, args.inputs, self.region)
        if self.preview and not args.typ.startswith("pulumi:providers:"):
            # `pulumi preview`: ids and computed attributes of new resources are unknown
            return "", dict(args.inputs)
        return id_, {**args.inputs, **extra, "id": id_}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        answer = CALLS.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the program invokes {args.token}, which the offline engine does not answer; "
                "the design allows only caller identity, region and partition lookups"
            )
        return answer(args.args, self.region), []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _RecordingMocks):
        super().__init__(mocks)
        self.captured: list[Resource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.captured.append(
                Resource(response.urn, request.type, request.name, False, None, "", False, False, False, [], {}, [], [], {})
            )
            return response
        registration = self.resources[response.urn]
        inputs = rpc.deserialize_properties(request.object)
        self.captured.append(
            Resource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=request.custom,
                parent=request.parent or None,
                provider=request.provider,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                ignore_changes=list(request.ignoreChanges),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                inputs=inputs,
                outputs=dict(registration.state or {}),
                id=registration.id or "",
            )
        )
        return response


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN
    return value


async def _resolve_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for key, value in outputs.items():
        out = pulumi.Output.from_input(value)
        known = await out.is_known()
        resolved[key] = _plain(await out.future(with_unknowns=True)) if known else UNKNOWN
    return resolved


def run(
    stack: str,
    preview: bool = False,
    overrides: Optional[Mapping[str, Any]] = None,
    root: Path = ROOT,
) -> Capture:
    """Run the program for `stack` and return everything it registered."""
    config = load_stack_config(stack, root, overrides)
    region = str(config.values.get("aws:region") or "us-east-1")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # A run allocates hundreds of thousands of short-lived objects beside the large, long-lived pulumi_aws module
    # graph, and collections during the run cost as much as the run. So: no collection during the run, one after
    # it, then freeze what survived (modules, captures) so that later collections never scan it again.
    collecting = gc.isenabled()
    gc.disable()
    saved_env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("AWS_", "PULUMI_CONFIG"))}
    pulumi.runtime.reset_options()
    try:
        mocks = _RecordingMocks(region, preview)
        monitor = _RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(mocks, project=config.project, stack=stack, preview=preview, monitor=monitor)
        pulumi.runtime.set_all_config(config.as_engine_config(), config.secret_keys)
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()
        def program() -> None:
            runpy.run_path(str(root / "__main__.py"), run_name="__main__")

        try:
            _sync_await(run_pulumi_func(program))
        except Exception as error:
            # what the program registered before it failed (tests assert that a config error creates nothing)
            error.registered_resources = list(monitor.captured)  # type: ignore[attr-defined]
            raise
        stack_resource = get_root_resource()
        exported = getattr(stack_resource, "outputs", {}) or {}
        outputs = _sync_await(_resolve_outputs(exported))
        return Capture(stack=stack, preview=preview, config=config, resources=monitor.captured, outputs=outputs)
    finally:
        pulumi.runtime.reset_options()
        os.environ.update(saved_env)
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        # invokes run in the default executor; its threads must be gone before the loop closes
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)
        if collecting:
            gc.enable()
            gc.collect()
            gc.freeze()
