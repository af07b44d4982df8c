"""The weekly compliance report, SOC 2 evidence that the controls are evaluated and reviewed (CC4.1, CC4.2).

EventBridge Scheduler (flexible window off, its target input encrypted with the data key) invokes the Python function
in functions/compliance_report/ every week. The function reads failed Security Hub controls by severity and standard,
new and resolved findings since the previous report, GuardDuty findings, IAM Access Analyzer unused-access findings
and the "Vitality SOC 2" conformance pack's compliance; writes `<prefix>/<date>/report.json` and `report.md` to the
audit bucket (Object Lock retention in prod applies to them as to CloudTrail's files) and sends a short summary with
the report's location to the warning topic. Its role can read exactly that, write only under the report prefix and
publish only to that topic; logs go to a KMS-encrypted log group with the stack's retention; an alarm fires on any
error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import StackContext, allow, child, log_group, metric_alarm, service_role
from .encryption import KeyRef
from .settings import FindingsSettings

COMPONENT = "securityfindings"
CODE_DIR = Path(__file__).resolve().parents[1] / "functions" / "compliance_report"
REPORT_PREFIX = "compliance-reports"
RUNTIME = "python3.13"
TIMEOUT_SECONDS = 300
MEMORY_MB = 256
SCHEDULE_RETRIES = 3


@dataclass(frozen=True)
class ComplianceReport:
    function_name: pulumi.Output[str]
    schedule_name: pulumi.Output[str]
    report_prefix: str


def compliance_report(name: str, ctx: StackContext, parent: pulumi.Resource, settings: FindingsSettings, *,
                      topics: Topics, data_key: KeyRef, logs_key: KeyRef, audit_key: KeyRef, audit_bucket_name: pulumi.Output[str],
                      audit_bucket_arn: pulumi.Output[str], conformance_pack_name: pulumi.Output[str],
                      log_retention_days: int) -> ComplianceReport:
    function_name = f"{ctx.name_prefix}-compliance-report"
    logs = log_group(
        f"{name}-report-logs", ctx, COMPONENT, parent, retention_days=log_retention_days, kms_key_arn=logs_key.arn,
        log_group_name=f"/aws/lambda/{function_name}",
    )
    reports = pulumi.Output.concat(audit_bucket_arn, f"/{REPORT_PREFIX}/*")
    role = service_role(
        f"{name}-report-role",
        ctx,
        COMPONENT,
        parent,
        # Lambda's assume-role request carries this account (aws:SourceAccount, in every service trust here)
        services=["lambda.amazonaws.com"],
        description="The weekly compliance report reads findings and compliance and writes the report",
        statements=[
            allow("ReadFindings", ["securityhub:GetFindings"], ctx.arn("securityhub", "hub/default")),
            # ListDetectors and ListAnalyzers have no resource-level permissions
            allow("FindDetectorsAndAnalyzers", ["guardduty:ListDetectors", "access-analyzer:ListAnalyzers"], "*"),
            allow("ReadGuardDuty", ["guardduty:ListFindings", "guardduty:GetFindings"], ctx.arn("guardduty", "detector/*")),
            # ListFindingsV2 is authorized by access-analyzer:ListFindings (IAM Access Analyzer API reference)
            allow("ReadUnusedAccess", ["access-analyzer:ListFindings"],
                  ctx.arn("access-analyzer", f"analyzer/{ctx.name_prefix}-unused-access")),
            # the conformance pack's ARN ends in a suffix AWS Config chooses; the compliance read is per account
            allow("ReadConformancePack", ["config:DescribeConformancePackCompliance"], "*"),
            allow("WriteReport", ["s3:PutObject"], reports),
            # where the last report ended: a listing under the report prefix only
            allow("ListReports", ["s3:ListBucket"], audit_bucket_arn,
                  Condition={"StringEquals": {"s3:prefix": [f"{REPORT_PREFIX}/"]}}),
            # the audit bucket encrypts with the audit key (SSE-KMS, bucket key on)
            allow("AuditKey", ["kms:GenerateDataKey"], audit_key.arn),
            allow("Summary", ["sns:Publish"], topics.warning),
            allow("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(logs.arn, ":*")),
        ],
    )
    function = aws.lambda_.Function(
        f"{name}-report",
        name=function_name,
        description="Weekly SOC 2 compliance report to the audit bucket",
        runtime=RUNTIME,
        architectures=["arm64"],
        handler="handler.handler",
        # only the handler: a directory archive would pick up __pycache__ and change on every test run
        code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(CODE_DIR / "handler.py"))}),
        role=role.arn,
        timeout=TIMEOUT_SECONDS,
        memory_size=MEMORY_MB,
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
        environment=aws.lambda_.FunctionEnvironmentArgs(
            variables={
                "REPORT_BUCKET": audit_bucket_name,
                "REPORT_PREFIX": REPORT_PREFIX,
                "SUMMARY_TOPIC_ARN": topics.warning,
                "CONFORMANCE_PACK": conformance_pack_name,
                "STACK": ctx.name_prefix,
            }
        ),
        tags=ctx.tags(COMPONENT),
        opts=child(parent, depends_on=[logs, *role.ready]),
    )
    scheduler_role = service_role(
        f"{name}-report-scheduler",
        ctx,
        COMPONENT,
        parent,
        services=["scheduler.amazonaws.com"],
        # Scheduler assumes its execution role with the schedule *group* as aws:SourceArn (Scheduler user guide,
        # "Set up the execution role": confused deputy prevention)
        source_arn=ctx.arn("scheduler", "schedule-group/default"),
        description="EventBridge Scheduler starts the weekly compliance report",
        statements=[
            allow("InvokeReport", ["lambda:InvokeFunction"], function.arn),
            # Scheduler decrypts the target input with the schedule's key through this role
            allow("ScheduleKey", ["kms:Decrypt"], data_key.arn),
        ],
    )
    schedule = aws.scheduler.Schedule(
        f"{name}-report-schedule",
        name=function_name,
        description="Weekly SOC 2 compliance report",
        schedule_expression=settings.report_schedule,
        schedule_expression_timezone=settings.report_timezone,
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
        kms_key_arn=data_key.arn,
        state="ENABLED",
        target=aws.scheduler.ScheduleTargetArgs(
            arn=function.arn,
            role_arn=scheduler_role.arn,
            input='{"trigger": "schedule"}',
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                maximum_retry_attempts=SCHEDULE_RETRIES, maximum_event_age_in_seconds=3600
            ),
        ),
        opts=child(function),
    )
    metric_alarm(
        f"{name}-report-errors",
        ctx,
        COMPONENT,
        function,
        description=f"The weekly compliance report failed ({function_name}); see its log group",
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": function.name},
        statistic="Sum",
        threshold=0,
        comparison="GreaterThanThreshold",
        period=3600,
        topic_arn=topics.warning,
    )
    return ComplianceReport(function_name=function.name, schedule_name=schedule.name, report_prefix=REPORT_PREFIX)
