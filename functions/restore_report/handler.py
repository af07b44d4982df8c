"""Restore-test reporter: validates each AWS Backup restore test of the Aurora cluster and reports it as RTO evidence.

Two triggers (EventBridge):
- "Restore Job State Change" from aws.backup: for a job of this stack's restore testing plan that has finished,
  check the restored cluster (available, encrypted with the expected key, in the database subnet group), tell
  AWS Backup the validation result (it then deletes the test restore), publish the metrics RestoreTestSucceeded
  (1/0) and RestoreDurationMinutes (the restore job's duration: the measured RTO of a snapshot restore), and send
  a summary to the warning topic.
- a daily schedule: RestoreTestOverdue is 1 when no restore test of the plan completed and validated within
  MAX_AGE_DAYS, so a test that does not run (or whose validation never arrived) raises an alarm too.

Environment: RESTORE_TESTING_PLAN_ARN, TOPIC_ARN, METRIC_NAMESPACE, STACK, EXPECTED_KMS_KEY_ARN,
EXPECTED_SUBNET_GROUP, MAX_AGE_DAYS.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import boto3

TERMINAL = ("COMPLETED", "FAILED", "ABORTED")
RESTORE_EVENT = "Restore Job State Change"


def _clients() -> dict[str, Any]:
    return {name: boto3.client(name) for name in ("backup", "rds", "cloudwatch", "sns")}


def handler(event: dict[str, Any], context: Any = None, clients: dict[str, Any] | None = None) -> dict[str, Any]:
    clients = clients or _clients()
    if event.get("detail-type") == RESTORE_EVENT:
        return report_restore(event.get("detail", {}), clients)
    return report_overdue(clients)


def report_restore(detail: dict[str, Any], clients: dict[str, Any]) -> dict[str, Any]:
    job_id = detail.get("restoreJobId")
    if not job_id:
        return {"ignored": "no restoreJobId in the event"}
    job = clients["backup"].describe_restore_job(RestoreJobId=job_id)
    plan = (job.get("CreatedBy") or {}).get("RestoreTestingPlanArn")
    if plan != os.environ["RESTORE_TESTING_PLAN_ARN"]:
        return {"ignored": f"restore job {job_id} is not a test of this stack's plan"}
    status = job["Status"]
    if status not in TERMINAL:
        return {"ignored": f"restore job {job_id} is {status}"}

    minutes = _duration_minutes(job)
    valid, reason = False, job.get("StatusMessage") or f"restore job {status}"
    if status == "COMPLETED":
        valid, reason = validate_cluster(job.get("CreatedResourceArn", ""), clients["rds"])
        clients["backup"].put_restore_validation_result(
            RestoreJobId=job_id, ValidationStatus="SUCCESSFUL" if valid else "FAILED", ValidationStatusMessage=reason
        )
    _put_metrics(clients["cloudwatch"], [("RestoreTestSucceeded", 1.0 if valid else 0.0, "Count")]
                 + ([("RestoreDurationMinutes", minutes, "None")] if minutes is not None else []))
    outcome = "succeeded" if valid else "FAILED"
    took = f"{minutes:.1f} minutes" if minutes is not None else "unknown time"
    message = {
        "restoreJobId": job_id,
        "status": status,
        "validation": "SUCCESSFUL" if valid else "FAILED",
        "reason": reason,
        "durationMinutes": minutes,
        "recoveryPointArn": job.get("RecoveryPointArn"),
        "recoveryPointCreationDate": _iso(job.get("RecoveryPointCreationDate")),
        "createdResourceArn": job.get("CreatedResourceArn"),
    }
    clients["sns"].publish(
        TopicArn=os.environ["TOPIC_ARN"],
        Subject=f"[{os.environ['STACK']}] Aurora restore test {outcome} ({took})"[:100],
        Message=json.dumps(message, indent=2),
    )
    return message


def validate_cluster(cluster_arn: str, rds: Any) -> tuple[bool, str]:
    """The restored cluster exists, is available, and keeps the source's protections."""
    identifier = cluster_arn.rsplit(":cluster:", 1)[-1]
    if not identifier:
        return False, "the restore job reports no created cluster"
    clusters = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    if not clusters:
        return False, f"restored cluster {identifier} not found"
    cluster = clusters[0]
    problems = []
    if cluster.get("Status") != "available":
        problems.append(f"status {cluster.get('Status')}")
    if not cluster.get("StorageEncrypted"):
        problems.append("storage not encrypted")
    if cluster.get("KmsKeyId") != os.environ["EXPECTED_KMS_KEY_ARN"]:
        problems.append(f"encrypted with {cluster.get('KmsKeyId')}, not the data key")
    if cluster.get("DBSubnetGroup") != os.environ["EXPECTED_SUBNET_GROUP"]:
        problems.append(f"in subnet group {cluster.get('DBSubnetGroup')}, not the database subnets")
    if problems:
        return False, f"restored cluster {identifier}: " + "; ".join(problems)
    return True, f"restored cluster {identifier} is available, encrypted with the data key, in the database subnets"


def report_overdue(clients: dict[str, Any]) -> dict[str, Any]:
    max_age = int(os.environ["MAX_AGE_DAYS"])
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=max_age)
    plan = clients["backup"].get_restore_testing_plan(RestoreTestingPlanName=os.environ["RESTORE_TESTING_PLAN_NAME"])
    if plan["RestoreTestingPlan"]["CreationTime"] > since:
        # a plan younger than one interval has not had its first scheduled test yet: not overdue
        _put_metrics(clients["cloudwatch"], [("RestoreTestOverdue", 0.0, "Count")])
        return {"overdue": False, "maxAgeDays": max_age, "firstTestPending": True}
    query: dict[str, Any] = {"ByRestoreTestingPlanArn": os.environ["RESTORE_TESTING_PLAN_ARN"], "ByStatus": "COMPLETED",
                             "ByCompleteAfter": since}
    validated = False
    while not validated:
        page = clients["backup"].list_restore_jobs(**query)
        validated = any(job.get("ValidationStatus") == "SUCCESSFUL" for job in page["RestoreJobs"])
        if not page.get("NextToken"):
            break
        query["NextToken"] = page["NextToken"]
    overdue = 0.0 if validated else 1.0
    _put_metrics(clients["cloudwatch"], [("RestoreTestOverdue", overdue, "Count")])
    return {"overdue": bool(overdue), "maxAgeDays": max_age}


def _duration_minutes(job: dict[str, Any]) -> float | None:
    start, end = job.get("CreationDate"), job.get("CompletionDate")
    if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
        return None
    return round((end - start).total_seconds() / 60, 1)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else None


def _put_metrics(cloudwatch: Any, metrics: list[tuple[str, float, str]]) -> None:
    dimensions = [{"Name": "Stack", "Value": os.environ["STACK"]}]
    cloudwatch.put_metric_data(
        Namespace=os.environ["METRIC_NAMESPACE"],
        MetricData=[{"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": unit}
                    for name, value, unit in metrics],
    )
