"""The restore-test reporter Lambda (functions/restore_report) against stubbed AWS responses (botocore Stubber)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

_SPEC = importlib.util.spec_from_file_location(
    "restore_report", Path(__file__).resolve().parent.parent / "functions" / "restore_report" / "handler.py"
)
assert _SPEC is not None and _SPEC.loader is not None
report = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(report)

PLAN = "arn:aws:backup:us-west-2:111122223333:restore-testing-plan:vitality_prod_aurora-1a2b"
KEY = "arn:aws:kms:us-west-2:111122223333:key/0f0e0d0c-0000-1111-2222-333344445555"
TOPIC = "arn:aws:sns:us-west-2:111122223333:vitality-prod-warning"
CREATED = "arn:aws:rds:us-west-2:111122223333:cluster:awsbackup-restore-test-abc123"
START = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "RESTORE_TESTING_PLAN_ARN": PLAN, "RESTORE_TESTING_PLAN_NAME": "vitality_prod_aurora", "TOPIC_ARN": TOPIC, "METRIC_NAMESPACE": "Vitality/RestoreTesting",
        "STACK": "vitality/prod", "EXPECTED_KMS_KEY_ARN": KEY, "EXPECTED_SUBNET_GROUP": "vitality-prod-net-database-1a2b3c4",
        "MAX_AGE_DAYS": "34", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def stubs() -> Iterator[dict[str, Stubber]]:
    clients = {name: boto3.client(name, region_name="us-west-2") for name in ("backup", "rds", "cloudwatch", "sns")}
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    yield stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def _clients(stubs: dict[str, Stubber]) -> dict[str, Any]:
    return {name: stubber.client for name, stubber in stubs.items()}


def _job(status: str = "COMPLETED", plan: str = PLAN, minutes: int = 42) -> dict[str, Any]:
    return {
        "RestoreJobId": "job-1", "Status": status, "CreatedBy": {"RestoreTestingPlanArn": plan},
        "CreationDate": START, "CompletionDate": START + dt.timedelta(minutes=minutes),
        "CreatedResourceArn": CREATED, "RecoveryPointArn": "arn:aws:rds:us-west-2:111122223333:cluster-snapshot:awsbackup:job-9",
        "RecoveryPointCreationDate": START - dt.timedelta(hours=2), "StatusMessage": "" if status == "COMPLETED" else "boom",
    }


def _cluster(**overrides: Any) -> dict[str, Any]:
    return {"DBClusters": [{"DBClusterIdentifier": "awsbackup-restore-test-abc123", "Status": "available",
                            "StorageEncrypted": True, "KmsKeyId": KEY,
                            "DBSubnetGroup": "vitality-prod-net-database-1a2b3c4", **overrides}]}


def _expect_metrics(stubs: dict[str, Stubber], metrics: list[tuple[str, float]]) -> None:
    stubs["cloudwatch"].add_response("put_metric_data", {}, {
        "Namespace": "Vitality/RestoreTesting",
        "MetricData": [{"MetricName": name, "Dimensions": [{"Name": "Stack", "Value": "vitality/prod"}], "Value": value,
                        "Unit": ANY} for name, value in metrics],
    })


def _event() -> dict[str, Any]:
    return {"source": "aws.backup", "detail-type": "Restore Job State Change", "detail": {"restoreJobId": "job-1"}}


def test_a_completed_restore_is_validated_measured_and_reported(stubs: dict[str, Stubber]) -> None:
    stubs["backup"].add_response("describe_restore_job", _job(), {"RestoreJobId": "job-1"})
    stubs["rds"].add_response("describe_db_clusters", _cluster(), {"DBClusterIdentifier": "awsbackup-restore-test-abc123"})
    stubs["backup"].add_response("put_restore_validation_result", {}, {
        "RestoreJobId": "job-1", "ValidationStatus": "SUCCESSFUL", "ValidationStatusMessage": ANY})
    _expect_metrics(stubs, [("RestoreTestSucceeded", 1.0), ("RestoreDurationMinutes", 42.0)])
    stubs["sns"].add_response("publish", {"MessageId": "m-1"}, {
        "TopicArn": TOPIC, "Subject": "[vitality/prod] Aurora restore test succeeded (42.0 minutes)", "Message": ANY})
    result = report.handler(_event(), clients=_clients(stubs))
    assert result["validation"] == "SUCCESSFUL" and result["durationMinutes"] == 42.0


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"KmsKeyId": "arn:aws:kms:us-west-2:111122223333:key/other"}, "not the data key"),
    ({"DBSubnetGroup": "default"}, "not the database subnets"),
    ({"Status": "creating"}, "status creating"),
])
def test_a_restore_that_lost_a_protection_fails_validation(stubs: dict[str, Stubber], overrides: dict, problem: str) -> None:
    stubs["backup"].add_response("describe_restore_job", _job(), {"RestoreJobId": "job-1"})
    stubs["rds"].add_response("describe_db_clusters", _cluster(**overrides), {"DBClusterIdentifier": ANY})
    stubs["backup"].add_response("put_restore_validation_result", {}, {
        "RestoreJobId": "job-1", "ValidationStatus": "FAILED", "ValidationStatusMessage": ANY})
    _expect_metrics(stubs, [("RestoreTestSucceeded", 0.0), ("RestoreDurationMinutes", 42.0)])
    stubs["sns"].add_response("publish", {"MessageId": "m-1"}, {"TopicArn": TOPIC, "Subject": ANY, "Message": ANY})
    result = report.handler(_event(), clients=_clients(stubs))
    assert result["validation"] == "FAILED" and problem in result["reason"]


def test_a_failed_restore_job_is_reported_without_validation(stubs: dict[str, Stubber]) -> None:
    stubs["backup"].add_response("describe_restore_job", _job("FAILED", minutes=5), {"RestoreJobId": "job-1"})
    _expect_metrics(stubs, [("RestoreTestSucceeded", 0.0), ("RestoreDurationMinutes", 5.0)])
    stubs["sns"].add_response("publish", {"MessageId": "m-1"}, {
        "TopicArn": TOPIC, "Subject": "[vitality/prod] Aurora restore test FAILED (5.0 minutes)", "Message": ANY})
    result = report.handler(_event(), clients=_clients(stubs))
    assert json.loads(json.dumps(result))["status"] == "FAILED" and result["reason"] == "boom"


@pytest.mark.parametrize("job", [_job(plan="arn:aws:backup:us-west-2:111122223333:restore-testing-plan:other"), _job("RUNNING")])
def test_other_restores_and_running_jobs_are_ignored(stubs: dict[str, Stubber], job: dict) -> None:
    stubs["backup"].add_response("describe_restore_job", job, {"RestoreJobId": "job-1"})
    assert "ignored" in report.handler(_event(), clients=_clients(stubs))


def _validated(status: str) -> dict[str, Any]:
    return {**_job(), "ValidationStatus": status}


def _plan_created(days_ago: int) -> dict[str, Any]:
    created = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return {"RestoreTestingPlan": {"CreationTime": created, "RestoreTestingPlanName": "vitality_prod_aurora", "RestoreTestingPlanArn": PLAN,
                                   "ScheduleExpression": "cron(0 7 1 * ? *)",
                                   "RecoveryPointSelection": {"Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": ["*"],
                                                              "RecoveryPointTypes": ["SNAPSHOT"]}}}


def test_no_test_is_overdue_before_a_new_plan_had_its_first_one(stubs: dict[str, Stubber]) -> None:
    stubs["backup"].add_response("get_restore_testing_plan", _plan_created(days_ago=3),
                                 {"RestoreTestingPlanName": "vitality_prod_aurora"})
    _expect_metrics(stubs, [("RestoreTestOverdue", 0.0)])
    result = report.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, clients=_clients(stubs))
    assert result == {"overdue": False, "maxAgeDays": 34, "firstTestPending": True}


@pytest.mark.parametrize(("pages", "overdue"), [
    ([[]], 1.0),  # no test completed: it did not run
    ([[_validated("TIMED_OUT")]], 1.0),  # completed, but the reporter never validated it
    ([[_validated("FAILED")], [_validated("SUCCESSFUL")]], 0.0),  # a validated test on the second page
])
def test_the_daily_check_flags_a_test_that_did_not_run_or_validate(stubs: dict[str, Stubber], pages: list, overdue: float) -> None:
    stubs["backup"].add_response("get_restore_testing_plan", _plan_created(days_ago=90),
                                 {"RestoreTestingPlanName": "vitality_prod_aurora"})
    for i, jobs in enumerate(pages):
        expected = {"ByRestoreTestingPlanArn": PLAN, "ByStatus": "COMPLETED", "ByCompleteAfter": ANY}
        if i:
            expected["NextToken"] = f"page-{i}"
        response = {"RestoreJobs": jobs, **({"NextToken": f"page-{i + 1}"} if i + 1 < len(pages) else {})}
        stubs["backup"].add_response("list_restore_jobs", response, expected)
    _expect_metrics(stubs, [("RestoreTestOverdue", overdue)])
    result = report.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, clients=_clients(stubs))
    assert result == {"overdue": bool(overdue), "maxAgeDays": 34}
