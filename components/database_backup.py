"""AWS Backup for the Aurora cluster: a locked vault, copies that outlive the region (and, in organization mode, the
account), and restore tests that measure what a restore takes. Built by `Database` when `database.awsBackup` is on.

- Vaults: the home vault (data key) and a copy vault in `copyRegion` with its own KMS key there (a KMS key is
  regional). Both carry an AWS Backup Vault Lock with the configured minimum and maximum retention: in
  `compliance` mode no one, the root user included, can delete a recovery point before its retention ends or
  remove the lock once the cooling-off period (`lockChangeableForDays`) has passed (docs/database.md).
- Plan: the daily rule copies each recovery point to the copy vault, and to the other account's vault when
  `copyAccountVaultArn` is set (the data key's policy admits that account for the copy: Encryption).
- Restore testing: a restore testing plan (weekly or monthly) restores the latest recovery point into the database
  subnets (no instance is created, so nothing can connect), the `functions/restore_report` Lambda validates the
  restored cluster and reports status and duration (RTO evidence) to the warning topic and as metrics; alarms fire
  when a test fails or does not run. AWS Backup deletes the test restore after the validation window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import (
    RestoreTestingTargets,
    StackContext,
    Statement,
    allow,
    child,
    kms_key,
    log_group,
    metric_alarm,
    service_role,
)
from .encryption import KeyRef
from .settings import AwsBackupSettings

COMPONENT = "database"
FUNCTION_DIR = Path(__file__).resolve().parent.parent / "functions" / "restore_report"
METRIC_NAMESPACE = "Vitality/RestoreTesting"
# Restore tests start after the 05:00 UTC daily backup; RDS names restored clusters awsbackup-restore-test-*.
RESTORE_TEST_SCHEDULES = {"weekly": ("cron(0 7 ? * MON *)", 7), "monthly": ("cron(0 7 1 * ? *)", 31)}
RESTORE_TEST_START_WINDOW_HOURS = 12
RESTORE_VALIDATION_WINDOW_HOURS = 2  # the reporter validates within minutes; AWS Backup then deletes the restore
RESTORED_CLUSTERS = "cluster:awsbackup-restore-test-*"
BACKUP_SNAPSHOTS = "cluster-snapshot:awsbackup:*"


@dataclass(frozen=True)
class BackupArgs:
    ctx: StackContext
    settings: AwsBackupSettings
    cluster: aws.rds.Cluster
    subnet_group_name: pulumi.Input[str]
    availability_zones: tuple[str, ...]
    data_key: KeyRef
    logs_key: KeyRef
    messaging_key: KeyRef
    log_retention_days: int
    topics: Topics


@dataclass(frozen=True)
class BackupVaults:
    home_arn: pulumi.Output[str]
    copy_arn: Optional[pulumi.Output[str]]  # the vault in database.awsBackup.copyRegion
    restore_testing: Optional[RestoreTestingTargets]


def aws_backup(name: str, args: BackupArgs, parent: pulumi.Resource) -> BackupVaults:
    ctx, cfg = args.ctx, args.settings
    vault = _vault(f"{name}-backups", args, parent, args.data_key.arn, None)
    copy_vault = None
    if cfg.copy_region is not None:
        copy_key = kms_key(f"{name}-backup-copy", ctx, COMPONENT, parent, domain="backup-copy",
                           description=f"AWS Backup copies of the Aurora cluster in {cfg.copy_region}",
                           alias=f"alias/{ctx.name_prefix}-backup-copy", statements=[], region=cfg.copy_region)
        copy_vault = _vault(f"{name}-backup-copies", args, parent, copy_key.arn, cfg.copy_region)
    destinations = [v.arn for v in (copy_vault,) if v is not None]
    if cfg.copy_account_vault_arn is not None:
        destinations.append(pulumi.Output.from_input(cfg.copy_account_vault_arn))
    plan = aws.backup.Plan(
        f"{name}-backup-plan",
        rules=[
            aws.backup.PlanRuleArgs(
                rule_name="daily",
                target_vault_name=vault.name,
                schedule=cfg.schedule,
                schedule_expression_timezone="Etc/UTC",
                start_window=60,
                completion_window=360,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=cfg.retention_days),
                recovery_point_tags=ctx.tags(COMPONENT, BackupPlan="daily"),
                copy_actions=[
                    aws.backup.PlanRuleCopyActionArgs(
                        destination_vault_arn=arn,
                        lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=cfg.retention_days),
                    )
                    for arn in destinations
                ]
                or None,
            )
        ],
        tags=ctx.tags(COMPONENT),
        opts=child(parent),
    )
    role = service_role(
        f"{name}-backup", ctx, COMPONENT, parent,
        services=["backup.amazonaws.com"],
        description=f"{ctx.name_prefix} AWS Backup: snapshot the Aurora cluster into the vault and copy it",
        statements=_backup_statements(args, copy_vault),
    )
    aws.backup.Selection(f"{name}-backup-selection", plan_id=plan.id, iam_role_arn=role.arn,
                         resources=[args.cluster.arn], opts=child(plan))
    testing = _restore_testing(name, args, parent, vault) if cfg.restore_test_frequency != "off" else None
    return BackupVaults(vault.arn, copy_vault.arn if copy_vault is not None else None, testing)


def _vault(name: str, args: BackupArgs, parent: pulumi.Resource, key_arn: pulumi.Input[str],
           region: Optional[str]) -> aws.backup.Vault:
    ctx, cfg = args.ctx, args.settings
    vault = aws.backup.Vault(
        name,
        kms_key_arn=key_arn,
        # a locked vault keeps its recovery points whatever force_destroy says
        force_destroy=ctx.force_destroy and cfg.lock_mode == "none",
        region=region,
        tags=ctx.tags(COMPONENT),
        opts=child(parent, protect=ctx.protect),
    )
    if cfg.lock_mode != "none":
        aws.backup.VaultLockConfiguration(
            f"{name}-lock",
            backup_vault_name=vault.name,
            min_retention_days=cfg.lock_min_retention_days,
            max_retention_days=cfg.lock_max_retention_days,
            # with changeable_for_days the lock is in compliance mode: immutable once the cooling-off period ends
            changeable_for_days=cfg.lock_changeable_for_days if cfg.lock_mode == "compliance" else None,
            region=region,
            opts=child(vault, protect=ctx.protect),
        )
    return vault


def _backup_statements(args: BackupArgs, copy_vault: Optional[aws.backup.Vault]) -> list[Statement]:
    ctx, cfg = args.ctx, args.settings
    regions = [ctx.region, *([cfg.copy_region] if cfg.copy_region is not None else [])]
    snapshots = [ctx.arn("rds", BACKUP_SNAPSHOTS, region) for region in regions]
    keys: list[pulumi.Input[str]] = [args.data_key.arn]
    copy_vaults: list[pulumi.Input[str]] = []
    if copy_vault is not None:
        keys.append(copy_vault.kms_key_arn)
        copy_vaults.append(copy_vault.arn)
    if cfg.copy_account_vault_arn is not None:
        copy_vaults.append(cfg.copy_account_vault_arn)
    # AWS Backup runs a plan's copy actions with the selection's role, which must be allowed to copy into each
    # destination vault (AWS managed AWSBackupServiceRolePolicyForBackup grants backup:CopyIntoBackupVault)
    copy_statements = [allow("CopyIntoCopyVaults", ["backup:CopyIntoBackupVault"], copy_vaults)] if copy_vaults else []
    return [
        *copy_statements,
        allow("SnapshotCluster",
              ["rds:DescribeDBClusters", "rds:CreateDBClusterSnapshot", "rds:ListTagsForResource", "rds:AddTagsToResource"],
              [args.cluster.arn, *snapshots]),
        # copies: RDS copies the snapshot into the copy region (and shares it with the other account), lifecycle
        # deletes expired recovery points in both regions
        allow("ManageBackupSnapshots",
              ["rds:DescribeDBClusterSnapshots", "rds:CopyDBClusterSnapshot", "rds:DeleteDBClusterSnapshot",
               "rds:ModifyDBClusterSnapshotAttribute"],
              [args.cluster.arn, *snapshots]),
        allow("DescribeKeys", ["kms:DescribeKey"], keys),
        allow("GrantKeysToRds", ["kms:CreateGrant"], keys, Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
    ]


def _restore_testing(name: str, args: BackupArgs, parent: pulumi.Resource, vault: aws.backup.Vault) -> RestoreTestingTargets:
    ctx, cfg = args.ctx, args.settings
    schedule, interval_days = RESTORE_TEST_SCHEDULES[cfg.restore_test_frequency]
    plan = aws.backup.RestoreTestingPlan(
        f"{name}-restore-testing",
        name=f"{ctx.name_prefix.replace('-', '_')}_aurora",
        schedule_expression=schedule,
        schedule_expression_timezone="Etc/UTC",
        start_window_hours=RESTORE_TEST_START_WINDOW_HOURS,
        recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
            algorithm="LATEST_WITHIN_WINDOW",
            include_vaults=[vault.arn],
            recovery_point_types=["SNAPSHOT"],
            selection_window_days=min(interval_days, cfg.retention_days),
        ),
        tags=ctx.tags(COMPONENT),
        opts=child(parent),
    )
    restore_role = service_role(
        f"{name}-restore-test", ctx, COMPONENT, parent,
        services=["backup.amazonaws.com"],
        description=f"{ctx.name_prefix} AWS Backup restore tests: restore the Aurora cluster, then delete the restore",
        statements=_restore_statements(args),
    )
    aws.backup.RestoreTestingSelection(
        f"{name}-restore-testing-aurora",
        name="aurora",
        restore_testing_plan_name=plan.name,
        protected_resource_type="Aurora",
        protected_resource_arns=[args.cluster.arn],
        iam_role_arn=restore_role.arn,
        # AWS Backup infers the rest (restore testing inferred metadata); the default would be the default VPC.
        # The restore gets the VPC's default security group, which admits nothing, and no DB instance.
        restore_metadata_overrides={
            "dbsubnetgroupname": args.subnet_group_name,
            "availabilityzones": json.dumps(list(args.availability_zones[:3])),
        },
        validation_window_hours=RESTORE_VALIDATION_WINDOW_HOURS,
        opts=child(plan),
    )
    alarms = _restore_reporter(name, args, parent, plan, interval_days)
    return RestoreTestingTargets(METRIC_NAMESPACE, _stack_dimension(ctx), cfg.restore_test_frequency, alarms)


def _stack_dimension(ctx: StackContext) -> str:
    """The Stack dimension of the reporter's metrics: `<project>/<stack>`."""
    return f"{ctx.project}/{ctx.stack}"


