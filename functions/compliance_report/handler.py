"""Weekly SOC 2 compliance report (invoked by EventBridge Scheduler; deployed by components/compliance_report.py).

Collects, for the account and the aggregation region:
- failed Security Hub controls (active, FAILED control findings) by severity and by standard;
- findings created since the previous report ("new") and findings resolved or archived since then ("resolved");
- GuardDuty findings by severity; IAM Access Analyzer unused-access findings by type;
- the compliance of the "Vitality SOC 2" conformance pack (compliant rules / rules with a result).
A service that is not enabled (or not reachable with this role) is reported as such, never as "no findings".

Writes `<prefix>/<date>/report.json` and `report.md` to the audit bucket (the next run starts where the newest
report.json ends) and publishes a short summary with the report's location to the summary topic.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

import boto3
from botocore.exceptions import ClientError

DEFAULT_WINDOW = timedelta(days=7)
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
GUARDDUTY_BATCH = 50  # GetFindings accepts at most 50 ids
# errors meaning "this service is not enabled here" (or this role may not read it), reported, not raised
NOT_ENABLED = {
    "InvalidAccessException",  # Security Hub not enabled
    "BadRequestException",  # GuardDuty without a detector
    "NoSuchConformancePackException",
    "AccessDeniedException",
    "ResourceNotFoundException",
}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    clients = {name: boto3.client(name) for name in ("securityhub", "guardduty", "accessanalyzer", "config", "s3", "sns")}
    return run(clients, os.environ, datetime.now(UTC))


def run(clients: dict[str, Any], env: Any, now: datetime) -> dict[str, Any]:
    bucket, prefix, topic = env["REPORT_BUCKET"], env["REPORT_PREFIX"], env["SUMMARY_TOPIC_ARN"]
    since = previous_report_time(clients["s3"], bucket, prefix) or now - DEFAULT_WINDOW
    report = build_report(clients, env.get("CONFORMANCE_PACK", ""), since, now)
    report["stack"] = env.get("STACK", "")
    folder = f"{prefix}/{now:%Y-%m-%d}"
    s3 = clients["s3"]
    s3.put_object(Bucket=bucket, Key=f"{folder}/report.json", Body=json.dumps(report, indent=2, sort_keys=True).encode(),
                  ContentType="application/json", ChecksumAlgorithm="SHA256")
    s3.put_object(Bucket=bucket, Key=f"{folder}/report.md", Body=markdown(report).encode(),
                  ContentType="text/markdown; charset=utf-8", ChecksumAlgorithm="SHA256")
    clients["sns"].publish(TopicArn=topic, Subject=f"Compliance report {now:%Y-%m-%d}"[:100],
                           Message=summary(report, f"s3://{bucket}/{folder}/report.md"))
    return {"folder": folder, "failedControls": report["securityHub"].get("failedControls")}


def previous_report_time(s3: Any, bucket: str, prefix: str) -> Optional[datetime]:
    """When the last report was written: the newest `<prefix>/<date>/report.json` (a listing under the prefix, which
    is all the role may list)."""
    latest: Optional[datetime] = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/report.json") and (latest is None or item["LastModified"] > latest):
                latest = item["LastModified"]
    return latest


def build_report(clients: dict[str, Any], pack: str, since: datetime, now: datetime) -> dict[str, Any]:
    return {
        "generatedAt": now.isoformat(),
        "since": since.isoformat(),
        "securityHub": _guarded(lambda: security_hub(clients["securityhub"], since, now)),
        "guardDuty": _guarded(lambda: guardduty(clients["guardduty"])),
        "unusedAccess": _guarded(lambda: unused_access(clients["accessanalyzer"])),
        "conformancePack": _guarded(lambda: conformance_pack(clients["config"], pack)) if pack
        else {"enabled": False, "reason": "no conformance pack configured"},
    }


def _guarded(collect: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"enabled": True, **collect()}
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in NOT_ENABLED:
            return {"enabled": False, "reason": f"{code}: {error.response['Error'].get('Message', '')}"}
        raise


def _findings(securityhub: Any, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for page in securityhub.get_paginator("get_findings").paginate(Filters=filters, PaginationConfig={"PageSize": 100}):
        yield from page["Findings"]


def security_hub(securityhub: Any, since: datetime, now: datetime) -> dict[str, Any]:
    failed = {
        "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        "WorkflowStatus": [{"Value": "SUPPRESSED", "Comparison": "NOT_EQUALS"}],
    }
    controls: dict[str, dict[str, Any]] = {}
    for finding in _findings(securityhub, failed):
        control = finding.get("Compliance", {}).get("SecurityControlId")
        if not control:
            continue
        entry = controls.setdefault(control, {"severity": finding.get("Severity", {}).get("Label", "INFORMATIONAL"),
                                              "standards": set(), "resources": 0})
        entry["resources"] += 1
        for standard in finding.get("Compliance", {}).get("AssociatedStandards", []):
            entry["standards"].add(_standard_name(standard.get("StandardsId", "")))
    by_severity = Counter(c["severity"] for c in controls.values())
    by_standard = Counter(s for c in controls.values() for s in c["standards"])
    new = list(_findings(securityhub, {"CreatedAt": [_range_filter(since, now)],
                                        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}))
    resolved = list(_findings(securityhub, {"UpdatedAt": [_range_filter(since, now)],
                                             "WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "EQUALS"}]}))
    return {
        "failedControls": len(controls),
        "failedBySeverity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "failedByStandard": dict(sorted(by_standard.items())),
        "failedControlIds": sorted(controls, key=lambda c: (SEVERITIES.index(controls[c]["severity"])
                                                            if controls[c]["severity"] in SEVERITIES else 9, c)),
        "newFindings": _by_severity(new),
        "resolvedFindings": _by_severity(resolved),
    }


def _range_filter(since: datetime, now: datetime) -> dict[str, str]:
    return {"Start": since.isoformat(), "End": now.isoformat()}


def _by_severity(findings: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(f.get("Severity", {}).get("Label", "INFORMATIONAL") for f in findings)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def _standard_name(standards_id: str) -> str:
    # standards/aws-foundational-security-best-practices/v/1.0.0 -> aws-foundational-security-best-practices 1.0.0
    parts = standards_id.split("/")
    return f"{parts[1]} {parts[3]}" if len(parts) >= 4 and parts[0] in ("standards", "ruleset") else standards_id


def guardduty(client: Any) -> dict[str, Any]:
    detectors = client.list_detectors()["DetectorIds"]
    if not detectors:
        return {"enabled": False, "reason": "no GuardDuty detector in this region"}
    counts: Counter[str] = Counter()
    for detector in detectors:
        ids: list[str] = []
        criteria = {"Criterion": {"service.archived": {"Eq": ["false"]}}}
        for page in client.get_paginator("list_findings").paginate(DetectorId=detector, FindingCriteria=criteria):
            ids.extend(page["FindingIds"])
        for start in range(0, len(ids), GUARDDUTY_BATCH):
            found = client.get_findings(DetectorId=detector, FindingIds=ids[start:start + GUARDDUTY_BATCH])["Findings"]
            counts.update(_guardduty_severity(f["Severity"]) for f in found)
    return {"activeFindings": sum(counts.values()), "bySeverity": {s: counts.get(s, 0) for s in SEVERITIES}}


def _guardduty_severity(score: float) -> str:
    # GuardDuty's bands: 9.0-10 critical, 7.0-8.9 high, 4.0-6.9 medium, 1.0-3.9 low
    return "CRITICAL" if score >= 9 else "HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW"


def unused_access(client: Any) -> dict[str, Any]:
    analyzers = client.list_analyzers(type="ACCOUNT_UNUSED_ACCESS")["analyzers"]
    if not analyzers:
        return {"enabled": False, "reason": "no unused-access analyzer"}
    counts: Counter[str] = Counter()
    for analyzer in analyzers:
        pages = client.get_paginator("list_findings_v2").paginate(
            analyzerArn=analyzer["arn"], filter={"status": {"eq": ["ACTIVE"]}}
        )
        for page in pages:
            counts.update(f.get("findingType", "unknown") for f in page["findings"])
    return {"activeFindings": sum(counts.values()), "byType": dict(sorted(counts.items()))}


def conformance_pack(client: Any, pack: str) -> dict[str, Any]:
    compliant = non_compliant = 0
    failing: list[str] = []
    token: Optional[str] = None
    while True:
        request: dict[str, Any] = {"ConformancePackName": pack}
        if token:
            request["NextToken"] = token
        page = client.describe_conformance_pack_compliance(**request)
        for rule in page["ConformancePackRuleComplianceList"]:
            status = rule.get("ComplianceType")
            if status == "COMPLIANT":
                compliant += 1
            elif status == "NON_COMPLIANT":
                non_compliant += 1
                failing.append(rule["ConfigRuleName"])
        token = page.get("NextToken")
        if not token:
            break
    evaluated = compliant + non_compliant
    return {
        "name": pack,
        "compliantRules": compliant,
        "nonCompliantRules": non_compliant,
        "score": round(100 * compliant / evaluated, 1) if evaluated else None,
        "nonCompliantRuleNames": sorted(failing),
    }


def markdown(report: dict[str, Any]) -> str:
    hub, pack = report["securityHub"], report["conformancePack"]
    lines = [f"# Compliance report {report['generatedAt'][:10]} ({report.get('stack', '')})", "",
             f"Period: {report['since']} to {report['generatedAt']}.", ""]
    lines += ["## Security Hub controls", ""]
    if hub["enabled"]:
        lines += [f"Failed controls: **{hub['failedControls']}**", "", "| severity | failed controls | new findings | "
                  "resolved findings |", "|---|---|---|---|"]
        lines += [f"| {s} | {hub['failedBySeverity'][s]} | {hub['newFindings'][s]} | {hub['resolvedFindings'][s]} |"
                  for s in SEVERITIES]
        lines += ["", "| standard | failed controls |", "|---|---|"]
        lines += [f"| {s} | {n} |" for s, n in hub["failedByStandard"].items()] or ["| — | 0 |"]
        if hub["failedControlIds"]:
            lines += ["", "Failed: " + ", ".join(hub["failedControlIds"])]
    else:
        lines.append(f"Not enabled: {hub['reason']}")
    lines += ["", "## SOC 2 conformance pack", ""]
    if pack["enabled"]:
        score = "no evaluations yet" if pack["score"] is None else f"{pack['score']} %"
        lines += [f"{pack['name']}: {score} ({pack['compliantRules']} compliant, {pack['nonCompliantRules']} "
                  "non-compliant rules)"]
        lines += [f"- {name}" for name in pack["nonCompliantRuleNames"]]
    else:
        lines.append(f"Not enabled: {pack['reason']}")
    for title, key, field in (("GuardDuty", "guardDuty", "bySeverity"), ("Unused access (IAM Access Analyzer)",
                                                                         "unusedAccess", "byType")):
        part = report[key]
        lines += ["", f"## {title}", ""]
        if part["enabled"]:
            lines.append(f"Active findings: **{part['activeFindings']}**")
            lines += [f"- {k}: {v}" for k, v in part[field].items() if v]
        else:
            lines.append(f"Not enabled: {part['reason']}")
    return "\n".join(lines) + "\n"


def summary(report: dict[str, Any], location: str) -> str:
    hub, pack = report["securityHub"], report["conformancePack"]
    parts = []
    if hub["enabled"]:
        sev = hub["failedBySeverity"]
        parts.append(f"{hub['failedControls']} failed controls ({sev['CRITICAL']} critical, {sev['HIGH']} high); "
                     f"{sum(hub['newFindings'].values())} new and {sum(hub['resolvedFindings'].values())} resolved "
                     "findings")
    else:
        parts.append("Security Hub not enabled")
    if pack["enabled"] and pack["score"] is not None:
        parts.append(f"SOC 2 pack {pack['score']} % compliant")
    for label, key in (("GuardDuty", "guardDuty"), ("unused access", "unusedAccess")):
        part = report[key]
        parts.append(f"{label}: {part['activeFindings']} active" if part["enabled"] else f"{label}: not enabled")
    return "; ".join(parts) + f".\nReport: {location}"
