"""Violating variants: Aurora cluster, instances, event subscriptions, data safety of the stateful resources."""

from __future__ import annotations

from .core import Mutant, variant

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
EVENTS = "aws:rds/eventSubscription:EventSubscription"


def _cluster(rule: str, name: str, kind: str, path: str, value: object, stacks: tuple[str, ...] = ("dev", "prod"),
             drop: bool = False) -> None:
    def mutate(m: Mutant) -> str:
        cluster = m.get(CLUSTER)
        return m.drop(cluster, path) if drop else m.set(cluster, path, value)

    variant(rule, name, kind, stacks)(mutate)


def _instance(rule: str, name: str, kind: str, path: str, value: object, drop: bool = False) -> None:
    def mutate(m: Mutant) -> str:
        writer = m.get(INSTANCE, "db-writer")
        return m.drop(writer, path) if drop else m.set(writer, path, value)

    variant(rule, name, kind, ("dev", "prod"))(mutate)


_cluster("rds-cluster-encrypted-cmk", "storage unencrypted", "value", "storageEncrypted", False)
_cluster("rds-cluster-encrypted-cmk", "AWS managed key (no kms_key_id)", "removed", "kmsKeyId", None, drop=True)
_cluster("rds-cluster-deletion-protection", "deletion protection off", "value", "deletionProtection", False, ("prod",))
_cluster("rds-cluster-deletion-protection", "final snapshot skipped", "value", "skipFinalSnapshot", True, ("prod",))
_cluster("rds-cluster-iam-auth", "IAM authentication off", "value", "iamDatabaseAuthenticationEnabled", False)
_cluster("rds-cluster-backup-retention", "one day of backups", "value", "backupRetentionPeriod", 1)
_cluster("rds-cluster-backup-retention", "retention unset (provider default 1)", "removed", "backupRetentionPeriod",
         None, drop=True)
_cluster("rds-cluster-copy-tags-to-snapshot", "tags not copied", "value", "copyTagsToSnapshot", False)
_cluster("rds-cluster-log-exports", "only the IAM auth log exported", "partial", "enabledCloudwatchLogsExports",
         ["iam-db-auth-error"])
_cluster("rds-cluster-custom-admin-username", "engine default user", "value", "masterUsername", "postgres")
_cluster("rds-cluster-managed-secret-cmk", "secret under the AWS managed key", "removed", "masterUserSecretKmsKeyId",
         None, drop=True)
_cluster("rds-cluster-managed-secret-cmk", "password in the program", "added", "masterPassword", "hunter2hunter2")
_cluster("rds-cluster-auto-minor-upgrade", "minor upgrades off", "value", "autoMinorVersionUpgrade", False)
_instance("rds-instance-not-public", "writer publicly accessible", "value", "publiclyAccessible", True)
_instance("rds-instance-auto-minor-upgrade", "writer minor upgrades off (string false)", "value",
          "autoMinorVersionUpgrade", "false")
_instance("rds-instance-enhanced-monitoring", "monitoring interval 0", "value", "monitoringInterval", 0)
_instance("rds-instance-enhanced-monitoring", "monitoring role removed", "removed", "monitoringRoleArn", None, drop=True)
_instance("rds-instance-copy-tags-to-snapshot", "writer tags not copied", "value", "copyTagsToSnapshot", False)


@variant("rds-performance-insights-cmk", "Performance Insights under the AWS managed key", "removed", ("dev", "prod"))
def _pi(m: Mutant) -> str:
    writer = m.get(INSTANCE, "db-writer")
    return m.edit(writer, lambda p: (p.pop("performanceInsightsKmsKeyId", None),
                                     p.update(performanceInsightsEnabled=True)))


@variant("rds-cluster-multi-az", "reader removed", "removed")
def _no_reader(m: Mutant) -> str:
    m.remove(m.get(INSTANCE, "db-reader-1"))
    return m.get(CLUSTER).name


@variant("rds-cluster-multi-az", "reader pinned to the writer's AZ", "value")
def _same_az(m: Mutant) -> str:
    for suffix in ("db-writer", "db-reader-1"):
        m.set(m.get(INSTANCE, suffix), "availabilityZone", "us-west-2a")
    return m.get(CLUSTER).name


EVENT_RULE = "rds-event-subscriptions-cover-critical-events"


def _anchor(m: Mutant) -> str:
    """The rule reports coverage gaps on the stack's first subscription (registration order)."""
    return next(r.name for r in m.resources if r.type == EVENTS)


@variant(EVENT_RULE, "cluster subscription removed", "removed", ("dev", "prod"))
def _events_removed(m: Mutant) -> str:
    m.remove(m.get(EVENTS, "db-events-cluster"))
    return _anchor(m)


@variant(EVENT_RULE, "instance subscription narrowed to failures", "partial")
def _events_partial(m: Mutant) -> str:
    m.set(m.get(EVENTS, "db-events-instance"), "eventCategories", ["failure"])
    return _anchor(m)


@variant(EVENT_RULE, "parameter-group subscription disabled", "value")
def _events_disabled(m: Mutant) -> str:
    m.set(m.get(EVENTS, "db-events-parameter-group"), "enabled", False)
    return _anchor(m)
