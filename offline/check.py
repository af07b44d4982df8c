"""`python -m offline check`: evaluate the policy pack on the offline capture of one or more stacks.

    python -m offline check --stack prod            violations grouped by control; exit 1 on a mandatory one
    python -m offline check --preview               unknown computed outputs, as in `pulumi preview`
    python -m offline check --write-docs            regenerate docs/compliance.md from every stack
    python -m offline check --check-docs            exit 1 when docs/compliance.md is stale
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .engine import run
from .stack_config import ROOT, stacks

if TYPE_CHECKING:  # the policy pack is imported lazily, by the commands that use it
    from policy.evaluate import Finding
    from policy.framework import Rule

DOCS = Path("docs") / "compliance.md"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="evaluate the CrossGuard policy pack on a stack (exit 1 on a mandatory violation)")
    parser.add_argument("--stack", "-s", action="append", help="stack to check (repeatable; default: every stack)")
    parser.add_argument("--preview", action="store_true", help="leave computed outputs unknown, as `pulumi preview` does")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only violations and the summary")
    docs = parser.add_mutually_exclusive_group()
    docs.add_argument("--write-docs", action="store_true", help=f"regenerate {DOCS} from every stack")
    docs.add_argument("--check-docs", action="store_true", help=f"exit 1 when {DOCS} is stale")
    parser.set_defaults(func=main)


def render_docs(root: Path = ROOT) -> str:
    from policy.docs import render
    from policy.evaluate import evaluate

    return render([evaluate(run(stack, root=root)) for stack in stacks(root)])


def _label(rule: Rule) -> str:
    return ", ".join(rule.controls) if rule.controls else "no Security Hub control (" + (
        ", ".join(rule.references) or "project rule") + ")"


def _group(findings: Sequence[Finding]) -> list[str]:
    lines: list[str] = []
    by_label: dict[str, dict[str, list[Finding]]] = {}
    for f in findings:
        by_label.setdefault(_label(f.rule), {}).setdefault(f.rule.name, []).append(f)
    for label in sorted(by_label):
        lines.append(f"  {label}")
        for name, items in by_label[label].items():
            rule = items[0].rule
            lines.append(f"    [{rule.severity}] {name}: {rule.description}")
            for f in items:
                note = (f"  (excepted by {f.exception.scope}: {f.exception.reason}; compensating: "
                        f"{', '.join(c.rule for c in f.exception.compensating)}; review by {f.exception.review})"
                        if f.exception else "")
                lines.append(f"      - {f.type} {f.resource}: {f.message}{note}")
            if not items[0].exception:
                lines.append(f"      fix: {rule.remediation}")
    return lines


def main(args: argparse.Namespace) -> int:
    from policy.evaluate import evaluate, unused_exceptions
    from policy.rules import EXCEPTIONS, RULES

    from .__main__ import parse_set

    if args.write_docs or args.check_docs:
        text = render_docs()
        target = ROOT / DOCS
        if args.write_docs:
            target.parent.mkdir(exist_ok=True)
            target.write_text(text)
            print(f"wrote {DOCS}")
            return 0
        if not target.exists() or target.read_text() != text:
            print(f"{DOCS} is out of date: run `python -m offline check --write-docs`")
            return 1
        print(f"{DOCS} is up to date")
        return 0

    names = args.stack or stacks()
    evaluations = [evaluate(run(stack, preview=args.preview, overrides=parse_set(args.set))) for stack in names]
    failed = False
    for e in evaluations:
        print(f"Policy pack on stack {e.stack} (environment {e.environment}): {len(RULES)} rules"
              f"{' with unknown computed outputs' if args.preview else ''}")
        if e.mandatory:
            failed = True
            print(f"\nMandatory violations ({len(e.mandatory)}):")
            print("\n".join(_group(e.mandatory)))
        if e.advisory:
            print(f"\nAdvisory findings ({len(e.advisory)}):")
            print("\n".join(_group(e.advisory)))
        if e.excepted and not args.quiet:
            print(f"\nExcepted by policy/exceptions.yaml ({len(e.excepted)}):")
            print("\n".join(_group(e.excepted)))
        if e.skipped and not args.quiet:
            print(f"\nSkipped, value unknown until apply ({len(e.skipped)}):")
            for rule, why in e.skipped:
                print(f"  {rule.name}: {why}")
        print(f"\n{e.stack}: {e.passed_count} passed, {len(e.mandatory)} mandatory violations, {len(e.advisory)} advisory, "
              f"{len(e.excepted)} excepted, {len(e.skipped)} skipped, {len(e.not_applicable)} rules not applicable "
              f"to {e.environment}\n")
    for x in EXCEPTIONS:
        if x.expired():  # where it still stands, rule policy-exceptions-hold has failed the stack above
            print(f"warning: exception {x.rule} / {x.scope} / {x.resource} was due for review on {x.review}")
    if not args.stack and not args.set and not args.preview:
        for x in unused_exceptions(evaluations):
            print(f"warning: exception {x.rule} / {x.scope} / {x.resource} matches no violation (stale or misspelt)")
    return 1 if failed else 0
