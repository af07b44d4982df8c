"""Database: an Aurora PostgreSQL (Serverless v2) cluster with a writer, stably keyed readers, backups and events.

The cluster identifier is fixed to `<project>-<stack>-db` (not auto-named) because RDS writes exported
PostgreSQL logs to `/aws/rds/cluster/<identifier>/postgresql`: the program creates that log group first, with
the configured retention and the logs key, so RDS never creates an unencrypted, never-expiring one. The
identifier only depends on the stack name, so it never changes under a running cluster.

Instances are keyed `writer`, `reader-1`, `reader-2`, ...: changing `database.readers` adds or removes the last
readers and never touches the others. The writer sits in the first configured AZ and readers cycle through the
other AZs, so a failover target is always in a different AZ from the writer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import (
    DatabaseConnection,
    DatabaseTargets,
    ServiceRole,
    StackContext,
    child,
    log_group,
    service_role,
)
from .database_backup import BackupArgs, BackupVaults, aws_backup
from .encryption import KeyRef
from .network import POSTGRES_PORT
from .settings import DatabaseSettings, DbParameter

COMPONENT = "database"
# the SDK enum: ClusterInstance accepts only EngineType (Cluster also a str); registered as "aurora-postgresql"
ENGINE = aws.rds.EngineType.AURORA_POSTGRESQL
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
# Standard support only: without this RDS silently enrols an ageing major version in paid Extended Support.
LIFECYCLE_SUPPORT = "open-source-rds-extended-support-disabled"
EVENT_CATEGORIES = ("failure", "failover", "maintenance", "configuration change", "notification")
ACCOUNT_EVENT_CATEGORIES = {"db-parameter-group": ("configuration change",), "db-security-group": ("configuration change", "failure")}
ENHANCED_MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"

# Secure defaults of the cluster parameter group; database.parameters overrides (rds.force_ssl stays 1).
DEFAULT_PARAMETERS: Mapping[str, DbParameter] = {
    "rds.force_ssl": DbParameter("1", "immediate"),
    "log_min_duration_statement": DbParameter("1000", "immediate"),  # ms: slow-query log
    "shared_preload_libraries": DbParameter("pg_stat_statements,pgaudit", "pending-reboot"),
    "pgaudit.log": DbParameter("ddl,role", "immediate"),
    "pgaudit.log_parameter": DbParameter("0", "immediate"),  # statements' bind values may hold personal data
    # Idle sessions keep the instance awake: close them so a min-0 cluster can auto-pause, and never let a
    # forgotten transaction hold locks and connections.
    "idle_session_timeout": DbParameter("900000", "immediate"),  # ms (15 min)
    "idle_in_transaction_session_timeout": DbParameter("300000", "immediate"),  # ms (5 min)
    "log_connections": DbParameter("1", "immediate"),
    "log_disconnections": DbParameter("1", "immediate"),
}


@dataclass(frozen=True)
class DatabaseArgs:
    ctx: StackContext
    settings: DatabaseSettings
    subnet_group_name: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    availability_zones: tuple[str, ...]
    data_key: KeyRef
    logs_key: KeyRef
    messaging_key: KeyRef  # the reporter of restore tests publishes to the encrypted warning topic
    log_retention_days: int
    topics: Topics


def cluster_identifier(ctx: StackContext) -> str:
    return f"{ctx.name_prefix}-db"


def final_snapshot_identifier(identifier: str, cfg: DatabaseSettings) -> str:
    """`<identifier>-final-<hash>`: the hash covers the cluster's ForceNew inputs that come from config, so a
    replacement (which deletes the old cluster first) names its final snapshot after the generation it deletes.
    Known at preview (the policy pack checks it). Should a name repeat (A -> B -> A), RDS refuses the delete
    because the snapshot exists: the replacement stops, and nothing is deleted without a snapshot."""
    replaced_by = {"databaseName": cfg.database_name, "masterUsername": cfg.master_username,
                   "restore": dataclasses.asdict(cfg.restore) if cfg.restore is not None else None}
    digest = hashlib.sha256(json.dumps(replaced_by, sort_keys=True).encode()).hexdigest()[:8]
    return f"{identifier}-final-{digest}"


def instance_keys(readers: int) -> list[str]:
    return ["writer", *(f"reader-{i}" for i in range(1, readers + 1))]


def instance_zone(key: str, zones: tuple[str, ...]) -> str:
    """The writer in the first AZ; reader-n in the other AZs in turn (the first AZ only if there is no other)."""
    if key == "writer" or len(zones) == 1:
        return zones[0]
    index = int(key.rsplit("-", 1)[1])
    others = zones[1:]
    return others[(index - 1) % len(others)]


def _managed_secret_arn(secrets: Sequence[aws.rds.outputs.ClusterMasterUserSecret]) -> str:
    """The ARN of the RDS-managed master user secret.

    The cluster sets manage_master_user_password=True, so RDS always reports the secret and its ARN once the
    cluster exists (during a preview of a new cluster the list is unknown and this does not run).
    """
    arn = secrets[0].secret_arn if secrets else None
    if arn is None:
        raise ValueError("RDS reported no managed master user secret although manage_master_user_password=True")
    return arn


class Database(pulumi.ComponentResource):
    connection: DatabaseConnection
    targets: DatabaseTargets
    cluster_arn: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    secret_arn: pulumi.Output[str]
    port: int
    database_name: str
    security_group_id: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    backup: Optional[BackupVaults]  # None when database.awsBackup.enabled is false

    def __init__(self, name: str, args: DatabaseArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Database", name, None, opts)
        ctx, cfg = args.ctx, args.settings
        self._ctx, self._prefix, self._args = ctx, name, args
        identifier = cluster_identifier(ctx)

        logs = log_group(
            f"{name}-postgresql-logs",
            ctx,
            COMPONENT,
            self,
            retention_days=args.log_retention_days,
            kms_key_arn=args.logs_key.arn,
            log_group_name=f"/aws/rds/cluster/{identifier}/postgresql",
        )
        parameters = self._parameter_group(cfg)
        cluster = self._cluster(identifier, cfg, parameters, logs)
        monitoring_role = service_role(
            f"{name}-monitoring",
            ctx,
            COMPONENT,
            self,
            services=["monitoring.rds.amazonaws.com"],
            managed_policy_arns=[f"arn:{ctx.partition}:iam::aws:policy/{ENHANCED_MONITORING_POLICY}"],
            description=f"{ctx.name_prefix} RDS Enhanced Monitoring (publishes OS metrics to CloudWatch Logs)",
        )
        instances = self._instances(cfg, cluster, monitoring_role)
        if cfg.reader_autoscaling.enabled:
            self._reader_autoscaling(cfg, identifier, list(instances.values()))
        self.backup = aws_backup(name, BackupArgs(
            ctx=ctx, settings=cfg.aws_backup, cluster=cluster, subnet_group_name=args.subnet_group_name,
            availability_zones=args.availability_zones, data_key=args.data_key, logs_key=args.logs_key,
            messaging_key=args.messaging_key, log_retention_days=args.log_retention_days, topics=args.topics,
        ), self) if cfg.aws_backup.enabled else None
        self._event_subscriptions(identifier, cluster, instances)

        self.cluster_arn = cluster.arn
        self.cluster_identifier = cluster.cluster_identifier
        self.endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.secret_arn = cluster.master_user_secrets.apply(_managed_secret_arn)
        self.port = POSTGRES_PORT
        self.database_name = cfg.database_name
        self.security_group_id = pulumi.Output.from_input(args.security_group_id)
        self.log_group_name = logs.name
        self.connection = DatabaseConnection(
            endpoint=self.endpoint,
            reader_endpoint=self.reader_endpoint,
            port=POSTGRES_PORT,
            database_name=cfg.database_name,
            master_username=cfg.master_username,
            secret_arn=self.secret_arn,
            secret_key_arn=args.data_key.arn,
            cluster_resource_id=cluster.cluster_resource_id,
        )
        self.targets = DatabaseTargets(
            cluster_identifier=self.cluster_identifier,
            instance_identifiers={key: instance.identifier for key, instance in instances.items()},
            readers=cfg.readers,
            max_capacity=cfg.max_capacity,
            restore_testing=self.backup.restore_testing if self.backup is not None else None,
        )
        self.register_outputs(
            {
                "clusterArn": self.cluster_arn,
                "clusterIdentifier": self.cluster_identifier,
                "endpoint": self.endpoint,
                "readerEndpoint": self.reader_endpoint,
                "secretArn": self.secret_arn,
                "port": self.port,
                "databaseName": self.database_name,
                "logGroupName": self.log_group_name,
                "backupVaultArn": self.backup.home_arn if self.backup is not None else None,
                "backupCopyVaultArn": self.backup.copy_arn if self.backup is not None else None,
            }
        )

    def _parameter_group(self, cfg: DatabaseSettings) -> aws.rds.ClusterParameterGroup:
        ctx = self._ctx
        merged = {**DEFAULT_PARAMETERS, **cfg.parameters}
        return aws.rds.ClusterParameterGroup(
            f"{self._prefix}-cluster-params",
            family=f"aurora-postgresql{cfg.major_version}",
            description=f"{ctx.name_prefix} Aurora PostgreSQL {cfg.major_version}: TLS only, audit and slow-query logs",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name=key, value=p.value, apply_method=p.apply_method)
                for key, p in sorted(merged.items())
            ],
            tags=ctx.tags(COMPONENT),
            opts=child(self, protect=ctx.protect),
        )

    def _cluster(
        self,
        identifier: str,
        cfg: DatabaseSettings,
        parameters: aws.rds.ClusterParameterGroup,
        logs: aws.cloudwatch.LogGroup,
    ) -> aws.rds.Cluster:
        ctx, args = self._ctx, self._args
        restore = cfg.restore
        point_in_time = None
        if restore is not None and restore.source_cluster_identifier:
            point_in_time = aws.rds.ClusterRestoreToPointInTimeArgs(
                source_cluster_identifier=restore.source_cluster_identifier,
                restore_to_time=restore.restore_to_time,
                use_latest_restorable_time=restore.use_latest_restorable_time or None,
                restore_type=restore.restore_type,
            )
        return aws.rds.Cluster(
            f"{self._prefix}-cluster",
            cluster_identifier=identifier,
            engine=ENGINE,
            engine_mode="provisioned",
            # the starting version; AWS raises the minor in the maintenance window (ignore_changes below)
            engine_version=cfg.engine_version,
            engine_lifecycle_support=LIFECYCLE_SUPPORT,
            allow_major_version_upgrade=False,
            auto_minor_version_upgrade=True,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=cfg.min_capacity,
                max_capacity=cfg.max_capacity,
                # RDS accepts a pause delay only for a cluster that can pause (0 ACUs)
                seconds_until_auto_pause=cfg.seconds_until_auto_pause if cfg.min_capacity == 0 else None,
            ),
            database_name=cfg.database_name,
            master_username=cfg.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.data_key.arn,
            iam_database_authentication_enabled=True,
            storage_encrypted=True,
            kms_key_id=args.data_key.arn,
            port=POSTGRES_PORT,
            network_type="IPV4",
            db_subnet_group_name=args.subnet_group_name,
            vpc_security_group_ids=[args.security_group_id],
            db_cluster_parameter_group_name=parameters.name,
            backup_retention_period=cfg.backup_retention_days,
            preferred_backup_window=cfg.backup_window,
            preferred_maintenance_window=cfg.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=cfg.deletion_protection,
            # Never deleted without a final snapshot, in dev too: a replacement (a changed replace-on-change key)
            # deletes the old cluster first, and its snapshot is named per generation of the cluster.
            skip_final_snapshot=False,
            final_snapshot_identifier=final_snapshot_identifier(identifier, cfg),
            delete_automated_backups=not ctx.is_prod,
            enabled_cloudwatch_logs_exports=["postgresql"],
            # Performance Insights' console reached end of life in 2026: its data (and retention) now show in
            # CloudWatch Database Insights, Standard mode. Advanced mode would need 465 days of retention.
            database_insights_mode="standard",
            snapshot_identifier=restore.snapshot_identifier if restore is not None else None,
            restore_to_point_in_time=point_in_time,
            apply_immediately=not ctx.is_prod,
            tags=ctx.tags(COMPONENT, identifier),
            opts=child(
                self,
                protect=ctx.protect,
                # the identifier is fixed, so a replacement (a dev restore drill) must delete the old cluster first
                delete_before_replace=True,
                # engineVersion is a floor, not a pin: with auto minor upgrades AWS moves the cluster past it, and a
                # pinned value would plan a downgrade (which RDS refuses) on the next `pulumi up`. Upgrades: see
                # docs/database.md (Engine version).
                ignore_changes=["engine_version"],
                depends_on=[logs],
                custom_timeouts=pulumi.CustomTimeouts(create="60m", update="80m", delete="60m"),
            ),
        )

    def _instances(
        self, cfg: DatabaseSettings, cluster: aws.rds.Cluster, monitoring_role: ServiceRole
    ) -> dict[str, aws.rds.ClusterInstance]:
        ctx, args = self._ctx, self._args
        instances: dict[str, aws.rds.ClusterInstance] = {}
        for tier, key in enumerate(instance_keys(cfg.readers)):
            # Aurora makes the first instance the writer, so readers wait for it.
            after = [instances["writer"]] if key != "writer" else []
            instances[key] = aws.rds.ClusterInstance(
                f"{self._prefix}-{key}",
                cluster_identifier=cluster.id,
                engine=ENGINE,
                instance_class=cfg.instance_class,
                availability_zone=instance_zone(key, args.availability_zones),
                promotion_tier=min(tier, 15),
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                ca_cert_identifier=CA_CERTIFICATE,
                copy_tags_to_snapshot=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=args.data_key.arn,
                performance_insights_retention_period=cfg.performance_insights_retention_days,
                monitoring_interval=cfg.monitoring_interval,
                monitoring_role_arn=monitoring_role.arn,
                apply_immediately=not ctx.is_prod,
                tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-db-{key}", Role="writer" if key == "writer" else "reader"),
                opts=child(
                    cluster,
                    protect=ctx.protect,
                    depends_on=after,
                    custom_timeouts=pulumi.CustomTimeouts(create="60m", update="80m", delete="60m"),
                ),
            )
        return instances

    def _reader_autoscaling(
        self, cfg: DatabaseSettings, identifier: str, instances: list[aws.rds.ClusterInstance]
    ) -> None:
        ctx, scaling = self._ctx, cfg.reader_autoscaling
        # ReadReplicaCount counts every reader; the floor is never below the configured readers, so Application
        # Auto Scaling only adds readers of its own on top of them (and removes only those).
        target = aws.appautoscaling.Target(
            f"{self._prefix}-readers",
            service_namespace="rds",
            scalable_dimension="rds:cluster:ReadReplicaCount",
            resource_id=f"cluster:{identifier}",
            min_capacity=max(scaling.min_readers, cfg.readers),
            max_capacity=scaling.max_readers,
            tags=ctx.tags(COMPONENT),
            opts=child(self, depends_on=instances),
        )
        aws.appautoscaling.Policy(
            f"{self._prefix}-readers-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=scaling.target_cpu,
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="RDSReaderAverageCPUUtilization",
                ),
                scale_in_cooldown=600,
                scale_out_cooldown=300,
            ),
            opts=child(target),
        )

    def _event_subscriptions(
        self, identifier: str, cluster: aws.rds.Cluster, instances: Mapping[str, aws.rds.ClusterInstance]
    ) -> None:
        ctx, topic = self._ctx, self._args.topics.critical
        sources = {
            "db-cluster": [cluster.cluster_identifier],
            "db-instance": [instance.identifier for instance in instances.values()],
        }
        for source_type, ids in sources.items():
            aws.rds.EventSubscription(
                f"{self._prefix}-events-{source_type.removeprefix('db-')}",
                sns_topic=topic,
                source_type=source_type,
                source_ids=ids,
                event_categories=list(EVENT_CATEGORIES),
                enabled=True,
                tags=ctx.tags(COMPONENT, Severity="critical"),
                opts=child(self),
            )
        # Security Hub RDS.21/RDS.22: once any subscription exists, parameter-group and security-group events must be
        # covered too. The cluster has neither a DB parameter group nor a DB security group to name, so these are
        # unscoped; they go to the warning topic because such a change is worth a look, not a page.
        for source_type, categories in ACCOUNT_EVENT_CATEGORIES.items():
            aws.rds.EventSubscription(
                f"{self._prefix}-events-{source_type.removeprefix('db-')}",
                sns_topic=self._args.topics.warning,
                source_type=source_type,
                event_categories=list(categories),
                enabled=True,
                tags=ctx.tags(COMPONENT, Severity="warning"),
                opts=child(self),
            )
