"""`python -m offline graph`: a Mermaid flowchart of a stack, generated from what the program registers.

    python -m offline graph --stack prod            print the diagram
    python -m offline graph --stack prod --write    update the diagram blocks in docs/architecture.md and README.md
    python -m offline graph --stack prod --check    exit 1 when a committed diagram is stale

Rules (so that the picture is derived, never drawn by hand):
- One subgraph per component (`vitality:platform:*`, the outermost one when components nest).
- Nodes are the component's main resources, one node per resource type; several resources of one type
  (per-AZ subnets, per-severity topics) share a node labelled with their count. Hidden: providers, and the
  satellites that only configure another resource (`NOISE` and `NOISE_KIND` below: associations, attachments,
  inline, resource and scaling policies, permissions, routes, security group rules, key aliases, subscriptions,
  configurations, status switches, selections, targets, features, S3 bucket settings). A hidden resource is
  represented by its nearest drawn ancestor, so its references still count.
- Edges read "depends on": A --> B when a resource of A has B in its dependencies (Pulumi records explicit
  `depends_on` and every input that came from B's outputs) or an input (also inside a JSON policy) holds B's
  id or ARN (`Capture.resolve`). Edges inside a component join nodes; edges between components join the
  subgraphs (dotted).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

from .engine import Capture, Resource, run
from .stack_config import ROOT

COMPONENT_PREFIX = "vitality:platform:"
START, END = "<!-- architecture-diagram:start -->", "<!-- architecture-diagram:end -->"
TARGETS = ("docs/architecture.md", "README.md")

# Satellites: resources that only configure the resource they hang off.
NOISE = frozenset(
    {
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:kms/alias:Alias",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
    }
)
# Type kinds that are satellites wherever they appear, so a new component needs no edit here: they attach,
# configure, switch on or subscribe something that is drawn (scaling targets, event targets, detector features,
# recorder status, backup selections, logging and lifecycle configurations, standards subscriptions, ...).
NOISE_KIND = re.compile(
    r".*(Association|Attachment|Policy|Permission|Configuration|Status|Selection|Target|Feature|Subscription)"
)
KEEP = frozenset({"aws:iam/policy:Policy"})  # a managed IAM policy is a main resource


def is_noise(resource: Resource) -> bool:
    if resource.type in KEEP:
        return False
    if resource.type in NOISE:
        return True
    return NOISE_KIND.fullmatch(resource.type.rsplit(":", 1)[-1]) is not None


def _top_component(capture: Capture, resource: Resource) -> Optional[Resource]:
    found = None
    node: Optional[Resource] = resource
    while node is not None and node.parent:
        node = capture.by_urn(node.parent)
        if node.type.startswith(COMPONENT_PREFIX):
            found = node
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        text = value.strip()
        if text[:1] in "{[":
            try:
                yield from _strings(json.loads(text))
                return
            except ValueError:
                pass
        yield value
        for suffix in (":*", "/*"):
            if value.endswith(suffix):
                yield value[: -len(suffix)]


class _Graph:
    def __init__(self, capture: Capture):
        self.capture = capture
        self.resources = [r for r in capture.resources if r.type != "pulumi:pulumi:Stack"]
        self.component = {r.urn: _top_component(capture, r) for r in self.resources}
        self.drawn = {r.urn: self._stand_in(r) for r in self.resources}
        self._resolved: dict[str, Optional[Resource]] = {}

    def _stand_in(self, resource: Resource) -> Optional[Resource]:
        """The drawn resource that represents this one (itself, or its nearest drawn ancestor)."""
        node: Optional[Resource] = resource
        while node is not None:
            if node.custom and not node.type.startswith("pulumi:providers:") and not is_noise(node):
                return node
            if node.type.startswith(COMPONENT_PREFIX) or not node.parent:
                return None
            node = self.capture.by_urn(node.parent)
        return None

    def resolve(self, value: str) -> Optional[Resource]:
        if value not in self._resolved:
            self._resolved[value] = self.capture.resolve(value)
        return self._resolved[value]

    def references(self, resource: Resource) -> set[str]:
        urns = set(resource.dependencies)
        for text in _strings(resource.inputs):
            target = self.resolve(text)
            if target is not None:
                urns.add(target.urn)
        urns.discard(resource.urn)
        return urns

    def node(self, resource: Resource) -> str:
        component = self.component[resource.urn]
        owner = component.name if component is not None else "stack"
        return f"{_ident(owner)}__{_ident(_short_type(resource.type))}"


def _short_type(typ: str) -> str:
    package, module, kind = [*typ.split(":"), "", ""][:3]
    return f"{module.split('/')[0] if package == 'aws' else package} {kind}"


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def render(capture: Capture) -> str:
    """The Mermaid flowchart (deterministic: components in data-flow order, sorted nodes and edges)."""
    graph = _Graph(capture)
    components = [r for r in graph.resources if r.type.startswith(COMPONENT_PREFIX) and graph.component[r.urn] is None]
    members: dict[str, dict[str, list[Resource]]] = {c.urn: {} for c in components}
    for r in graph.resources:
        comp = graph.component[r.urn]
        if comp is not None and graph.drawn[r.urn] is r:
            members[comp.urn].setdefault(graph.node(r), []).append(r)

    node_edges: set[tuple[str, str]] = set()
    component_edges: set[tuple[str, str]] = set()
    # Pulumi's dependencies form a DAG; an id/ARN named in a policy may point forward (a key policy naming the
    # trail that is created later), so only the dependencies decide the drawing order
    ordering_edges: set[tuple[str, str]] = set()
    for r in graph.resources:
        source_comp = graph.component[r.urn]
        if source_comp is None:
            continue
        source = graph.drawn[r.urn]
        for urn in graph.references(r):
            target_resource = graph.capture.by_urn(urn)
            target_comp = (
                target_resource if target_resource.type.startswith(COMPONENT_PREFIX) and graph.component[urn] is None
                else graph.component.get(urn)
            )
            if target_comp is None:
                continue
            if target_comp.urn != source_comp.urn:
                component_edges.add((_ident(source_comp.name), _ident(target_comp.name)))
                if urn in r.dependencies:
                    ordering_edges.add((_ident(source_comp.name), _ident(target_comp.name)))
                continue
            target = graph.drawn.get(urn)
            if source is not None and target is not None and graph.node(source) != graph.node(target):
                node_edges.add((graph.node(source), graph.node(target)))

    lines = ["flowchart LR"]
    for comp in _data_flow_order(components, ordering_edges):
        kind = comp.type[len(COMPONENT_PREFIX):]
        lines.append(f'  subgraph {_ident(comp.name)}["{kind} · {comp.name}"]')
        for node_id, group in sorted(members[comp.urn].items()):
            label = _short_type(group[0].type)
            if len(group) > 1:
                label += f" ×{len(group)}"
            else:
                label += f"<br/>{group[0].name.removeprefix(comp.name + '-')}"
            lines.append(f'    {node_id}["{label}"]')
        lines.append("  end")
    lines += [f"  {a} --> {b}" for a, b in sorted(node_edges)]
    lines += [f"  {a} -.-> {b}" for a, b in sorted(component_edges)]
    return "\n".join(lines) + "\n"


def _data_flow_order(components: list[Resource], edges: set[tuple[str, str]]) -> list[Resource]:
    """Every component after the components it depends on, ties by name (registration order is not stable)."""
    pending = sorted(components, key=lambda c: c.name)
    placed: list[Resource] = []
    while pending:
        done = {_ident(c.name) for c in placed}
        ready = [c for c in pending if all(b in done for a, b in edges if a == _ident(c.name) and b != a)]
        pick = ready[0] if ready else pending[0]  # a cycle: break it by name
        placed.append(pick)
        pending.remove(pick)
    return placed


def block(capture: Capture) -> str:
    """The marked block embedded in the docs, naming the command that regenerates it."""
    return (
        f"{START}\n"
        f"<!-- generated by `python -m offline graph --stack {capture.stack} --write`; do not edit -->\n"
        f"```mermaid\n{render(capture)}```\n"
        f"{END}"
    )


_BLOCK_RE = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
_STACK_RE = re.compile(r"offline graph --stack (\w+) --write")


def embedded_stack(text: str) -> Optional[str]:
    """The stack a committed diagram block was generated from."""
    match = _BLOCK_RE.search(text)
    found = _STACK_RE.search(match.group(0)) if match else None
    return found.group(1) if found else None


def replace_block(text: str, new_block: str) -> Optional[str]:
    """`text` with its diagram block replaced, or None when it has no markers."""
    match = _BLOCK_RE.search(text)
    if match is None:
        return None
    return text[: match.start()] + new_block + text[match.end() :]


def targets(root: Path = ROOT) -> list[Path]:
    """Files that carry a diagram block. README.md is only touched when it exists and has the markers."""
    return [root / t for t in TARGETS if (root / t).exists()]


def _graph(args: argparse.Namespace) -> int:
    capture = run(args.stack)
    if not (args.write or args.check):
        print(render(capture), end="")
        return 0
    wanted = block(capture)
    stale = []
    for path in targets():
        text = path.read_text()
        updated = replace_block(text, wanted)
        if updated is None or updated == text:
            continue
        if args.write:
            path.write_text(updated)
            print(f"updated {path.relative_to(ROOT)}")
        else:
            stale.append(str(path.relative_to(ROOT)))
    if stale:
        print(f"stale diagram in {', '.join(stale)}: run `python -m offline graph --stack {args.stack} --write`",
              file=sys.stderr)
        return 1
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("graph", help="print (or write into the docs) the Mermaid architecture diagram")
    parser.add_argument("--stack", "-s", default="dev")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update the diagram blocks in docs/architecture.md and README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when a committed diagram differs")
    parser.set_defaults(func=_graph)
