"""Database rules: Aurora PostgreSQL clusters and instances, their event subscriptions (RDS.*)."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import (
    Res,
    StackView,
    as_list,
    number,
    text,
    truthy,
)
from .shared import (
    RDS_CLUSTER,
    RDS_EVENTS,
    RDS_INSTANCE,
    Findings,
    resource_rule,
    stack_rule,
)


@resource_rule(
    "rds-cluster-encrypted-cmk",
    types=(RDS_CLUSTER,),
    controls=("RDS.27", "RDS.3", "RDS.4"),
    severity="medium",
    tsc=("CC6.1",),
    description="Aurora clusters are encrypted at rest with a customer-managed KMS key (provider default: unencrypted).",
    remediation="Set storage_encrypted=True and kms_key_id=<data key ARN> (immutable: fix before the first deploy).",
)
def _rds_encrypted(res: Res) -> Iterator[str]:
    if not truthy(res.get("storageEncrypted")):
        yield "storage_encrypted is not true"
    if not text(res.get("kmsKeyId")):
        yield "no customer-managed kms_key_id"


@resource_rule(
    "rds-cluster-deletion-protection",
    types=(RDS_CLUSTER,),
    controls=("RDS.7",),
    severity="medium",
    tsc=("A1.2", "C1.1"),
    description="Prod Aurora clusters have deletion protection and take a final snapshot (provider default: off).",
    remediation="Set deletion_protection=True, skip_final_snapshot=False and a final_snapshot_identifier in prod.",
)
def _rds_deletion(res: Res) -> Iterator[str]:
    if not truthy(res.get("deletionProtection")):
        yield "deletion_protection is not true"
    if truthy(res.get("skipFinalSnapshot")) or not text(res.get("finalSnapshotIdentifier")):
        yield "no final snapshot on delete"


@resource_rule(
    "rds-cluster-iam-auth",
    types=(RDS_CLUSTER,),
    controls=("RDS.12", "RDS.10"),
    severity="medium",
    tsc=("CC6.1", "CC6.3"),
    description="Aurora clusters enable IAM database authentication (provider default: off).",
    remediation="Set iam_database_authentication_enabled=True.",
)
def _rds_iam(res: Res) -> Iterator[str]:
    if not truthy(res.get("iamDatabaseAuthenticationEnabled")):
        yield "iam_database_authentication_enabled is not true"


@resource_rule(
    "rds-cluster-backup-retention",
    types=(RDS_CLUSTER,),
    controls=("RDS.11",),
    severity="medium",
    tsc=("A1.2", "CC7.4"),
    description="Aurora clusters keep automated backups for at least 7 days (provider default: 1).",
    remediation="Set backup_retention_period >= 7 (vitality:database.backupRetentionDays; prod uses 35).",
)
def _rds_backups(res: Res) -> Iterator[str]:
    days = number(res.get("backupRetentionPeriod"), 1)
    if days < 7:
        yield f"backup_retention_period is {days:g}"


@resource_rule(
    "rds-cluster-copy-tags-to-snapshot",
    types=(RDS_CLUSTER,),
    controls=("RDS.16", "RDS.47"),
    severity="low",
    tsc=("CC6.1",),
    description="Aurora clusters copy tags to snapshots (provider default: false).",
    remediation="Set copy_tags_to_snapshot=True.",
)
def _rds_copy_tags(res: Res) -> Iterator[str]:
    if not truthy(res.get("copyTagsToSnapshot")):
        yield "copy_tags_to_snapshot is not true"


@resource_rule(
    "rds-cluster-log-exports",
    types=(RDS_CLUSTER,),
    controls=("RDS.37", "RDS.9"),
    severity="medium",
    tsc=("CC7.2",),
    description="Aurora PostgreSQL clusters export the postgresql log to CloudWatch Logs (provider default: none).",
    remediation="Set enabled_cloudwatch_logs_exports=[\"postgresql\"].",
)
def _rds_logs(res: Res) -> Iterator[str]:
    if "postgresql" not in [text(v) for v in as_list(res.get("enabledCloudwatchLogsExports"))]:
        yield "enabled_cloudwatch_logs_exports lacks \"postgresql\""


@resource_rule(
    "rds-cluster-custom-admin-username",
    types=(RDS_CLUSTER,),
    controls=("RDS.24",),
    severity="medium",
    tsc=("CC6.1",),
    description="Aurora clusters use a master username other than the engine default (postgres).",
    remediation="Set master_username to a project-specific name (e.g. app_admin).",
)
def _rds_admin(res: Res) -> Iterator[str]:
    user = text(res.get("masterUsername"))
    if user.lower() in ("", "postgres", "admin"):
        yield f"master_username is {user or 'unset (engine default postgres)'}"


@resource_rule(
    "rds-cluster-managed-secret-cmk",
    types=(RDS_CLUSTER,),
    controls=("SecretsManager.1",),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config secretsmanager-using-cmk", "CKV_AWS_149"),
    description="The master password is an RDS-managed, rotated secret encrypted with a customer-managed key; no "
    "password lives in the program or its state.",
    remediation="Set manage_master_user_password=True and master_user_secret_kms_key_id=<data key ARN>; remove "
    "master_password.",
)
def _rds_secret(res: Res) -> Iterator[str]:
    if not truthy(res.get("manageMasterUserPassword")):
        yield "manage_master_user_password is not true"
    if not text(res.get("masterUserSecretKmsKeyId")):
        yield "master_user_secret_kms_key_id is unset (AWS managed key)"
    if res.get("masterPassword") is not None:
        yield "master_password is set in the program"


@resource_rule(
    "rds-cluster-auto-minor-upgrade",
    types=(RDS_CLUSTER,),
    controls=("RDS.35",),
    severity="medium",
    tsc=("CC7.1",),
    description="Aurora clusters take automatic minor version upgrades (provider default: true).",
    remediation="Leave auto_minor_version_upgrade unset or True.",
)
def _rds_cluster_minor(res: Res) -> Iterator[str]:
    if not truthy(res.get("autoMinorVersionUpgrade"), default=True):
        yield "auto_minor_version_upgrade is false"


@resource_rule(
    "rds-instance-not-public",
    types=(RDS_INSTANCE,),
    controls=("RDS.2",),
    severity="critical",
    tsc=("CC6.1", "CC6.6"),
    description="Cluster instances are not publicly accessible (provider default: false).",
    remediation="Leave publicly_accessible unset or False.",
)
def _rds_public(res: Res) -> Iterator[str]:
    if truthy(res.get("publiclyAccessible")):
        yield "publicly_accessible is true"


@resource_rule(
    "rds-instance-auto-minor-upgrade",
    types=(RDS_INSTANCE,),
    controls=("RDS.13",),
    severity="high",
    tsc=("CC7.1",),
    description="Cluster instances take automatic minor version upgrades (provider default: true).",
    remediation="Leave auto_minor_version_upgrade unset or True.",
)
def _rds_instance_minor(res: Res) -> Iterator[str]:
    if not truthy(res.get("autoMinorVersionUpgrade"), default=True):
        yield "auto_minor_version_upgrade is false"


@resource_rule(
    "rds-instance-enhanced-monitoring",
    types=(RDS_INSTANCE,),
    controls=("RDS.6",),
    severity="low",
    tsc=("CC7.2",),
    description="Cluster instances have Enhanced Monitoring with a monitoring role (provider default interval: 0).",
    remediation="Set monitoring_interval (1/5/10/15/30/60) and monitoring_role_arn (AmazonRDSEnhancedMonitoringRole).",
)
def _rds_monitoring(res: Res) -> Iterator[str]:
    if number(res.get("monitoringInterval"), 0) not in (1, 5, 10, 15, 30, 60):
        yield f"monitoring_interval is {res.get('monitoringInterval') or 0}"
    elif not text(res.get("monitoringRoleArn")):
        yield "no monitoring_role_arn"


@resource_rule(
    "rds-instance-copy-tags-to-snapshot",
    types=(RDS_INSTANCE,),
    controls=("RDS.17",),
    severity="low",
    tsc=("CC6.1",),
    description="Cluster instances copy tags to snapshots (provider default: false).",
    remediation="Set copy_tags_to_snapshot=True on every ClusterInstance.",
)
def _rds_instance_tags(res: Res) -> Iterator[str]:
    if not truthy(res.get("copyTagsToSnapshot")):
        yield "copy_tags_to_snapshot is not true"


@resource_rule(
    "rds-performance-insights-cmk",
    types=(RDS_INSTANCE, RDS_CLUSTER),
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("CKV_AWS_354", "pulumi compliance-policies clusterinstance-disallow-unencrypted-performance-insights"),
    description="Performance Insights, where enabled, is encrypted with a customer-managed key.",
    remediation="Set performance_insights_kms_key_id=<data key ARN> wherever performance_insights_enabled=True.",
)
def _rds_pi(res: Res) -> Iterator[str]:
    if truthy(res.get("performanceInsightsEnabled")) and not text(res.get("performanceInsightsKmsKeyId")):
        yield "performance insights without performance_insights_kms_key_id"


@stack_rule(
    "rds-cluster-multi-az",
    types=(RDS_CLUSTER,),
    controls=("RDS.15",),
    severity="medium",
    tsc=("A1.2",),
    description="Prod Aurora clusters run a writer and at least one reader, in distinct AZs where AZs are pinned.",
    remediation="Set vitality:database.readers >= 1 in prod; readers are placed in another AZ.",
)
def _rds_multi_az(stack: StackView) -> Findings:
    for cluster in stack.of(RDS_CLUSTER):
        instances = stack.referrers(cluster, (RDS_INSTANCE,), "clusterIdentifier")
        zones = [text(i.get("availabilityZone")) for i in instances if text(i.get("availabilityZone"))]
        if len(instances) < 2:
            yield cluster, f"{len(instances)} instance(s); a writer and a reader are needed"
        elif len(zones) > 1 and len(set(zones)) < 2:
            yield cluster, f"all instances pinned to {zones[0]}"


# RDS.19-22: once any subscription exists, each source type must be covered for these categories.
RDS_EVENT_COVERAGE = {
    "db-cluster": ("RDS.19", {"maintenance", "failure"}),
    "db-instance": ("RDS.20", {"maintenance", "configuration change", "failure"}),
    "db-parameter-group": ("RDS.21", {"configuration change"}),
    "db-security-group": ("RDS.22", {"configuration change", "failure"}),
}


@stack_rule(
    "rds-event-subscriptions-cover-critical-events",
    types=(RDS_EVENTS,),
    controls=("RDS.19", "RDS.20", "RDS.21", "RDS.22"),
    severity="low",
    tsc=("CC7.2", "CC7.3"),
    description="If any RDS event subscription exists, enabled subscriptions cover the critical events of clusters, "
    "instances, parameter groups and security groups.",
    remediation="Subscribe the alerting topic with source types db-cluster, db-instance, db-parameter-group and "
    "db-security-group and at least the categories each control lists (or no category filter).",
)
def _rds_events(stack: StackView) -> Findings:
    subscriptions = [s for s in stack.of(RDS_EVENTS) if truthy(s.get("enabled"), default=True)]
    if not stack.of(RDS_EVENTS):
        return
    anchor = stack.of(RDS_EVENTS)[0]
    for source, (control, needed) in RDS_EVENT_COVERAGE.items():
        covered: set[str] = set()
        for sub in subscriptions:
            # a subscription scoped to this stack's sources counts: the control checks types and categories
            if text(sub.get("sourceType")) in ("", source):
                categories = {text(c).lower() for c in as_list(sub.get("eventCategories"))}
                covered |= categories or needed
        missing = needed - covered
        if missing:
            yield anchor, f"{control}: no enabled {source} subscription for {sorted(missing)}"
