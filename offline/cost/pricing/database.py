"""Database pricing: Aurora Serverless v2 (instances, cluster storage, I/O, backups), Secrets Manager,
AWS Backup vaults (home and cross-Region copies) and restore tests; the free subnet and parameter groups."""

from __future__ import annotations

from typing import Optional

from ...engine import Resource
from ..model import HOURS, Charge, Context, Pricer, flat, known


def _scaling(cluster: Optional[Resource]) -> tuple[float, bool]:
    """(minCapacity, I/O-Optimized) of a Serverless v2 cluster."""
    if cluster is None:
        return 0.5, False
    scaling = cluster.inputs.get("serverlessv2ScalingConfiguration") or {}
    minimum = scaling.get("minCapacity")
    return (float(minimum) if known(minimum) else 0.5), cluster.inputs.get("storageType") == "aurora-iopt1"


def _aurora_instance(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("instanceClass") != "db.serverless":
        return [flat(f"provisioned instance class {r.inputs.get('instanceClass')}", f"rds.instance.{r.inputs.get('instanceClass')}", HOURS)]
    cluster = ctx.resolve(r.inputs.get("clusterIdentifier"), "aws:rds/cluster:Cluster")
    minimum, iopt = _scaling(cluster)
    price = "rds.aurora_iopt_acu_hour" if iopt else "rds.aurora_acu_hour"
    if minimum > 0:
        floor = flat(f"minimum {minimum:g} ACU x {HOURS} h", price, minimum * HOURS)
    else:
        # auto-pause: no compute while paused; awake it runs at 0.5 ACU or more
        floor = Charge(f"auto-pause; awake {ctx.usage['db_active_hours']:g} h at 0.5 ACU", price, 0.0, 0.5 * ctx.usage["db_active_hours"])
    charges = [floor, Charge("ACU-hours above the floor", price, ctx.idle("db_acu_hours_above_min"), ctx.usage["db_acu_hours_above_min"])]
    retention = r.inputs.get("performanceInsightsRetentionPeriod")
    if r.inputs.get("performanceInsightsEnabled") and known(retention) and int(retention) > 7:
        charges.append(flat(f"Performance Insights retention {int(retention)} days (beyond the free 7)", "rds.performance_insights_long_term", 1))
    return charges


def _aurora_cluster(r: Resource, ctx: Context) -> list[Charge]:
    _, iopt = _scaling(r)
    storage = (ctx.idle("db_storage_gb"), ctx.usage["db_storage_gb"])
    backup = tuple(max(0.0, b - s) for b, s in zip((ctx.idle("db_backup_gb"), ctx.usage["db_backup_gb"]), storage, strict=True))
    charges = [
        Charge("cluster storage (GB-month)", "rds.aurora_iopt_storage_gb_month" if iopt else "rds.aurora_storage_gb_month", *storage),
        Charge("backup storage beyond the cluster's size (GB-month)", "rds.backup_gb_month", *backup),
    ]
    if r.inputs.get("databaseInsightsMode") == "advanced":
        charges.append(flat("Database Insights advanced mode", "rds.database_insights_advanced", 1))
    if not iopt:
        charges.append(Charge("I/O requests", "rds.aurora_io_million", ctx.idle("db_io_million") * 1e6, ctx.usage["db_io_million"] * 1e6))
    if r.inputs.get("manageMasterUserPassword"):
        secrets = [*ctx.of_types("aws:secretsmanager/secret:Secret"), r]
        calls = ctx.share("secrets_api_calls", secrets)
        charges += [flat("RDS-managed master user secret", "secretsmanager.secret_month", 1), Charge("secret API calls", "secretsmanager.api_10k", *calls)]
    return charges


def _secret(r: Resource, ctx: Context) -> list[Charge]:
    managed = [c for c in ctx.of_types("aws:rds/cluster:Cluster") if c.inputs.get("manageMasterUserPassword")]
    calls = ctx.share("secrets_api_calls", ctx.of_types(r.type) + managed)
    return [flat("secret", "secretsmanager.secret_month", 1), Charge("API calls", "secretsmanager.api_10k", *calls)]


COPIES_PER_MONTH = 30.4  # the plan's rule is daily (database.awsBackup.schedule accepts daily crons only)
RESTORE_TEST_HOURS = 3  # a test restore lives for the restore and the validation window, then is deleted
RESTORE_TESTS_PER_MONTH = {"cron(0 7 ? * MON *)": 4.35, "cron(0 7 1 * ? *)": 1.0}
REPORTER_METRICS = 3  # RestoreTestSucceeded, RestoreDurationMinutes, RestoreTestOverdue


def _copy_retention(vault: Resource, ctx: Context) -> Optional[float]:
    """Days a copy action keeps recovery points in this vault, if some plan copies into it."""
    for plan in ctx.of_types("aws:backup/plan:Plan"):
        for rule in plan.inputs.get("rules") or []:
            for action in rule.get("copyActions") or []:
                if action.get("destinationVaultArn") == vault.outputs.get("arn"):
                    return float((action.get("lifecycle") or {}).get("deleteAfter") or 35)
    return None


def _backup_vault(r: Resource, ctx: Context) -> list[Charge]:
    retention = _copy_retention(r, ctx)
    if retention is None:
        homes = [v for v in ctx.of_types(r.type) if _copy_retention(v, ctx) is None]
        return [Charge("recovery points (GB-month)", "backup.aurora_warm_gb_month", *ctx.share("backup_vault_gb", homes))]
    # Aurora cluster snapshot copies are full copies, never incremental: each daily copy moves and stores the
    # whole cluster, and `retention` of them are kept
    size = (ctx.idle("db_storage_gb"), ctx.usage["db_storage_gb"])
    return [
        Charge(f"{retention:g} full daily copies kept (GB-month)", "backup.aurora_warm_gb_month", *(s * retention for s in size)),
        Charge(f"cross-Region transfer of {COPIES_PER_MONTH:g} copies (GB)", "backup.cross_region_transfer_gb",
               *(s * COPIES_PER_MONTH for s in size)),
    ]


def _restore_testing_plan(r: Resource, ctx: Context) -> list[Charge]:
    tests = RESTORE_TESTS_PER_MONTH.get(str(r.inputs.get("scheduleExpression")), 1.0)
    share = tests * RESTORE_TEST_HOURS / HOURS
    return [
        Charge(f"restored cluster storage, {tests:g} tests x {RESTORE_TEST_HOURS} h (GB-month)", "rds.aurora_storage_gb_month",
               ctx.idle("db_storage_gb") * share, ctx.usage["db_storage_gb"] * share),
        flat(f"{REPORTER_METRICS} custom metrics of the restore-test reporter", "cloudwatch.metric_month", REPORTER_METRICS),
    ]


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": _restore_testing_plan,
}

# Types with no charge of their own, and why.
FREE: dict[str, str] = {
    "aws:rds/subnetGroup:SubnetGroup": "no charge for DB subnet groups",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "no charge for parameter groups",
    "aws:rds/parameterGroup:ParameterGroup": "no charge for parameter groups",
    "aws:rds/clusterEndpoint:ClusterEndpoint": "no charge for custom cluster endpoints",
    "aws:secretsmanager/secretVersion:SecretVersion": "secret versions are included in the secret's monthly price",
    "aws:rds/eventSubscription:EventSubscription": "RDS event notifications are free (SNS bills the topic)",
    "aws:secretsmanager/secretRotation:SecretRotation": "rotation of the RDS-managed secret is done by RDS at no charge",
    "aws:backup/plan:Plan": "recovery points are billed on the vault",
    "aws:backup/selection:Selection": "recovery points are billed on the vault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "no charge for vault lock",
    "aws:backup/vaultPolicy:VaultPolicy": "no charge for vault policies",
    "aws:backup/vaultNotifications:VaultNotifications": "no charge (SNS bills the topic)",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": "restore tests are billed on the restore testing plan",
}
