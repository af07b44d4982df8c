"""Every key of the database section: good values parse, bad values name the key."""

from __future__ import annotations

import pytest

from components.settings import load_settings
from offline.stack_config import load_stack_config
from tests.conftest import config_error

D = "vitality:database"


def settings_for(stack: str, overrides: dict | None = None):
    config = load_stack_config(stack, overrides=overrides)
    return load_settings(config.as_engine_config(), stack).database


def test_stack_profiles() -> None:
    dev, prod = settings_for("dev"), settings_for("prod")
    assert (dev.min_capacity, dev.readers, dev.backup_retention_days, dev.deletion_protection) == (0, 0, 7, False)
    assert dev.aws_backup.enabled is False
    assert prod.min_capacity >= 0.5 and prod.readers >= 1
    assert (prod.backup_retention_days, prod.deletion_protection) == (35, True)
    assert prod.reader_autoscaling.enabled is True and prod.aws_backup.enabled is True
    assert prod.aws_backup.retention_days == 35
    assert dev.engine_version == prod.engine_version == "17.7"
    assert dev.restore is None


def test_parameters_are_parsed_with_apply_methods() -> None:
    s = settings_for("dev", {f"{D}.parameters": {"log_min_duration_statement": 500, "shared_preload_libraries": "pg_stat_statements"}})
    assert s.parameters["log_min_duration_statement"].value == "500"
    assert s.parameters["log_min_duration_statement"].apply_method == "immediate"
    assert s.parameters["shared_preload_libraries"].apply_method == "pending-reboot"


def test_aws_backup_defaults_and_copy_region_pair() -> None:
    dev, prod = settings_for("dev").aws_backup, settings_for("prod").aws_backup
    assert (dev.copy_region, dev.lock_mode, dev.restore_test_frequency) == ("us-east-2", "governance", "monthly")
    assert (prod.copy_region, prod.lock_mode, prod.lock_min_retention_days, prod.lock_max_retention_days,
            prod.lock_changeable_for_days) == ("us-east-2", "compliance", 7, 3650, 3)
    assert prod.copy_accounts == ()
    assert settings_for("dev", {f"{D}.awsBackup.copyRegion": "none"}).aws_backup.copy_region is None
    # lockMode auto (the default): compliance in prod, governance elsewhere
    config = load_stack_config("prod")
    del config.values[D]["awsBackup"]["lockMode"]
    assert load_settings(config.as_engine_config(), "prod").database.aws_backup.lock_mode == "compliance"
    other = "arn:aws:backup:us-west-2:444455556666:backup-vault:vitality-vault"
    s = settings_for("prod", {f"{D}.awsBackup.copyAccountVaultArn": other}).aws_backup
    assert (s.copy_account_vault_arn, s.copy_accounts) == (other, ("444455556666",))


def test_restore_settings() -> None:
    s = settings_for("dev", {f"{D}.restore": {"sourceClusterIdentifier": "vitality-prod-db", "useLatestRestorableTime": True,
                                              "restoreType": "copy-on-write"}})
    assert s.restore is not None
    assert (s.restore.source_cluster_identifier, s.restore.use_latest_restorable_time, s.restore.restore_type) == (
        "vitality-prod-db", True, "copy-on-write")


def test_autoscaling_floor_follows_readers() -> None:
    s = settings_for("prod", {f"{D}.readers": 2})
    assert s.readers == 2 and s.reader_autoscaling.min_readers == 1  # the component uses max(min, readers)


