"""functions/compliance_report: the weekly report against stubbed AWS responses (botocore Stubber, no network)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from functions.compliance_report import handler

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
LAST = NOW - timedelta(days=7)
ENV = {"REPORT_BUCKET": "audit-bucket", "REPORT_PREFIX": "compliance-reports", "SUMMARY_TOPIC_ARN":
       "arn:aws:sns:us-west-2:111122223333:warning", "CONFORMANCE_PACK": "vitality-prod-soc2", "STACK": "vitality-prod"}
FSBP = "standards/aws-foundational-security-best-practices/v/1.0.0"
CIS = "standards/cis-aws-foundations-benchmark/v/3.0.0"


def _client(service: str) -> Any:
    return boto3.client(service, region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def stubs() -> Iterator[dict[str, Stubber]]:
    clients = {name: _client(name) for name in ("securityhub", "guardduty", "accessanalyzer", "config", "s3", "sns")}
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for s in stubbers.values():
        s.activate()
    yield stubbers
    for s in stubbers.values():
        s.assert_no_pending_responses()
        s.deactivate()


def _clients(stubs: dict[str, Stubber]) -> dict[str, Any]:
    return {name: s.client for name, s in stubs.items()}


def _control(control: str, severity: str, *standards: str, finding_id: str = "") -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08", "Id": finding_id or f"{control}-finding", "ProductArn": "arn:aws:securityhub:::product/aws/securityhub",
        "GeneratorId": control, "AwsAccountId": "111122223333", "CreatedAt": LAST.isoformat(), "UpdatedAt": NOW.isoformat(),
        "Title": control, "Description": control, "Resources": [{"Type": "AwsAccount", "Id": "AWS::::Account:111122223333"}],
        "Severity": {"Label": severity},
        "Compliance": {"Status": "FAILED", "SecurityControlId": control,
                       "AssociatedStandards": [{"StandardsId": s} for s in standards]},
    }


def _previous(stubs: dict[str, Stubber], exists: bool = True) -> None:
    request = {"Bucket": "audit-bucket", "Prefix": "compliance-reports/"}
    if not exists:
        stubs["s3"].add_response("list_objects_v2", {"KeyCount": 0}, request)
        return
    older = {"Key": "compliance-reports/2026-11-23/report.json", "LastModified": LAST - timedelta(days=7)}
    markdown = {"Key": "compliance-reports/2026-11-30/report.md", "LastModified": LAST + timedelta(seconds=1)}
    newest = {"Key": "compliance-reports/2026-11-30/report.json", "LastModified": LAST}
    stubs["s3"].add_response("list_objects_v2", {"Contents": [older], "IsTruncated": True, "NextContinuationToken": "c"}, request)
    stubs["s3"].add_response("list_objects_v2", {"Contents": [markdown, newest]}, {**request, "ContinuationToken": "c"})


def _hub(stubs: dict[str, Stubber], failed_pages: list[list[dict[str, Any]]], new: list[dict[str, Any]],
         resolved: list[dict[str, Any]]) -> None:
    hub = stubs["securityhub"]
    for index, page in enumerate(failed_pages):
        response: dict[str, Any] = {"Findings": page}
        if index + 1 < len(failed_pages):
            response["NextToken"] = f"page-{index + 1}"
        hub.add_response("get_findings", response)
    hub.add_response("get_findings", {"Findings": new})
    hub.add_response("get_findings", {"Findings": resolved})


def _writes(stubs: dict[str, Stubber]) -> None:
    for _ in range(2):
        stubs["s3"].add_response("put_object", {}, {"Bucket": "audit-bucket", "Key": ANY, "Body": ANY, "ContentType": ANY,
                                                    "ChecksumAlgorithm": "SHA256"})
    stubs["sns"].add_response("publish", {"MessageId": "m-1"}, {"TopicArn": ENV["SUMMARY_TOPIC_ARN"], "Subject": ANY,
                                                               "Message": ANY})


def _quiet_services(stubs: dict[str, Stubber]) -> None:
    stubs["guardduty"].add_response("list_detectors", {"DetectorIds": []})
    stubs["accessanalyzer"].add_response("list_analyzers", {"analyzers": []}, {"type": "ACCOUNT_UNUSED_ACCESS"})
    stubs["config"].add_response("describe_conformance_pack_compliance",
                                 {"ConformancePackName": "vitality-prod-soc2", "ConformancePackRuleComplianceList": []},
                                 {"ConformancePackName": "vitality-prod-soc2"})


def _capture(stubs: dict[str, Stubber]) -> dict[str, bytes]:
    """What run() wrote, recorded through a botocore event hook (the Stubber checks the calls, this reads bodies)."""
    bodies: dict[str, bytes] = {}

    def record(params: dict[str, Any], **_: Any) -> None:
        bodies[params["Key"]] = params["Body"]

    stubs["s3"].client.meta.events.register("provide-client-params.s3.PutObject", record)
    return bodies


def test_a_week_with_failed_controls_over_two_pages_and_every_service(stubs: dict[str, Stubber]) -> None:
    _previous(stubs)
    _hub(
        stubs,
        failed_pages=[
            [_control("S3.8", "HIGH", FSBP, CIS, finding_id="a"), _control("S3.8", "HIGH", FSBP, CIS, finding_id="b")],
            [_control("IAM.6", "CRITICAL", FSBP, finding_id="c"), _control("EC2.2", "HIGH", CIS, finding_id="d")],
        ],
        new=[_control("EC2.2", "HIGH", CIS, finding_id="d")],
        resolved=[_control("KMS.4", "MEDIUM", FSBP, finding_id="e")],
    )
    gd = stubs["guardduty"]
    gd.add_response("list_detectors", {"DetectorIds": ["det1"]})
    gd.add_response("list_findings", {"FindingIds": ["f1", "f2"], "NextToken": "t"})
    gd.add_response("list_findings", {"FindingIds": ["f3"]})
    gd.add_response("get_findings", {"Findings": [_gd("f1", 8.0), _gd("f2", 5.0), _gd("f3", 9.5)]},
                    {"DetectorId": "det1", "FindingIds": ["f1", "f2", "f3"]})
    aa = stubs["accessanalyzer"]
    analyzer = "arn:aws:access-analyzer:us-west-2:111122223333:analyzer/vitality-prod-unused-access"
    aa.add_response("list_analyzers", {"analyzers": [_analyzer(analyzer)]}, {"type": "ACCOUNT_UNUSED_ACCESS"})
    aa.add_response("list_findings_v2", {"findings": [_unused("u1", "UnusedIAMRole")], "nextToken": "n"})
    aa.add_response("list_findings_v2", {"findings": [_unused("u2", "UnusedPermission"), _unused("u3", "UnusedIAMRole")]})
    cfg = stubs["config"]
    cfg.add_response("describe_conformance_pack_compliance", {
        "ConformancePackName": "vitality-prod-soc2", "NextToken": "next",
        "ConformancePackRuleComplianceList": [{"ConfigRuleName": "r1", "ComplianceType": "COMPLIANT"},
                                              {"ConfigRuleName": "r2", "ComplianceType": "NON_COMPLIANT"}]})
    cfg.add_response("describe_conformance_pack_compliance", {
        "ConformancePackName": "vitality-prod-soc2",
        "ConformancePackRuleComplianceList": [{"ConfigRuleName": "r3", "ComplianceType": "COMPLIANT"},
                                              {"ConfigRuleName": "r4", "ComplianceType": "INSUFFICIENT_DATA"}]},
        {"ConformancePackName": "vitality-prod-soc2", "NextToken": "next"})
    _writes(stubs)
    bodies = _capture(stubs)

    result = handler.run(_clients(stubs), ENV, NOW)

    assert result == {"folder": "compliance-reports/2026-12-07", "failedControls": 3}
    report = json.loads(bodies["compliance-reports/2026-12-07/report.json"])
    hub = report["securityHub"]
    assert hub["failedBySeverity"] == {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 0, "LOW": 0, "INFORMATIONAL": 0}
    assert hub["failedByStandard"] == {"aws-foundational-security-best-practices 1.0.0": 2, "cis-aws-foundations-benchmark 3.0.0": 2}
    assert hub["failedControlIds"] == ["IAM.6", "EC2.2", "S3.8"]
    assert hub["newFindings"]["HIGH"] == 1 and hub["resolvedFindings"]["MEDIUM"] == 1
    assert report["since"] == LAST.isoformat()
    assert report["guardDuty"] == {"enabled": True, "activeFindings": 3,
                                   "bySeverity": {"CRITICAL": 1, "HIGH": 1, "MEDIUM": 1, "LOW": 0, "INFORMATIONAL": 0}}
    assert report["unusedAccess"]["byType"] == {"UnusedIAMRole": 2, "UnusedPermission": 1}
    assert report["conformancePack"]["score"] == 66.7 and report["conformancePack"]["nonCompliantRuleNames"] == ["r2"]
    markdown = bodies["compliance-reports/2026-12-07/report.md"].decode()
    assert "Failed controls: **3**" in markdown and "66.7 %" in markdown
    assert set(bodies) == {"compliance-reports/2026-12-07/report.json", "compliance-reports/2026-12-07/report.md"}


def test_an_empty_first_week_reports_zeros_and_looks_back_seven_days(stubs: dict[str, Stubber]) -> None:
    _previous(stubs, exists=False)
    _hub(stubs, failed_pages=[[]], new=[], resolved=[])
    _quiet_services(stubs)
    _writes(stubs)
    bodies = _capture(stubs)

    handler.run(_clients(stubs), ENV, NOW)

    report = json.loads(bodies["compliance-reports/2026-12-07/report.json"])
    assert report["since"] == (NOW - timedelta(days=7)).isoformat()
    assert report["securityHub"]["failedControls"] == 0 and set(report["securityHub"]["failedBySeverity"].values()) == {0}
    assert report["guardDuty"] == {"enabled": False, "reason": "no GuardDuty detector in this region"}
    assert report["unusedAccess"]["enabled"] is False
    assert report["conformancePack"]["score"] is None  # no evaluation yet is not 0 % and not 100 %
    assert "no evaluations yet" in bodies["compliance-reports/2026-12-07/report.md"].decode()


def test_services_that_are_not_enabled_are_reported_not_raised(stubs: dict[str, Stubber]) -> None:
    _previous(stubs)
    stubs["securityhub"].add_client_error("get_findings", service_error_code="InvalidAccessException",
                                          service_message="Account is not subscribed to AWS Security Hub", http_status_code=401)
    stubs["guardduty"].add_client_error("list_detectors", service_error_code="BadRequestException", http_status_code=400)
    stubs["accessanalyzer"].add_client_error("list_analyzers", service_error_code="AccessDeniedException", http_status_code=403)
    stubs["config"].add_client_error("describe_conformance_pack_compliance",
                                     service_error_code="NoSuchConformancePackException", http_status_code=400)
    _writes(stubs)
    bodies = _capture(stubs)

    result = handler.run(_clients(stubs), ENV, NOW)

    report = json.loads(bodies["compliance-reports/2026-12-07/report.json"])
    assert result["failedControls"] is None
    assert {k: report[k]["enabled"] for k in ("securityHub", "guardDuty", "unusedAccess", "conformancePack")} == {
        "securityHub": False, "guardDuty": False, "unusedAccess": False, "conformancePack": False}
    assert report["securityHub"]["reason"].startswith("InvalidAccessException")
    assert "Not enabled: InvalidAccessException" in bodies["compliance-reports/2026-12-07/report.md"].decode()


def test_an_unexpected_error_fails_the_run_so_the_error_alarm_fires(stubs: dict[str, Stubber]) -> None:
    _previous(stubs)
    stubs["securityhub"].add_client_error("get_findings", service_error_code="ThrottlingException", http_status_code=400)
    with pytest.raises(Exception, match="ThrottlingException"):
        handler.run(_clients(stubs), ENV, NOW)


def test_the_summary_is_short_and_points_to_the_report() -> None:
    report = {
        "securityHub": {"enabled": True, "failedControls": 2, "failedBySeverity": {"CRITICAL": 1, "HIGH": 1},
                        "newFindings": {"HIGH": 3}, "resolvedFindings": {"LOW": 1}},
        "conformancePack": {"enabled": True, "score": 90.0},
        "guardDuty": {"enabled": False}, "unusedAccess": {"enabled": True, "activeFindings": 4},
    }
    text = handler.summary(report, "s3://audit/compliance-reports/2026-12-07/report.md")
    assert text.startswith("2 failed controls (1 critical, 1 high); 3 new and 1 resolved findings")
    assert "SOC 2 pack 90.0 % compliant" in text and "GuardDuty: not enabled" in text
    assert text.endswith("Report: s3://audit/compliance-reports/2026-12-07/report.md")


def _gd(finding_id: str, severity: float) -> dict[str, Any]:
    return {"AccountId": "111122223333", "Arn": f"arn:aws:guardduty:us-west-2:111122223333:detector/det1/finding/{finding_id}",
            "CreatedAt": NOW.isoformat(), "Id": finding_id, "Region": "us-west-2", "Resource": {}, "SchemaVersion": "2.0",
            "Severity": severity, "Type": "Recon:EC2/PortProbeUnprotectedPort", "UpdatedAt": NOW.isoformat()}


def _analyzer(arn: str) -> dict[str, Any]:
    return {"arn": arn, "name": arn.rsplit("/", 1)[-1], "type": "ACCOUNT_UNUSED_ACCESS", "createdAt": LAST, "status": "ACTIVE"}


def _unused(finding_id: str, kind: str) -> dict[str, Any]:
    return {"id": finding_id, "resourceType": "AWS::IAM::Role", "createdAt": LAST, "analyzedAt": NOW, "updatedAt": NOW,
            "status": "ACTIVE", "resourceOwnerAccount": "111122223333", "findingType": kind}
