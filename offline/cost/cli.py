"""The `cost` subcommand of `python -m offline`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .estimator import estimate_stack
from .render import as_json, render, render_difference
from .usage import UsageError, parse_usage, read_usage_file

DESCRIPTION = "Monthly cost estimate of a stack, from the offline capture, the price file and a usage profile."


def _command(args: argparse.Namespace) -> int:
    from ..__main__ import parse_set  # imported late: offline.__main__ imports this module

    try:
        flags = parse_usage(args.usage)
        from_file = read_usage_file(Path(args.usage_file)) if args.usage_file else None
        overrides = parse_set(args.set)
        result = estimate_stack(args.stack, overrides, flags, from_file)
        if args.compare:
            other = estimate_stack(args.compare, overrides, flags, from_file)
            print(render_difference(result, other, args.stack, args.compare))
            return 0
        if overrides:
            base = estimate_stack(args.stack, None, flags, from_file)
            print(render_difference(base, result, f"{args.stack} as configured", f"{args.stack} with --set"))
            return 0
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(as_json(result), indent=2) if args.json else render(result, detail=args.detail))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cost", help="estimate the monthly cost of a stack, idle and with a usage profile",
                                   description=DESCRIPTION)
    parser.add_argument("--stack", "-s", default="dev")
    parser.add_argument("--usage", action="append", default=[], metavar="KEY=VALUE",
                        help="override a usage profile value (keys: offline/usage.yaml)")
    parser.add_argument("--usage-file", metavar="FILE", help="YAML map of usage key to value, applied before --usage")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value and show the difference it makes")
    parser.add_argument("--compare", metavar="STACK", help="show the difference from STACK")
    parser.add_argument("--detail", action="store_true", help="show each charge: quantity, unit and price")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    parser.set_defaults(func=_command)