BAD = [
    ("dev", {f"{D}.engineVersion": "16"}, f"{D}.engineVersion"),
    ("dev", {f"{D}.engineVersion": "13.20"}, f"{D}.engineVersion"),  # past standard support
    ("dev", {f"{D}.engineVersion": "16.2"}, f"{D}.engineVersion"),  # min 0 needs 16.3+
    ("dev", {f"{D}.minCapacity": -0.5}, f"{D}.minCapacity"),
    ("dev", {f"{D}.minCapacity": 300}, f"{D}.minCapacity"),
    ("dev", {f"{D}.minCapacity": 0.3}, f"{D}.minCapacity"),
    ("dev", {f"{D}.maxCapacity": 0.5}, f"{D}.maxCapacity"),
    ("dev", {f"{D}.maxCapacity": 512}, f"{D}.maxCapacity"),
    ("dev", {f"{D}.minCapacity": 8, f"{D}.maxCapacity": 4}, f"{D}.maxCapacity"),
    ("dev", {f"{D}.secondsUntilAutoPause": 60}, f"{D}.secondsUntilAutoPause"),
    ("dev", {f"{D}.secondsUntilAutoPause": 90000}, f"{D}.secondsUntilAutoPause"),
    ("dev", {f"{D}.instanceClass": "m5.large"}, f"{D}.instanceClass"),
    ("dev", {f"{D}.readers": -1}, f"{D}.readers"),
    ("dev", {f"{D}.readers": 16}, f"{D}.readers"),
    ("dev", {f"{D}.backupRetentionDays": 0}, f"{D}.backupRetentionDays"),
    ("dev", {f"{D}.backupRetentionDays": 36}, f"{D}.backupRetentionDays"),
    ("dev", {f"{D}.deletionProtection": "maybe"}, f"{D}.deletionProtection"),
    # the key is gone: a cluster is never deleted without a final snapshot
    ("dev", {f"{D}.skipFinalSnapshot": True}, f"{D}.skipFinalSnapshot"),
    ("prod", {f"{D}.deletionProtection": False}, f"{D}.deletionProtection"),
    ("prod", {f"{D}.minCapacity": 0}, f"{D}.minCapacity"),
    ("prod", {f"{D}.readers": 0}, f"{D}.readers"),
    ("prod", {f"{D}.backupRetentionDays": 3}, f"{D}.backupRetentionDays"),
    ("dev", {f"{D}.databaseName": "Vitality-App"}, f"{D}.databaseName"),
    ("dev", {f"{D}.databaseName": "postgres"}, f"{D}.databaseName"),
    ("dev", {f"{D}.masterUsername": "postgres"}, f"{D}.masterUsername"),
    ("dev", {f"{D}.masterUsername": "admin"}, f"{D}.masterUsername"),
    ("dev", {f"{D}.masterUsername": "rdsadmin"}, f"{D}.masterUsername"),
    ("dev", {f"{D}.masterUsername": "1user"}, f"{D}.masterUsername"),
    ("dev", {f"{D}.backupWindow": "25:00-26:00"}, f"{D}.backupWindow"),
    ("dev", {f"{D}.backupWindow": "08:00-08:15"}, f"{D}.backupWindow"),
    ("dev", {f"{D}.maintenanceWindow": "sunday 10:00"}, f"{D}.maintenanceWindow"),
    ("dev", {f"{D}.maintenanceWindow": "sun:10:00-sun:10:10"}, f"{D}.maintenanceWindow"),
    ("dev", {f"{D}.maintenanceWindow": "tue:08:30-tue:09:30"}, f"{D}.maintenanceWindow"),  # overlaps the daily backup
    ("dev", {f"{D}.backupWindow": "23:30-00:30", f"{D}.maintenanceWindow": "mon:00:00-mon:01:00"}, f"{D}.maintenanceWindow"),
    ("dev", {f"{D}.parameters": "force_ssl=0"}, f"{D}.parameters"),
    ("dev", {f"{D}.parameters": {"rds.force_ssl": 0}}, f"{D}.parameters.rds.force_ssl"),
    ("dev", {f"{D}.parameters": {"shared_preload_libraries": {"value": "pgaudit", "applyMethod": "immediate"}}},
     f"{D}.parameters.shared_preload_libraries"),
    ("dev", {f"{D}.parameters": {"work_mem": {"value": "64MB", "applyMethod": "later"}}}, f"{D}.parameters.work_mem"),
    ("dev", {f"{D}.parameters": {"Bad Name": "1"}}, f"{D}.parameters.Bad Name"),
    ("dev", {f"{D}.parameters": {"work_mem": ""}}, f"{D}.parameters.work_mem"),
    ("dev", {f"{D}.monitoringInterval": 0}, f"{D}.monitoringInterval"),
    ("dev", {f"{D}.monitoringInterval": 45}, f"{D}.monitoringInterval"),
    ("dev", {f"{D}.performanceInsightsRetentionDays": 30}, f"{D}.performanceInsightsRetentionDays"),
    ("dev", {f"{D}.performanceInsightsRetentionDays": 744}, f"{D}.performanceInsightsRetentionDays"),
    ("dev", {f"{D}.readerAutoscaling": [1, 3]}, f"{D}.readerAutoscaling"),
    ("dev", {f"{D}.readerAutoscaling.min": 0}, f"{D}.readerAutoscaling.min"),
    ("dev", {f"{D}.readerAutoscaling.max": 16}, f"{D}.readerAutoscaling.max"),
    ("dev", {f"{D}.readerAutoscaling.min": 4, f"{D}.readerAutoscaling.max": 2}, f"{D}.readerAutoscaling.max"),
    ("prod", {f"{D}.readers": 5}, f"{D}.readerAutoscaling.max"),  # max 3 is below the configured readers
    ("dev", {f"{D}.readerAutoscaling.targetCpu": 95}, f"{D}.readerAutoscaling.targetCpu"),
    ("dev", {f"{D}.readerAutoscaling.enabled": "yes"}, f"{D}.readerAutoscaling.enabled"),
    ("dev", {f"{D}.readerAutoscaling.targetCPU": 50}, f"{D}.readerAutoscaling.targetCPU"),
    ("dev", {f"{D}.awsBackup": True}, f"{D}.awsBackup"),
    ("dev", {f"{D}.awsBackup.enabled": "on"}, f"{D}.awsBackup.enabled"),
    ("dev", {f"{D}.awsBackup.retentionDays": 1}, f"{D}.awsBackup.retentionDays"),
    ("dev", {f"{D}.awsBackup.schedule": "rate(1 day)"}, f"{D}.awsBackup.schedule"),
    ("dev", {f"{D}.awsBackup.copyRegion": "mars-1"}, f"{D}.awsBackup.copyRegion"),
    ("dev", {f"{D}.awsBackup.copyRegion": "us-west-2"}, f"{D}.awsBackup.copyRegion"),  # the home region
    ("dev", {f"{D}.awsBackup.copyAccountVaultArn": "arn:aws:backup:us-east-2:1234:backup-vault:x"},
     f"{D}.awsBackup.copyAccountVaultArn"),
    ("dev", {f"{D}.awsBackup.lockMode": "strict"}, f"{D}.awsBackup.lockMode"),
    ("dev", {f"{D}.awsBackup.lockMinRetentionDays": 0}, f"{D}.awsBackup.lockMinRetentionDays"),
    ("dev", {f"{D}.awsBackup.lockMinRetentionDays": 40}, f"{D}.awsBackup.lockMinRetentionDays"),  # above retentionDays
    ("dev", {f"{D}.awsBackup.lockMaxRetentionDays": 40000}, f"{D}.awsBackup.lockMaxRetentionDays"),
    ("dev", {f"{D}.awsBackup.lockMaxRetentionDays": 30}, f"{D}.awsBackup.lockMaxRetentionDays"),  # below retentionDays
    ("dev", {f"{D}.awsBackup.lockChangeableForDays": 1}, f"{D}.awsBackup.lockChangeableForDays"),
    ("dev", {f"{D}.awsBackup.restoreTestFrequency": "daily"}, f"{D}.awsBackup.restoreTestFrequency"),
    ("dev", {f"{D}.awsBackup.copyRegions": ["us-east-2"]}, f"{D}.awsBackup.copyRegions"),
    ("prod", {f"{D}.awsBackup.enabled": False}, f"{D}.awsBackup.enabled"),
    ("prod", {f"{D}.awsBackup.copyRegion": "none"}, f"{D}.awsBackup.copyRegion"),
    ("prod", {f"{D}.awsBackup.lockMode": "governance"}, f"{D}.awsBackup.lockMode"),
    ("prod", {f"{D}.awsBackup.restoreTestFrequency": "off"}, f"{D}.awsBackup.restoreTestFrequency"),
    ("dev", {f"{D}.restore": "snap-1"}, f"{D}.restore"),
    ("dev", {f"{D}.restore.snapshotIdentifier": "1-bad_snapshot"}, f"{D}.restore.snapshotIdentifier"),
    ("dev", {f"{D}.restore.sourceClusterIdentifier": "bad_cluster!"}, f"{D}.restore.sourceClusterIdentifier"),
    ("dev", {f"{D}.restore.restoreToTime": "yesterday", f"{D}.restore.sourceClusterIdentifier": "vitality-prod-db"},
     f"{D}.restore.restoreToTime"),
    ("dev", {f"{D}.restore.useLatestRestorableTime": "latest"}, f"{D}.restore.useLatestRestorableTime"),
    ("dev", {f"{D}.restore.restoreType": "clone"}, f"{D}.restore.restoreType"),
    ("dev", {f"{D}.restore": {"snapshotIdentifier": "snap-a", "sourceClusterIdentifier": "vitality-prod-db",
                              "useLatestRestorableTime": True}}, f"{D}.restore.sourceClusterIdentifier"),
    ("dev", {f"{D}.restore": {"sourceClusterIdentifier": "vitality-prod-db"}}, f"{D}.restore.restoreToTime"),
    ("dev", {f"{D}.restore": {"sourceClusterIdentifier": "vitality-prod-db", "useLatestRestorableTime": True,
                              "restoreToTime": "2026-11-01T04:30:00Z"}}, f"{D}.restore.restoreToTime"),
    ("dev", {f"{D}.restore": {"useLatestRestorableTime": True}}, f"{D}.restore.sourceClusterIdentifier"),
    ("dev", {f"{D}.restore": {"snapshotIdentifier": "snap-a", "restoreType": "copy-on-write"}}, f"{D}.restore.restoreType"),
    ("dev", {f"{D}.engineVesion": "16.8"}, f"{D}.engineVesion"),
]


@pytest.mark.parametrize(("stack", "overrides", "key"), BAD, ids=[f"{s}-{k.split(':')[1]}-{i}" for i, (s, _, k) in enumerate(BAD)])
def test_bad_value_names_the_key(stack: str, overrides: dict, key: str) -> None:
    error = config_error(stack, overrides)
    assert key in error.keys, error.keys
    line = next(p for p in error.problems if p.key == key)
    assert "pulumi config" in line.fix


def test_unknown_key_suggests_the_right_one() -> None:
    error = config_error("dev", {f"{D}.engineVesion": "16.8"})
    assert "did you mean 'engineVersion'" in str(error)


def test_every_problem_is_reported_at_once() -> None:
    error = config_error("dev", {f"{D}.readers": -1, f"{D}.monitoringInterval": 7, f"{D}.masterUsername": "postgres"})
    assert {f"{D}.readers", f"{D}.monitoringInterval", f"{D}.masterUsername"} <= set(error.keys)
