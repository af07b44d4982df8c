"""Command line of the offline engine.

    python -m offline preview --stack dev [--json] [--set network.natGateways=regional]
    python -m offline schema [--write | --check]
    python -m offline bench [--stack prod] [--runs 5]
    python -m offline check [--stack prod] [--write-docs | --check-docs]

A configuration problem prints the list of problems and exits 2, with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Optional

import pulumi

from . import render, schema
from .engine import run
from .stack_config import StackConfigError, stacks


def parse_set(pairs: Sequence[str]) -> dict[str, Any]:
    """`--set database.readers=2` -> {"vitality:database.readers": 2}; values are read as YAML scalars/lists."""
    import yaml

    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set takes KEY=VALUE, got {pair!r}")
        full = key if ":" in key else f"vitality:{key}"
        overrides[full] = yaml.safe_load(raw) if raw else ""
    return overrides


def _preview(args: argparse.Namespace) -> int:
    capture = run(args.stack, preview=not args.known, overrides=parse_set(args.set))
    if args.json:
        print(json.dumps(render.as_json(capture), indent=2, sort_keys=False, default=str))
        return 0
    print(render.tree(capture))
    print()
    print(render.outputs(capture))
    print()
    print(render.summary(capture))
    return 0


def _schema(args: argparse.Namespace) -> int:
    text = schema.render()
    target = schema.path()
    if args.write:
        target.write_text(text)
        print(f"wrote {target.name}")
        return 0
    if args.check:
        if not target.exists() or target.read_text() != text:
            print(f"{target.name} is out of date: run `python -m offline schema --write`", file=sys.stderr)
            return 1
        print(f"{target.name} is up to date")
        return 0
    print(text, end="")
    return 0


def measure(stack: str, runs: int) -> tuple[float, int]:
    """Median wall time of `runs` in-process evaluations after one warm-up, and the resource count."""
    count = len(run(stack).resources)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(stack)
        times.append(time.perf_counter() - start)
    return statistics.median(times), count


def _bench(args: argparse.Namespace) -> int:
    print(f"{'stack':<8}{'resources':>10}{'median s':>10}{'resources/s':>13}   ({args.runs} runs after a warm-up)")
    for stack in args.stack or stacks():
        seconds, count = measure(stack, args.runs)
        print(f"{stack:<8}{count:>10}{seconds:>10.2f}{count / seconds:>13.0f}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"preview": _preview, "schema": _schema, "bench": _bench}

# Further commands live in their own modules: each has `register(subparsers)` that adds its parser and sets
# `func=` (a callable taking the parsed args and returning the exit code) as a default on it.
EXTENSIONS: tuple[str, ...] = ("offline.check", "offline.cost", "offline.graph", "offline.docs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    preview = sub.add_parser("preview", help="print the resource tree, outputs and summary of a stack")
    preview.add_argument("--stack", "-s", default="dev")
    preview.add_argument("--json", action="store_true", help="print the whole capture as JSON")
    preview.add_argument("--known", action="store_true", help="mock computed outputs instead of leaving them unknown")
    preview.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")

    schema_cmd = sub.add_parser("schema", help="print, write or check the Pulumi.yaml generated from the settings schema")
    mode = schema_cmd.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")

    bench = sub.add_parser("bench", help="time the program's evaluation per stack")
    bench.add_argument("--stack", "-s", action="append")
    bench.add_argument("--runs", type=int, default=5)

    for module in EXTENSIONS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        command = getattr(args, "func", None) or COMMANDS[args.command]
        return command(args)
    except StackConfigError as error:
        print(f"error: the Pulumi CLI would refuse stack '{error.stack}':", file=sys.stderr)
        for message in error.messages:
            print(f"  - {message}", file=sys.stderr)
        return 2
    except pulumi.RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