def _restore_statements(args: BackupArgs) -> list[Statement]:
    ctx = args.ctx
    restored, snapshots = ctx.arn("rds", RESTORED_CLUSTERS), ctx.arn("rds", BACKUP_SNAPSHOTS)
    return [
        allow("RestoreIntoTheDatabaseSubnets", ["rds:RestoreDBClusterFromSnapshot"],
              [restored, snapshots, ctx.arn("rds", "subgrp:*"), ctx.arn("rds", "cluster-pg:*")]),
        allow("ManageTheTestRestore", ["rds:DescribeDBClusters", "rds:AddTagsToResource", "rds:ListTagsForResource",
                                       "rds:DeleteDBCluster"], restored),
        allow("ReadBackupSnapshots", ["rds:DescribeDBClusterSnapshots"], snapshots),
        allow("DescribeDataKey", ["kms:DescribeKey"], args.data_key.arn),
        allow("GrantDataKeyToRds", ["kms:CreateGrant"], args.data_key.arn,
              Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
    ]


def _restore_reporter(name: str, args: BackupArgs, parent: pulumi.Resource, plan: aws.backup.RestoreTestingPlan,
                      interval_days: int) -> tuple[pulumi.Output[str], ...]:
    ctx = args.ctx
    logs = log_group(f"{name}-restore-report-logs", ctx, COMPONENT, parent, retention_days=args.log_retention_days,
                     kms_key_arn=args.logs_key.arn)
    role = service_role(
        f"{name}-restore-report", ctx, COMPONENT, parent,
        services=["lambda.amazonaws.com"],
        description=f"{ctx.name_prefix} restore-test reporter: validate the test restore, publish metrics and a summary",
        statements=[
            allow("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(logs.arn, ":*")),
            # restore jobs have no resource-level permissions (Service Authorization Reference, AWS Backup)
            allow("RestoreJobs", ["backup:DescribeRestoreJob", "backup:ListRestoreJobs",
                                  "backup:PutRestoreValidationResult"], "*"),
            # the plan's creation time: no test is overdue before the first scheduled one
            allow("ReadThePlan", ["backup:GetRestoreTestingPlan"], plan.arn),
            allow("ReadTheTestRestore", ["rds:DescribeDBClusters"], ctx.arn("rds", RESTORED_CLUSTERS)),
            allow("Metrics", ["cloudwatch:PutMetricData"], "*",
                  Condition={"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}}),
            allow("Notify", ["sns:Publish"], args.topics.warning),
            allow("EncryptNotifications", ["kms:GenerateDataKey*", "kms:Decrypt"], args.messaging_key.arn),
        ],
    )
    function = aws.lambda_.Function(
        f"{name}-restore-report",
        description=f"{ctx.name_prefix}: validate and report AWS Backup restore tests of the Aurora cluster",
        runtime=aws.lambda_.Runtime.PYTHON3D13,
        architectures=["arm64"],
        handler="handler.handler",
        # only the handler: a directory archive would pick up __pycache__ and change on every test run
        code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(FUNCTION_DIR / "handler.py"))}),
        role=role.arn,
        timeout=60,
        memory_size=256,
        kms_key_arn=args.data_key.arn,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables={
            "RESTORE_TESTING_PLAN_ARN": plan.arn,
            "RESTORE_TESTING_PLAN_NAME": plan.name,
            "TOPIC_ARN": args.topics.warning,
            "METRIC_NAMESPACE": METRIC_NAMESPACE,
            "STACK": _stack_dimension(ctx),
            "EXPECTED_KMS_KEY_ARN": args.data_key.arn,
            "EXPECTED_SUBNET_GROUP": args.subnet_group_name,
            # the schedule's interval, the start window and a day of slack
            "MAX_AGE_DAYS": str(interval_days + 2),
        }),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
        tags=ctx.tags(COMPONENT),
        opts=child(parent, depends_on=[logs]),
    )
    triggers = {
        "restore-jobs": aws.cloudwatch.EventRuleArgs(
            event_pattern=json.dumps({"source": ["aws.backup"], "detail-type": ["Restore Job State Change"]}),
            description="AWS Backup restore jobs: the reporter keeps those of this stack's restore tests",
            tags=ctx.tags(COMPONENT),
        ),
        "restore-check": aws.cloudwatch.EventRuleArgs(
            schedule_expression="rate(1 day)",
            description="Daily: has a restore test completed within its interval?",
            tags=ctx.tags(COMPONENT),
        ),
    }
    for key, rule_args in triggers.items():
        rule = aws.cloudwatch.EventRule(f"{name}-{key}", rule_args, opts=child(parent))
        aws.cloudwatch.EventTarget(f"{name}-{key}", rule=rule.name, arn=function.arn, opts=child(rule))
        aws.lambda_.Permission(f"{name}-{key}", action="lambda:InvokeFunction", function=function.name,
                               principal="events.amazonaws.com", source_arn=rule.arn, opts=child(rule))
    dimensions = {"Stack": _stack_dimension(ctx)}
    warning = args.topics.warning
    alarms = [
        metric_alarm(f"{name}-restore-test-failed", ctx, COMPONENT, parent,
                     description="[warning] database/restore-test-failed: an AWS Backup restore test of the Aurora "
                     "cluster failed or its restore did not validate. See the warning topic's message and the runbook.",
                     namespace=METRIC_NAMESPACE, metric_name="RestoreTestSucceeded", dimensions=dimensions,
                     statistic="Minimum", threshold=1, comparison="LessThanThreshold", period=3600, topic_arn=warning),
        # the daily check publishes every day: no data means the reporter itself stopped
        metric_alarm(f"{name}-restore-test-overdue", ctx, COMPONENT, parent,
                     description=f"[warning] database/restore-test-overdue: no restore test completed and validated within "
                     f"{interval_days + 2} days, or the reporter stopped reporting.",
                     namespace=METRIC_NAMESPACE, metric_name="RestoreTestOverdue", dimensions=dimensions,
                     statistic="Maximum", threshold=1, comparison="GreaterThanOrEqualToThreshold", period=86400,
                     treat_missing_data="breaching", topic_arn=warning),
        metric_alarm(f"{name}-restore-report-errors", ctx, COMPONENT, parent,
                     description="[warning] database/restore-report-errors: the restore-test reporter Lambda failed.",
                     namespace="AWS/Lambda", metric_name="Errors", dimensions={"FunctionName": function.name},
                     statistic="Sum", threshold=1, comparison="GreaterThanOrEqualToThreshold", period=300, topic_arn=warning),
    ]
    return tuple(a.arn for a in alarms)
