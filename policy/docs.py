"""Generate docs/compliance.md (the SOC 2 control map) from the rules' metadata and their verdicts on each stack.

`python -m offline check --write-docs` writes it; a test fails when the committed file is not what this renders,
so the map cannot drift from the rules, the exceptions or what the stacks create.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .controls import CONTROLS
from .evaluate import Evaluation
from .framework import MANDATORY, PolicyException, Rule
from .mutations import VARIANTS, Variant
from .operations import operations_sections
from .rules import EXCEPTIONS, RULES

# AICPA 2017 Trust Services Criteria (revised points of focus 2022): the criteria the rules support.
TSC_TITLES = {
    "CC1.3": "Management establishes structures, reporting lines and authorities",
    "CC2.1": "Relevant, quality information supports internal control",
    "CC2.3": "Communication with external parties",
    "CC3.2": "Risks to objectives are identified and analyzed",
    "CC4.1": "Ongoing and separate evaluations of controls",
    "CC4.2": "Control deficiencies are communicated in time",
    "CC6.1": "Logical access security, encryption and protection of information assets",
    "CC6.2": "Credentials are issued and removed for authorized users",
    "CC6.3": "Access is authorized on least privilege and segregation of duties",
    "CC6.6": "Protection against threats from outside the system boundary",
    "CC6.7": "Transmission of information is restricted and protected",
    "CC6.8": "Unauthorized or malicious software is prevented or detected",
    "CC7.1": "Configuration changes and vulnerabilities are detected",
    "CC7.2": "System components are monitored for anomalies",
    "CC7.3": "Security events are evaluated",
    "CC7.4": "Security incidents are responded to and recovered from",
    "CC8.1": "Changes are authorized, tested and approved",
    "A1.2": "Environmental protections, backups and recovery infrastructure",
    "C1.1": "Confidential information is identified and retained",
    "C1.2": "Confidential information is disposed of",
}

# reference/compliance-controls.md §6.2: what the program's inputs cannot prove.
LIVE_ONLY = (
    ("Account and credential state", "IAM.3/4/5/6/8/9/22/26 (access-key age, root keys and MFA, console MFA, unused "
     "credentials, expired certificates); Config.1 recording in every enabled Region; GuardDuty and Security Hub "
     "enabled per Region; EC2.2 on the default VPCs of every Region; EC2.7, S3.1, IAM.28 and EC2.172 per Region; "
     "CloudTrail.1 where organization or other trails also count."),
    ("Runtime state", "KMS.3 (keys pending deletion); SecretsManager.2/.3/.4 (rotation succeeds, secrets used, "
     "rotated on time); RDS.1 and RDS.4 (snapshots private and encrypted); RDS.5/.9/.10/.11 as Security Hub "
     "evaluates them on Aurora member instances; RDS.15 real AZ placement; CloudFront.12 bucket existence; EC2.180 "
     "network interfaces created by services; S3.2/S3.3 effective access (full policy and ACL evaluation); EC2.6 "
     "whether ALL satisfies the control's REJECT parameter; GuardDuty.7/.12/.13 agent-management semantics."),
    ("Control semantics to confirm after deploy", "CloudFront.5 counts only legacy standard logging (v2 log delivery "
     "satisfies the rule here but may still raise the finding); ECR.2 with IMMUTABLE_WITH_EXCLUSION; CloudWatch.16 "
     "treats never-expire as compliant while the rule here requires an explicit retention."),
    ("End-to-end acceptance", "After deploy, Security Hub `GetFindings` with `ComplianceStatus=FAILED`, "
     "`RecordState=ACTIVE`, `ProductName=Security Hub` for FSBP and CIS v3.0 must be empty apart from the "
     "exceptions above (controls evaluate up to 12-24 h later; periodic ones daily)."),
)

# Behaviour a rule accepts by design (a documented AWS recommendation, not a relaxation of the control).
BY_DESIGN = (
    ("s3-bucket-access-logging", "S3.9", "A bucket that other buckets deliver their server access logs to is not "
     "logged itself (logging it recurses); AWS says to suppress its finding, so plan a Security Hub automation rule "
     "for it. Only such a destination is exempt: a bucket that logs into itself, or that nothing else logs to, fails."),
    ("cloudfront-access-logging", "CloudFront.5", "v2 log delivery (an ACCESS_LOGS LogDeliverySource with a "
     "LogDelivery to a destination) counts as logging; it avoids the ACL-enabled bucket legacy logging needs, which "
     "would fail S3.12."),
    ("rds-event-subscriptions-cover-critical-events", "RDS.19-22", "Pass while no subscription exists; one "
     "subscription makes all four apply."),
)


# Security Hub controls of the standards in use that no rule can decide from the program's inputs: Security Hub
# evaluates them in the account at run time (reference/compliance-controls.md §6.2).
RUNTIME_ONLY: dict[str, tuple[str, str]] = {
    "IAM.4": ("FSBP, CIS v3.0", "no access keys for the root user"),
    "IAM.6": ("FSBP, CIS v3.0", "hardware MFA for the root user"),
    "IAM.8": ("FSBP", "unused IAM user credentials removed"),
    "IAM.9": ("FSBP, CIS v3.0", "MFA for the root user"),
    "IAM.22": ("CIS v3.0", "credentials unused for 45 days removed"),
    "IAM.26": ("CIS v3.0", "expired SSL/TLS certificates in IAM removed"),
    "KMS.3": ("FSBP", "keys not unintentionally scheduled for deletion"),
    "RDS.1": ("FSBP", "RDS snapshots are private"),
    "RDS.5": ("FSBP", "Multi-AZ as Security Hub evaluates Aurora member instances"),
    "SecretsManager.2": ("FSBP", "rotation succeeds"),
    "SecretsManager.3": ("FSBP", "unused secrets removed"),
    "EC2.180": ("FSBP", "source/destination check on network interfaces created by services"),
}


def _tsc_key(tsc: str) -> tuple:
    family = re.match(r"[A-Z]+", tsc).group(0)  # type: ignore[union-attr]
    order = {"CC": 0, "A": 1, "C": 2, "PI": 3, "P": 4}.get(family, 9)
    return (order, [int(p) for p in re.findall(r"\d+", tsc)])


def _anchor(rule: Rule) -> str:
    return f"rule-{rule.name}"


def _controls(rule: Rule) -> str:
    return ", ".join(rule.controls) if rule.controls else "—"


def _resources(names: Sequence[tuple[str, str]], limit: int = 6) -> str:
    if not names:
        return "—"
    names = sorted(names, key=lambda n: n[1])
    shown = ", ".join(f"`{n}`" for _, n in names[:limit])
    return shown + (f" (+{len(names) - limit} more)" if len(names) > limit else "")


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def control_status(rules: Sequence[Rule], exceptions: Sequence[PolicyException], variants: Sequence[Variant]
                   ) -> list[tuple[str, str, str, str, str]]:
    """(control, standards, status, rules with their variant counts, exceptions) for every control of the pack and
    every run-time-only control."""
    counts: dict[str, int] = {}
    for v in variants:
        counts[v.rule] = counts.get(v.rule, 0) + 1
    enforcing: dict[str, list[Rule]] = {}
    for r in rules:
        for c in r.controls:
            enforcing.setdefault(c, []).append(r)
    rows = []
    for control in sorted(set(CONTROLS) | set(RUNTIME_ONLY), key=lambda c: (c.split(".")[0], _num(c))):
        standards, why = RUNTIME_ONLY.get(control, ("", "not decidable from the program's inputs"))
        if control in CONTROLS:
            standards = ", ".join(CONTROLS[control][0])
        members = enforcing.get(control, [])
        if not members:
            rows.append((control, standards, f"Security Hub at run time ({why})", "—", "—"))
            continue
        unproven = [r.name for r in members if not counts.get(r.name)]
        standing = [x for x in exceptions if x.rule in {r.name for r in members}]
        status = "not proven" if unproven else "proven by mutation test"
        if standing:
            status += "; excepted"
        rule_cell = ", ".join(f"[{r.name}](#{_anchor(r)}) ({counts.get(r.name, 0)})" for r in members)
        exception_cell = "<br>".join(
            f"{x.scope} `{x.resource}`: {_escape(x.finding)} — {_escape(x.reason)} (review by {x.review.isoformat()})"
            for x in standing) or "—"
        rows.append((control, standards, status, rule_cell, exception_cell))
    return rows


def render(evaluations: Sequence[Evaluation], rules: Sequence[Rule] = RULES,
           exceptions: Sequence[PolicyException] = EXCEPTIONS, variants: Sequence[Variant] = VARIANTS) -> str:
    stacks = [e.stack for e in evaluations]
    out: list[str] = []
    add = out.append
    add("# Compliance: SOC 2 control map")
    add("")
    add("<!-- Generated by `python -m offline check --write-docs` from policy/rules/, policy/exceptions.yaml, policy/mutations/ and the "
        "offline captures of every stack. Do not edit by hand: tests/test_policy_stacks.py fails when it is stale. -->")
    add("")
    add("The policy pack in `policy/` encodes the AWS Security Hub controls (FSBP v1.0.0, CIS v3.0.0, NIST 800-53 r5 "
        "where SOC 2 asks for more) that can be decided from what the program declares, plus the project's own "
        "guardrails. The same rule objects run in two places:")
    add("")
    add("- CI: `pulumi preview --policy-pack policy` (CrossGuard; mandatory rules block the preview, advisory rules "
        "warn; rules that need a value unknown during preview are skipped with a diagnostic).")
    add("- Offline: `python -m offline check --stack prod` and the test suite evaluate the pack on the offline capture "
        "of each stack and fail on any mandatory violation that `policy/exceptions.yaml` does not accept.")
    add("")
    add("Security Hub has no SOC 2 standard and AWS Audit Manager is closed to new customers, so the map below is the "
        "evidence trail: trust-services criterion → Security Hub control → policy rule → the resources that satisfy "
        "it. A rule with no Security Hub control cites the AWS Config rule or checkov/cdk-nag check it mirrors.")
    add("")
    add("## Current verdict")
    add("")
    add("| stack | environment | rules | passed checks | mandatory violations | advisory findings | excepted | "
        "not applicable here |")
    add("|---|---|---|---|---|---|---|---|")
    for e in evaluations:
        add(f"| {e.stack} | {e.environment} | {len(rules)} | {e.passed_count} | {len(e.mandatory)} | "
            f"{len(e.advisory)} | {len(e.excepted)} | {len(e.not_applicable)} (prod-only rules) |")
    add("")

    add("## Trust-services criteria → Security Hub controls → rules")
    add("")
    add("| criterion | Security Hub controls | rules |")
    add("|---|---|---|")
    criteria = sorted({t for r in rules for t in r.tsc}, key=_tsc_key)
    for tsc in criteria:
        members = [r for r in rules if tsc in r.tsc]
        controls = sorted({c for r in members for c in r.controls}, key=lambda c: (c.split(".")[0], _num(c)))
        links = ", ".join(f"[{r.name}](#{_anchor(r)})" for r in members)
        add(f"| **{tsc}** {TSC_TITLES.get(tsc, '')} | {', '.join(controls) or '—'} | {links} |")
    add("")

    add("## Security Hub control index")
    add("")
    add("| control | standards | control severity | rules |")
    add("|---|---|---|---|")
    index: dict[str, list[Rule]] = {}
    for r in rules:
        for c in r.controls:
            index.setdefault(c, []).append(r)
    for control in sorted(index, key=lambda c: (c.split(".")[0], _num(c))):
        standards, severity = CONTROLS[control]
        links = ", ".join(f"[{r.name}](#{_anchor(r)})" for r in index[control])
        add(f"| {control} | {', '.join(standards)} | {severity} | {links} |")
    add("")

    add("## Control status")
    add("")
    add("How each Security Hub control is known to hold: **proven** — the rules enforcing it are each shown to fire by "
        "the mutation suite (`tests/test_policy_mutations.py`: violating variants of the real stacks in "
        "`policy/mutations/`, each of which must be reported on its resource); **excepted** — a dated, "
        "finding-specific entry in `policy/exceptions.yaml` accepts a finding of one of those rules; **Security Hub "
        "at run time** — no rule can decide it from the program, the deployed account's findings are the evidence.")
    add("")
    add("| control | standards | status | rules (violating variants) | exceptions |")
    add("|---|---|---|---|---|")
    for control, standard_names, status, rule_cell, exception_cell in control_status(rules, exceptions, variants):
        add(f"| {control} | {standard_names} | {status} | {rule_cell} | {exception_cell} |")
    add("")

    add("## Rules")
    add("")
    add("Each rule: what it checks, how to fix a violation, and the resources that satisfy it in each stack "
        "(empty until the component that creates such resources is part of the stack).")
    add("")
    for r in rules:
        add(f"### {r.name}")
        add(f'<a id="{_anchor(r)}"></a>')
        add("")
        add(f"{r.description}")
        add("")
        scope = " Prod only." if r.prod_only else ""
        add(f"- Controls: {_controls(r)} ({', '.join(r.standards)}); severity **{r.severity}**; "
            f"**{r.enforcement}**; {r.kind} rule.{scope}")
        if r.references:
            add(f"- Mirrors: {', '.join(r.references)}")
        add(f"- SOC 2: {', '.join(r.tsc)}")
        add(f"- Remediation: {r.remediation}")
        add(f"- Checks: `{'`, `'.join(t.split(':')[-1] for t in r.types)}`")
        for e in evaluations:
            if r in e.not_applicable:
                add(f"- Satisfied in {e.stack}: not applicable ({e.environment})")
            else:
                add(f"- Satisfied in {e.stack}: {_resources(e.passed.get(r.name, []))}")
        add("")

    add("## Exceptions")
    add("")
    add("Accepted exceptions live in `policy/exceptions.yaml`. An entry accepts one finding: the rule honours it only "
        "when rule, stack or environment, resource name and the exact finding message match and the listed property "
        "values still hold, so a different violation of the same resource is still reported. While it stands, its "
        "compensating controls are mandatory checks (rule `policy-exceptions-hold`), and once its review date has "
        "passed the finding is a violation again.")
    add("")
    if exceptions:
        add("| rule | scope | resource | accepted finding | compensating controls | reason | review by |")
        add("|---|---|---|---|---|---|---|")
        for x in exceptions:
            compensating = "<br>".join(f"`{c.rule}`: {_escape(c.why)}" for c in x.compensating)
            add(f"| {x.rule} | {x.scope} | `{x.resource}` | {_escape(x.condition)} | {compensating} | "
                f"{_escape(x.reason)} | {x.review.isoformat()} |")
    else:
        add("None: every mandatory rule passes on every stack without an exception.")
    add("")
    add("Accepted by design (written into the rule, following AWS guidance):")
    add("")
    for name, control, why in BY_DESIGN:
        add(f"- `{name}` ({control}): {why}")
    add("")
    # resources register in no fixed order: sort so that the generated page only changes when a finding does
    open_advisory = sorted(((e.stack, f) for e in evaluations for f in e.advisory),
                           key=lambda sf: (sf[0], sf[1].rule.name, sf[1].resource, sf[1].message))
    add("## Open advisory findings")
    add("")
    if open_advisory:
        add("Advisory rules record a decision not to chase a control (cost, or no such workload); they never block.")
        add("")
        add("| stack | rule | controls | resource | finding |")
        add("|---|---|---|---|---|")
        for stack, f in open_advisory:
            add(f"| {stack} | {f.rule.name} | {_controls(f.rule)} | `{f.resource}` | {_escape(f.message)} |")
    else:
        add("None.")
    add("")
    out.extend(operations_sections(exceptions, TSC_TITLES))
    add("## What only the live account can prove")
    add("")
    add("The pack sees declarations, not AWS. These need the deployed account (reference/compliance-controls.md §6.2):")
    add("")
    for title, body in LIVE_ONLY:
        add(f"- **{title}**: {body}")
    add("")
    mandatory = sum(1 for r in rules if r.enforcement == MANDATORY)
    add(f"_{len(rules)} rules ({mandatory} mandatory, {len(rules) - mandatory} advisory) over stacks "
        f"{', '.join(stacks)}._")
    return "\n".join(out) + "\n"


def _num(control: str) -> int:
    digits = re.findall(r"\d+", control)
    return int(digits[-1]) if digits else 0
