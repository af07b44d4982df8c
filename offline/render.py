"""Text views of a capture: the resource tree and summary of `pulumi preview`."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .engine import UNKNOWN, Capture, Resource


def short_type(typ: str) -> str:
    """`aws:ec2/vpc:Vpc` -> `aws:ec2:Vpc`, the way the CLI prints types."""
    package, module, kind = [*typ.split(":"), "", ""][:3]
    return f"{package}:{module.split('/')[0]}:{kind}" if "/" in module else typ


def tree(capture: Capture) -> str:
    home = capture.config.values.get("aws:region")
    by_parent: dict[str | None, list[Resource]] = {}
    for r in capture.resources:
        by_parent.setdefault(r.parent, []).append(r)
    roots = by_parent.get(None, [])
    rows: list[tuple[str, str, str]] = []

    def walk(node: Resource, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        region = node.inputs.get("region")
        # resources outside the stack's region (us-east-1 edge pieces, the backup copy region) say where they are
        marks = (f" [{region}]" if isinstance(region, str) and region and region != home else "") + (
            " [protect]" if node.protect else "")
        if node.type == "aws:backup/plan:Plan":
            copies = sum(len(rule.get("copyActions") or []) for rule in node.inputs.get("rules") or [])
            marks += f" [copies to {copies} vault{'s' if copies != 1 else ''}]" if copies else ""
        rows.append((prefix + branch + short_type(node.type), node.name + marks, "create"))
        kids = by_parent.get(node.urn, [])
        extension = "" if depth == 0 else ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, prefix + extension, i == len(kids) - 1, depth + 1)

    for r in roots:
        walk(r, "", True, 0)
    width_type = max(len(t) for t, _, _ in rows) + 2
    width_name = max(len(n) for _, n, _ in rows) + 2
    lines = [f"Previewing update ({capture.stack}){' with unknown outputs' if capture.preview else ''}:", ""]
    lines.append(f"     {'Type':<{width_type}}{'Name':<{width_name}}Plan")
    for typ, name, plan in rows:
        lines.append(f" +   {typ:<{width_type}}{name:<{width_name}}{plan}")
    return "\n".join(lines)


def outputs(capture: Capture) -> str:
    lines = ["Outputs:"]
    width = max((len(k) for k in capture.outputs), default=0) + 2
    for key in sorted(capture.outputs):
        value = capture.outputs[key]
        shown = "output<string>" if value == UNKNOWN else json.dumps(value)
        lines.append(f"    {key + ':':<{width}}{shown}")
    return "\n".join(lines)


def summary(capture: Capture) -> str:
    counts = Counter(short_type(r.type) for r in capture.resources if r.type != "pulumi:pulumi:Stack")
    total = sum(counts.values())
    lines = ["Resources:", f"    + {total} to create", ""]
    for typ, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    + {n:>4}  {typ}")
    return "\n".join(lines)


def as_json(capture: Capture) -> dict[str, Any]:
    return {
        "stack": capture.stack,
        "preview": capture.preview,
        "outputs": capture.outputs,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "custom": r.custom,
                "parent": r.parent,
                "provider": r.provider,
                "protect": r.protect,
                "retainOnDelete": r.retain_on_delete,
                "deleteBeforeReplace": r.delete_before_replace,
                "dependencies": r.dependencies,
                "inputs": r.inputs,
            }
            for r in capture.resources
        ],
    }
