"""Database settings: the `database` key table and its nested tables (`readerAutoscaling`, `awsBackup`,
`restore`), the Aurora PostgreSQL limits they check against, `DatabaseSettings` with its parts and `read_database`
(capacity, engine version, backup/maintenance windows, parameter overrides and restore sources).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from .schema import _MISSING, PROJECT, Key, Section, _nested, _Problems, _Reader, one_of

# Aurora PostgreSQL majors in standard support (13 ended February 2026; the cluster opts out of paid Extended
# Support), and the first minor of each that allows 0 ACUs (Serverless v2 auto-pause).
DATABASE_MAJORS = (14, 15, 16, 17)
AUTO_PAUSE_MINIMUM = {14: 12, 15: 7, 16: 3, 17: 4}
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)
PERFORMANCE_INSIGHTS_RETENTION = (7, *range(31, 731, 31), 731)
RESTORE_TYPES = ("full-copy", "copy-on-write")
# Names RDS reserves for Aurora PostgreSQL or that are the well-known defaults an attacker tries first.
RESERVED_DB_USERS = ("postgres", "admin", "rdsadmin", "root", "administrator", "master", "superuser", "rds_superuser")
RESERVED_DB_NAMES = ("postgres", "template0", "template1", "rdsadmin")
_PG_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,62}")
_BACKUP_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAINTENANCE_WINDOW = re.compile(
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)"
)
# Parameters that only take effect after a reboot; RDS rejects apply_method "immediate" for them.
STATIC_DB_PARAMETERS = ("shared_preload_libraries", "max_connections", "rds.logical_replication", "track_activity_query_size")

DATABASE_SECTION = Section(
    "database",
    "Aurora PostgreSQL Serverless v2 cluster.",
    (
        Key(
            "engineVersion",
            "string",
            "Aurora PostgreSQL engine version (major.minor). minCapacity 0 needs 14.12, 15.7, 16.3, 17.4 or later.",
            default="17.7",
            allowed="a version of the form MAJOR.MINOR with MAJOR 14 to 17, e.g. 17.7",
            check=lambda v: re.fullmatch(r"\d{2}\.\d{1,2}", v) is not None and int(v.split(".")[0]) in DATABASE_MAJORS,
            replaces="a new MAJOR replaces the cluster parameter group (family); a minor change does nothing, the version is a floor that AWS raises (docs/database.md)"
        ),
        Key(
            "minCapacity",
            "number",
            "Serverless v2 minimum ACUs; 0 lets the cluster auto-pause.",
            default=0.5,
            allowed="0 to 256 in steps of 0.5, at most maxCapacity",
            check=lambda v: 0 <= v <= 256 and float(v * 2).is_integer(),
        ),
        Key(
            "maxCapacity",
            "number",
            "Serverless v2 maximum ACUs.",
            default=8,
            allowed="1 to 256 in steps of 0.5, at least minCapacity",
            check=lambda v: 1 <= v <= 256 and float(v * 2).is_integer(),
        ),
        Key(
            "secondsUntilAutoPause",
            "integer",
            "Idle seconds before a cluster with minCapacity 0 pauses (ignored otherwise). Open connections keep it awake.",
            default=300,
            allowed="300 to 86400",
            check=lambda v: 300 <= v <= 86400,
        ),
        Key(
            "instanceClass",
            "string",
            "Instance class of the writer and the readers: db.serverless (Serverless v2) or a provisioned class.",
            default="db.serverless",
            allowed="db.serverless or a provisioned class such as db.r7g.large",
            check=lambda v: re.fullmatch(r"db\.serverless|db\.[a-z][a-z0-9-]*\.[0-9]*x?(large|medium|small|micro)", v) is not None,
        ),
        Key(
            "readers",
            "integer",
            "Number of reader instances (read replicas) besides the writer, placed in the AZs after the writer's.",
            default=1,
            allowed="0 to 15",
            check=lambda v: 0 <= v <= 15,
        ),
        Key(
            "readerAutoscaling",
            "object",
            "Application Auto Scaling of the reader count on reader CPU: {enabled: bool, min: 1..15 (the floor is "
            "the larger of min and readers), max: 1..15, at least min and readers, targetCpu: 10..90 percent}.",
            default={"enabled": False, "min": 1, "max": 3, "targetCpu": 60},
            allowed="a map with enabled (bool), min (1 to 15), max (1 to 15, at least min and readers), targetCpu (10 to 90)",
        ),
        Key(
            "backupRetentionDays",
            "integer",
            "Automated backup retention in days.",
            default=35,
            allowed="1 to 35",
            check=lambda v: 1 <= v <= 35,
        ),
        Key(
            "backupWindow",
            "string",
            "Daily automated backup window in UTC (hh24:mi-hh24:mi).",
            default="08:00-09:00",
            allowed="hh24:mi-hh24:mi in UTC, at least 30 minutes, not overlapping maintenanceWindow",
            check=lambda v: _BACKUP_WINDOW.fullmatch(v) is not None,
        ),
        Key(
            "maintenanceWindow",
            "string",
            "Weekly maintenance window in UTC (ddd:hh24:mi-ddd:hh24:mi).",
            default="sun:10:00-sun:11:00",
            allowed="ddd:hh24:mi-ddd:hh24:mi in UTC (days mon..sun), at least 30 minutes, not overlapping backupWindow",
            check=lambda v: _MAINTENANCE_WINDOW.fullmatch(v) is not None,
        ),
        Key(
            "deletionProtection",
            "boolean",
            "RDS deletion protection on the cluster.",
            default=True,
        ),
        Key(
            "databaseName",
            "string",
            "Name of the application database created in the cluster.",
            default="vitality",
            allowed="a lower-case PostgreSQL identifier ([a-z][a-z0-9_]{0,62}), not postgres/template0/template1/rdsadmin",
            check=lambda v: _PG_IDENTIFIER.fullmatch(v) is not None and v not in RESERVED_DB_NAMES,
            replaces="the Aurora cluster: a new, empty cluster (dev: after a final snapshot; prod: refused, protected)"
        ),
        Key(
            "masterUsername",
            "string",
            "Master user name (its password is managed by RDS in Secrets Manager).",
            default="vitality_admin",
            allowed="a lower-case PostgreSQL identifier ([a-z][a-z0-9_]{0,62}), not a default or reserved name ("
            + ", ".join(RESERVED_DB_USERS) + ") and not starting with rds or pg_",
            check=lambda v: _PG_IDENTIFIER.fullmatch(v) is not None and v not in RESERVED_DB_USERS
            and not v.startswith(("rds", "pg_")),
            replaces="the Aurora cluster: a new, empty cluster (dev: after a final snapshot; prod: refused, protected)"
        ),
        Key(
            "parameters",
            "object",
            "Cluster parameter overrides: {name: value} or {name: {value, applyMethod}}; merged over the secure "
            "defaults (see docs/database.md). rds.force_ssl cannot be turned off.",
            default={},
            allowed="a map of parameter name to a string/number value or {value, applyMethod: immediate|pending-reboot}",
        ),
        Key(
            "monitoringInterval",
            "integer",
            "Enhanced Monitoring interval in seconds.",
            default=60,
            allowed="one of " + ", ".join(map(str, MONITORING_INTERVALS)),
            check=lambda v: v in MONITORING_INTERVALS,
        ),
        Key(
            "performanceInsightsRetentionDays",
            "integer",
            "Performance Insights retention (7 is free).",
            default=7,
            allowed="7, a multiple of 31 up to 713, or 731",
            check=lambda v: v in PERFORMANCE_INSIGHTS_RETENTION,
        ),
        Key(
            "awsBackup",
            "object",
            "AWS Backup on top of the automated backups: {enabled, retentionDays: 7..3650, schedule: a daily cron(...) "
            "in UTC, copyRegion: \"\" (the region paired with aws:region), a region or none, copyAccountVaultArn: "
            "\"\" or another account's backup vault ARN (organization mode), lockMode: auto|none|governance|compliance (auto: compliance in prod) "
            "(Vault Lock; compliance cannot be undone after lockChangeableForDays), lockMinRetentionDays, "
            "lockMaxRetentionDays, lockChangeableForDays: 3.., restoreTestFrequency: off|weekly|monthly}.",
            default={"enabled": True, "retentionDays": 35, "schedule": "cron(0 5 ? * * *)", "copyRegion": "",
                     "copyAccountVaultArn": "", "lockMode": "auto", "lockMinRetentionDays": 7,
                     "lockMaxRetentionDays": 3650, "lockChangeableForDays": 3, "restoreTestFrequency": "monthly"},
            allowed="a map of the keys above; retentionDays within [lockMinRetentionDays, lockMaxRetentionDays]",
            replaces="copyRegion replaces the copy vault and its key (a locked vault keeps its recovery points)"
        ),
        Key(
            "restore",
            "object",
            "Create the cluster from a backup (DR drills): {snapshotIdentifier} or {sourceClusterIdentifier, "
            "restoreToTime | useLatestRestorableTime, restoreType}. See the runbook in docs/database.md.",
            default={},
            allowed="empty, {snapshotIdentifier: <snapshot id or ARN>}, or {sourceClusterIdentifier, restoreToTime "
            "(YYYY-MM-DDTHH:MM:SSZ) or useLatestRestorableTime: true, restoreType: full-copy|copy-on-write}",
            replaces="setting a source (or removing a point-in-time one) replaces the Aurora cluster; the runbook in docs/database.md"
        ),
    ),
)

_READER_AUTOSCALING = Section(
    "database.readerAutoscaling",
    "Reader auto scaling.",
    (
        Key("enabled", "boolean", "Scale the reader count on CPU.", default=False),
        Key("min", "integer", "Minimum readers.", default=1, allowed="1 to 15", check=lambda v: 1 <= v <= 15),
        Key("max", "integer", "Maximum readers.", default=3, allowed="1 to 15, at least min", check=lambda v: 1 <= v <= 15),
        Key("targetCpu", "number", "Average reader CPU to hold.", default=60, allowed="10 to 90", check=lambda v: 10 <= v <= 90),
    ),
)

# Where AWS Backup copies go when database.awsBackup.copyRegion is "": a region of the same partition and
# geography. For us-* homes it is not us-east-1 unless the home is a neighbour (us-east-1 holds the edge).
COPY_REGION_PAIRS = {
    "us-east-1": "us-west-2", "us-east-2": "us-west-2", "us-west-1": "us-west-2", "us-west-2": "us-east-2",
    "ca-central-1": "ca-west-1", "ca-west-1": "ca-central-1", "sa-east-1": "us-east-2",
    "eu-west-1": "eu-central-1", "eu-west-2": "eu-west-1", "eu-west-3": "eu-central-1", "eu-central-1": "eu-west-1",
    "eu-central-2": "eu-central-1", "eu-north-1": "eu-central-1", "eu-south-1": "eu-central-1", "eu-south-2": "eu-west-3",
    "ap-southeast-1": "ap-southeast-2", "ap-southeast-2": "ap-southeast-4", "ap-southeast-4": "ap-southeast-2",
    "ap-northeast-1": "ap-northeast-3", "ap-northeast-3": "ap-northeast-1", "ap-northeast-2": "ap-northeast-1",
    "ap-south-1": "ap-south-2", "ap-south-2": "ap-south-1",
    "us-gov-west-1": "us-gov-east-1", "us-gov-east-1": "us-gov-west-1",
}
LOCK_MODES = ("auto", "none", "governance", "compliance")  # auto: compliance in a prod environment, else governance
RESTORE_TEST_FREQUENCIES = ("off", "weekly", "monthly")
LOCK_RETENTION_LIMIT = 36500  # AWS Backup Vault Lock: retention and cooling-off periods up to 100 years
LOCK_MIN_CHANGEABLE_DAYS = 3  # AWS Backup requires at least 72 hours of cooling-off for a compliance lock
_REGION_RE = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")
_BACKUP_VAULT_ARN_RE = re.compile(r"arn:aws(-[a-z]+)*:backup:[a-z]{2}(-gov)?-[a-z]+-\d:(\d{12}):backup-vault:[A-Za-z0-9_-]{2,50}")

_AWS_BACKUP = Section(
    "database.awsBackup",
    "AWS Backup plan, copies, Vault Lock and restore tests.",
    (
        Key("enabled", "boolean", "Create the vaults, plan, selection and restore tests.", default=True),
        Key("retentionDays", "integer", "Days a recovery point (and each copy) is kept.", default=35, allowed="7 to 3650",
            check=lambda v: 7 <= v <= 3650),
        Key("schedule", "string", "When the daily backup starts (UTC).", default="cron(0 5 ? * * *)",
            allowed="a daily cron(...) expression with six fields, e.g. cron(0 5 ? * * *)",
            check=lambda v: re.fullmatch(r"cron\(\d{1,2} \d{1,2} \? \* \* \*\)", v) is not None),
        Key("copyRegion", "string", "Region of the vault each recovery point is copied to.", default="",
            allowed="\"\" (the region paired with aws:region), a region name other than aws:region, or none",
            check=lambda v: v in ("", "none") or _REGION_RE.fullmatch(v) is not None,
            replaces="the copy vault and its key"),
        Key("copyAccountVaultArn", "string", "Another account's backup vault each recovery point is also copied to "
            "(organization mode; its vault policy must admit this account).", default="",
            allowed="empty or arn:aws:backup:<region>:<account id>:backup-vault:<name>",
            check=lambda v: v == "" or _BACKUP_VAULT_ARN_RE.fullmatch(v) is not None),
        Key("lockMode", "string", "AWS Backup Vault Lock on both vaults (auto: compliance in a prod environment, "
            "governance otherwise): compliance cannot be undone once lockChangeableForDays have passed.",
            default="auto", allowed=one_of(*LOCK_MODES)[0],
            check=one_of(*LOCK_MODES)[1]),
        Key("lockMinRetentionDays", "integer", "Shortest retention the lock accepts.", default=7,
            allowed=f"1 to {LOCK_RETENTION_LIMIT}, at most retentionDays", check=lambda v: 1 <= v <= LOCK_RETENTION_LIMIT),
        Key("lockMaxRetentionDays", "integer", "Longest retention the lock accepts.", default=3650,
            allowed=f"1 to {LOCK_RETENTION_LIMIT}, at least retentionDays", check=lambda v: 1 <= v <= LOCK_RETENTION_LIMIT),
        Key("lockChangeableForDays", "integer", "Cooling-off period of a compliance lock: until it ends, the lock can "
            "still be changed or removed.", default=3, allowed=f"{LOCK_MIN_CHANGEABLE_DAYS} to {LOCK_RETENTION_LIMIT}",
            check=lambda v: LOCK_MIN_CHANGEABLE_DAYS <= v <= LOCK_RETENTION_LIMIT),
        Key("restoreTestFrequency", "string", "How often AWS Backup restore-tests the latest recovery point.",
            default="monthly", allowed=one_of(*RESTORE_TEST_FREQUENCIES)[0], check=one_of(*RESTORE_TEST_FREQUENCIES)[1]),
    ),
)

_RESTORE = Section(
    "database.restore",
    "Restore source.",
    (
        Key("snapshotIdentifier", "string", "Cluster snapshot id or ARN to create the cluster from.", default="",
            allowed="empty, a cluster snapshot identifier or its ARN",
            check=lambda v: v == "" or re.fullmatch(r"(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:)?[a-zA-Z][a-zA-Z0-9:-]{0,254}", v) is not None),
        Key("sourceClusterIdentifier", "string", "Cluster to restore to a point in time from.", default="",
            allowed="empty, a cluster identifier or its ARN",
            check=lambda v: v == "" or re.fullmatch(r"(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:)?[a-zA-Z][a-zA-Z0-9-]{0,62}", v) is not None),
        Key("restoreToTime", "string", "UTC time to restore to.", default="",
            allowed="empty or YYYY-MM-DDTHH:MM:SSZ",
            check=lambda v: v == "" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v) is not None),
        Key("useLatestRestorableTime", "boolean", "Restore to the latest restorable time.", default=False),
        Key("restoreType", "string", "full-copy or copy-on-write (a clone).", default="full-copy",
            allowed=one_of(*RESTORE_TYPES)[0], check=one_of(*RESTORE_TYPES)[1]),
    ),
)


@dataclass(frozen=True)
class ReaderAutoscalingSettings:
    enabled: bool = False
    min_readers: int = 1
    max_readers: int = 3
    target_cpu: float = 60.0


@dataclass(frozen=True)
class AwsBackupSettings:
    enabled: bool = True
    retention_days: int = 35
    schedule: str = "cron(0 5 ? * * *)"
    copy_region: Optional[str] = None  # resolved: the configured or paired region; None for no copy
    copy_account_vault_arn: Optional[str] = None
    lock_mode: str = "governance"  # "none" | "governance" | "compliance" ("auto" is resolved by the loader)
    lock_min_retention_days: int = 7
    lock_max_retention_days: int = 3650
    lock_changeable_for_days: int = 3
    restore_test_frequency: str = "monthly"  # "off" | "weekly" | "monthly"

    @property
    def copy_accounts(self) -> tuple[str, ...]:
        """Accounts that receive copies (their vault ARN's account), for the data key's policy."""
        return (self.copy_account_vault_arn.split(":")[4],) if self.enabled and self.copy_account_vault_arn else ()


@dataclass(frozen=True)
class RestoreSettings:
    """Exactly one source: a snapshot, or a source cluster with a time (or the latest restorable time)."""

    snapshot_identifier: Optional[str] = None
    source_cluster_identifier: Optional[str] = None
    restore_to_time: Optional[str] = None
    use_latest_restorable_time: bool = False
    restore_type: str = "full-copy"


@dataclass(frozen=True)
class DbParameter:
    value: str
    apply_method: str  # "immediate" | "pending-reboot"


@dataclass(frozen=True)
class DatabaseSettings:
    engine_version: str
    min_capacity: float
    max_capacity: float
    readers: int
    backup_retention_days: int
    deletion_protection: bool
    seconds_until_auto_pause: int = 300
    instance_class: str = "db.serverless"
    reader_autoscaling: ReaderAutoscalingSettings = ReaderAutoscalingSettings()
    backup_window: str = "08:00-09:00"
    maintenance_window: str = "sun:10:00-sun:11:00"
    database_name: str = "vitality"
    master_username: str = "vitality_admin"
    parameters: Mapping[str, DbParameter] = field(default_factory=dict)  # overrides only; defaults live in the component
    monitoring_interval: int = 60
    performance_insights_retention_days: int = 7
    aws_backup: AwsBackupSettings = AwsBackupSettings()
    restore: Optional[RestoreSettings] = None

    @property
    def major_version(self) -> int:
        return int(self.engine_version.split(".")[0])


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _backup_intervals(window: str) -> list[tuple[int, int]]:
    """The daily backup window as minute-of-week intervals from the previous Sunday to the next Monday, so windows
    that wrap past midnight or past the end of the week are compared too."""
    start, end = (_minutes(t) for t in window.split("-"))
    length = (end - start) % 1440
    return [(day * 1440 + start, day * 1440 + start + length) for day in range(-1, 8)]


def _maintenance_interval(window: str) -> tuple[int, int]:
    start, end = window.split("-")
    s = _DAYS.index(start[:3]) * 1440 + _minutes(start[4:])
    e = _DAYS.index(end[:3]) * 1440 + _minutes(end[4:])
    return s, s + (e - s) % (7 * 1440)


def _db_parameters(r: _Reader, raw: Mapping[str, Any]) -> dict[str, DbParameter]:
    found: dict[str, DbParameter] = {}
    for name, given in raw.items():
        key = f"{PROJECT}:database.parameters.{name}"
        if not re.fullmatch(r"[a-z_][a-z0-9_.]*", name):
            r.problems.add(key, given, "a PostgreSQL parameter name such as log_min_duration_statement", _MISSING)
            continue
        value, method = given, "pending-reboot" if name in STATIC_DB_PARAMETERS else "immediate"
        if isinstance(given, dict):
            value, method = given.get("value"), given.get("applyMethod", method)
            extra = set(given) - {"value", "applyMethod"}
            if extra or method not in ("immediate", "pending-reboot"):
                r.problems.add(key, given, "{value, applyMethod: immediate|pending-reboot}", {"value": value, "applyMethod": "pending-reboot"})
                continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
            r.problems.add(key, given, "a non-empty string or number", "1")
            continue
        if name in STATIC_DB_PARAMETERS and method == "immediate":
            r.problems.add(key, given, f"applyMethod pending-reboot ({name} is static)", {"value": value, "applyMethod": "pending-reboot"})
            continue
        if name == "rds.force_ssl" and str(value) != "1":
            r.problems.add(key, given, "1 (TLS is required; see docs/database.md)", "1")
            continue
        found[name] = DbParameter(str(value), method)
    return found


def _aws_backup(problems: _Problems, raw: Any, region: Optional[str]) -> tuple[_Reader, Optional[AwsBackupSettings]]:
    b = _nested(problems, _AWS_BACKUP, raw)
    v = b.values
    copy_region: Optional[str] = None
    if b.ok("copyRegion") and v["copyRegion"] != "none" and region is not None:
        copy_region = v["copyRegion"] or COPY_REGION_PAIRS.get(region)
        if copy_region is None:
            b.fail("copyRegion", f"a region name (there is no default pair for {region}) or none", "none")
        elif copy_region == region:
            b.fail("copyRegion", f"a region other than aws:region ({region}): a copy in the same region does not "
                   "survive its outage", COPY_REGION_PAIRS.get(region, "none"))
    if b.ok("retentionDays", "lockMinRetentionDays", "lockMaxRetentionDays", "lockMode") and v["lockMode"] != "none":
        if v["lockMinRetentionDays"] > v["retentionDays"]:
            b.fail("lockMinRetentionDays", f"at most database.awsBackup.retentionDays ({v['retentionDays']}): the lock "
                   "would reject every recovery point", min(7, v["retentionDays"]))
        if v["lockMaxRetentionDays"] < v["retentionDays"]:
            b.fail("lockMaxRetentionDays", f"at least database.awsBackup.retentionDays ({v['retentionDays']}): the lock "
                   "would reject every recovery point", max(3650, v["retentionDays"]))
    if b.bad:
        return b, None
    return b, AwsBackupSettings(
        enabled=v["enabled"],
        retention_days=v["retentionDays"],
        schedule=v["schedule"],
        copy_region=copy_region,
        copy_account_vault_arn=v["copyAccountVaultArn"] or None,
        lock_mode=v["lockMode"],
        lock_min_retention_days=v["lockMinRetentionDays"],
        lock_max_retention_days=v["lockMaxRetentionDays"],
        lock_changeable_for_days=v["lockChangeableForDays"],
        restore_test_frequency=v["restoreTestFrequency"],
    )


def resolve_lock_mode(database: DatabaseSettings, environment: Optional[str]) -> DatabaseSettings:
    """lockMode auto: compliance in a prod environment (the vaults must outlive a compromised admin), governance
    elsewhere (a dev stack stays deletable)."""
    backup = database.aws_backup
    if backup.lock_mode != "auto":
        return database
    mode = "compliance" if environment == "prod" else "governance"
    return dataclasses.replace(database, aws_backup=dataclasses.replace(backup, lock_mode=mode))


def read_database(problems: _Problems, raw: Any, region: Optional[str]) -> Optional[DatabaseSettings]:
    r = _Reader(problems, DATABASE_SECTION, raw)
    v = r.values
    if r.ok("minCapacity", "maxCapacity") and v["minCapacity"] > v["maxCapacity"]:
        r.fail("maxCapacity", f"at least database.minCapacity ({v['minCapacity']:g})", max(v["minCapacity"], 1))
    if r.ok("minCapacity", "engineVersion") and v["minCapacity"] == 0:
        major, minor = (int(x) for x in v["engineVersion"].split("."))
        if minor < AUTO_PAUSE_MINIMUM[major]:
            r.fail("engineVersion", f"{major}.{AUTO_PAUSE_MINIMUM[major]} or later when database.minCapacity is 0 "
                   "(auto-pause)", f"{major}.{AUTO_PAUSE_MINIMUM[major]}")
    for window in ("backupWindow", "maintenanceWindow"):
        if r.ok(window):
            start, end = (_backup_intervals(v[window])[0] if window == "backupWindow" else _maintenance_interval(v[window]))
            if end - start < 30:
                r.fail(window, "a window of at least 30 minutes")
    if r.ok("backupWindow", "maintenanceWindow"):
        m_start, m_end = _maintenance_interval(v["maintenanceWindow"])
        if any(b_start < m_end and m_start < b_end for b_start, b_end in _backup_intervals(v["backupWindow"])):
            r.fail("maintenanceWindow", f"a window that does not overlap database.backupWindow ({v['backupWindow']})")

    scaling = _nested(problems, _READER_AUTOSCALING, v.get("readerAutoscaling"))
    s = scaling.values
    if scaling.ok("min", "max") and s["min"] > s["max"]:
        scaling.fail("max", f"at least database.readerAutoscaling.min ({s['min']})", s["min"])
    if scaling.ok("max", "enabled") and r.ok("readers") and s["enabled"] and s["max"] < v["readers"]:
        scaling.fail("max", f"at least database.readers ({v['readers']}): the floor is never below the configured readers",
                     v["readers"])

    backup, backup_settings = _aws_backup(problems, v.get("awsBackup"), region)
    restore = _nested(problems, _RESTORE, v.get("restore"))
    rv = restore.values
    if restore.ok("snapshotIdentifier", "sourceClusterIdentifier", "restoreToTime", "useLatestRestorableTime"):
        point_in_time = bool(rv["sourceClusterIdentifier"])
        if rv["snapshotIdentifier"] and point_in_time:
            restore.fail("sourceClusterIdentifier", "empty when database.restore.snapshotIdentifier is set (one restore "
                         "source)", _MISSING)
        elif point_in_time and bool(rv["restoreToTime"]) == rv["useLatestRestorableTime"]:
            restore.fail("restoreToTime", "exactly one of restoreToTime or useLatestRestorableTime: true with "
                         "sourceClusterIdentifier", "2026-01-31T12:00:00Z")
        elif not point_in_time and (rv["restoreToTime"] or rv["useLatestRestorableTime"]):
            restore.fail("sourceClusterIdentifier", "the source cluster of a point-in-time restore (restoreToTime or "
                         "useLatestRestorableTime is set)", "vitality-prod-db")
        elif rv["snapshotIdentifier"] and rv["restoreType"] != "full-copy":
            restore.fail("restoreType", "full-copy for a snapshot restore (copy-on-write is a point-in-time clone)", "full-copy")

    parameters = _db_parameters(r, v["parameters"]) if r.ok("parameters") else {}
    if r.bad or scaling.bad or backup.bad or restore.bad or backup_settings is None:
        return None
    restore_settings = None
    if rv["snapshotIdentifier"] or rv["sourceClusterIdentifier"]:
        restore_settings = RestoreSettings(
            snapshot_identifier=rv["snapshotIdentifier"] or None,
            source_cluster_identifier=rv["sourceClusterIdentifier"] or None,
            restore_to_time=rv["restoreToTime"] or None,
            use_latest_restorable_time=rv["useLatestRestorableTime"],
            restore_type=rv["restoreType"],
        )
    return DatabaseSettings(
        engine_version=v["engineVersion"],
        min_capacity=float(v["minCapacity"]),
        max_capacity=float(v["maxCapacity"]),
        readers=v["readers"],
        backup_retention_days=v["backupRetentionDays"],
        deletion_protection=v["deletionProtection"],
        seconds_until_auto_pause=v["secondsUntilAutoPause"],
        instance_class=v["instanceClass"],
        reader_autoscaling=ReaderAutoscalingSettings(s["enabled"], s["min"], s["max"], float(s["targetCpu"])),
        backup_window=v["backupWindow"],
        maintenance_window=v["maintenanceWindow"],
        database_name=v["databaseName"],
        master_username=v["masterUsername"],
        parameters=parameters,
        monitoring_interval=v["monitoringInterval"],
        performance_insights_retention_days=v["performanceInsightsRetentionDays"],
        aws_backup=backup_settings,
        restore=restore_settings,
    )
