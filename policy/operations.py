"""docs/compliance.md sections on how SOC 2 is operated: the "Vitality SOC 2" conformance pack (criterion -> the AWS
Config rules the pack evaluates) and the operating calendar (what is reviewed when, and where its evidence is).
Called by policy/docs.py; the pack's rules come from the program (components/conformance_pack.py)."""

from __future__ import annotations

from collections.abc import Sequence

from .framework import PolicyException


def operations_sections(exceptions: Sequence[PolicyException], criterion_title: dict[str, str]) -> list[str]:
    from components.conformance_pack import PACK_TITLE, _criterion_order, packed_rules, rule_criteria
    from components.security_config import managed_rules
    from components.settings import SecuritySettings

    rules = packed_rules(managed_rules(SecuritySettings(account_baseline=True)))
    by_criterion: dict[str, list[str]] = {}
    for identifier, rule in rules.items():
        for criterion in rule_criteria(rule):
            by_criterion.setdefault(criterion, []).append(identifier)
    out = [f"## Conformance pack \"{PACK_TITLE}\"", "",
           f"AWS Config evaluates these {len(rules)} managed rules in one conformance pack (`<stack>-soc2`), so the "
           "Config console and `GetConformancePackComplianceSummary` give a compliance score over time; the weekly "
           "report records it. Each rule is evaluated once (not also as a standalone rule); the four with an SSM "
           "remediation carry it inside the pack.", "",
           "| criterion | pack rules (AWS Config managed rule identifiers) |", "|---|---|"]
    for criterion in sorted(by_criterion, key=_criterion_order):
        out.append(f"| **{criterion}** {criterion_title.get(criterion, '')} | "
                   f"{', '.join(f'`{r}`' for r in sorted(by_criterion[criterion]))} |")
    out += ["", "## SOC 2 operating calendar", "",
            "| cadence | activity | criteria | evidence |", "|---|---|---|---|"]
    calendar = [
        ("weekly", "Compliance report: failed controls by severity and standard, new and resolved findings, GuardDuty, "
         "unused access, the pack's score", "CC4.1, CC4.2, CC7.2",
         "audit bucket `compliance-reports/<date>/report.json` and `report.md` (Object Lock in prod); summary on the "
         "warning topic"),
        ("daily", "Drift check: `pulumi preview --refresh --expect-no-changes` of every stack", "CC8.1",
         "GitHub Actions `drift` runs; an open issue labelled `drift` when something differs"),
        ("monthly", "Restore test results reviewed (database restore drill)", "A1.2, CC7.4",
         "AWS Backup restore jobs and their alarms; docs/database.md"),
        ("monthly", "Alarm review: every alarm that fired, its cause and fix", "CC4.2, CC7.3",
         "CloudWatch alarm history; the critical and warning topics' deliveries"),
        ("quarterly", "Access review from the IAM Access Analyzer unused-access findings", "CC6.2, CC6.3",
         "Access Analyzer `<stack>-unused-access` findings; the weekly report's unused-access section"),
        ("yearly", "Key and policy review: KMS keys (rotation, key policies), IAM policies, this control map",
         "CC6.1, CC6.3", "KMS key rotation status; docs/encryption.md; this page's history"),
    ]
    for review in sorted({x.review for x in exceptions}):
        rules_due = ", ".join(sorted({f"`{x.rule}`" for x in exceptions if x.review == review}))
        calendar.append((f"by {review.isoformat()}", f"Exception review: {rules_due}", "CC3.2",
                         "policy/exceptions.yaml (reason and review date of each accepted exception)"))
    out += [f"| {c} | {a} | {k} | {e} |" for c, a, k, e in calendar]
    out.append("")
    return out
