"""Backups that outlive the region and the admin, and tested restores (issue #17): AWS Backup copies, Vault Lock,
cross-account copy, restore testing and its reporter, as the engine sees them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from offline import Capture
from tests.conftest import policy, statements

ROOT = Path(__file__).resolve().parent.parent

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
TEST_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
TEST_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
FUNCTION = "aws:lambda/function:Function"
RULE = "aws:cloudwatch/eventRule:EventRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KEY = "aws:kms/key:Key"
B = "vitality:database.awsBackup"
DEV_BACKUP = {f"{B}.enabled": True}


def _vaults(capture: Capture) -> dict[str, object]:
    return {r.name.removeprefix(f"vitality-{capture.stack}-db-"): r for r in capture.of_type(VAULT)}


def test_prod_copies_every_recovery_point_to_a_locked_vault_in_the_paired_region(prod: Capture) -> None:
    vaults = _vaults(prod)
    assert set(vaults) == {"backups", "backup-copies"}
    home, copy = vaults["backups"], vaults["backup-copies"]
    assert home.inputs.get("region") is None and copy.inputs["region"] == "us-east-2"
    # the copy has its own key in its region (a KMS key is regional)
    copy_key = prod.resolve(copy.inputs["kmsKeyArn"])
    assert copy_key.type == KEY and copy_key.inputs["region"] == "us-east-2"
    assert copy_key.inputs["tags"]["DataDomain"] == "backup-copy" and copy_key.protect
    assert home.inputs["kmsKeyArn"] == prod.outputs["kmsKeyArns"]["data"]
    [rule] = prod.one(PLAN).inputs["rules"]
    assert rule["copyActions"] == [{"destinationVaultArn": copy.outputs["arn"], "lifecycle": {"deleteAfter": 35}}]
    assert copy.outputs["arn"].startswith("arn:aws:backup:us-east-2:")
    assert prod.outputs["backupCopyVaultArn"] == copy.outputs["arn"]
    for vault in (home, copy):
        assert vault.protect and vault.inputs["forceDestroy"] is False


def test_prod_vaults_are_locked_in_compliance_mode_with_the_configured_retention(prod: Capture) -> None:
    locks = {prod.by_urn(lock.parent).name: lock for lock in prod.of_type(LOCK)}
    assert set(locks) == {"vitality-prod-db-backups", "vitality-prod-db-backup-copies"}
    for vault_name, lock in locks.items():
        vault = prod.named(vault_name)
        assert lock.inputs["backupVaultName"] == vault.outputs["name"]
        assert lock.inputs.get("region") == vault.inputs.get("region")
        # changeable_for_days makes it compliance mode: immutable after the 3-day cooling-off
        assert (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"], lock.inputs["changeableForDays"]) == (7, 3650, 3)
        assert lock.protect
    # the plan's retention sits inside the lock's range, or every recovery point would be refused
    [rule] = prod.one(PLAN).inputs["rules"]
    assert 7 <= rule["lifecycle"]["deleteAfter"] <= 3650


def test_a_dev_stack_with_backups_locks_in_governance_mode_and_keeps_locked_points(program) -> None:
    dev = program("dev", overrides=DEV_BACKUP)
    locks = dev.of_type(LOCK)
    assert len(locks) == 2 and all(lock.inputs.get("changeableForDays") is None for lock in locks)
    assert all(v.inputs["forceDestroy"] is False and not v.protect for v in dev.of_type(VAULT))
    unlocked = program("dev", overrides={**DEV_BACKUP, f"{B}.lockMode": "none", f"{B}.copyRegion": "none"})
    assert unlocked.of_type(LOCK) == [] and [v.inputs["forceDestroy"] for v in unlocked.of_type(VAULT)] == [True]
    assert unlocked.one(PLAN).inputs["rules"][0].get("copyActions") is None


def test_backup_role_may_copy_into_the_copy_region_only_awsbackup_snapshots(prod: Capture) -> None:
    inline = prod.named("vitality-prod-db-backup-policy")
    by_sid = {s["Sid"]: s for s in statements(policy(inline))}
    copy = by_sid["ManageBackupSnapshots"]
    assert "rds:CopyDBClusterSnapshot" in copy["Action"]
    assert "arn:aws:rds:us-east-2:111122223333:cluster-snapshot:awsbackup:*" in copy["Resource"]
    assert all(r.startswith("arn:aws:rds:") for r in copy["Resource"])
    copy_key = prod.resolve(prod.named("vitality-prod-db-backup-copies").inputs["kmsKeyArn"])
    assert copy_key.outputs["arn"] in by_sid["GrantKeysToRds"]["Resource"]
    assert by_sid["GrantKeysToRds"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    copy_vault = prod.named("vitality-prod-db-backup-copies")
    assert by_sid["CopyIntoCopyVaults"]["Action"] == ["backup:CopyIntoBackupVault"]
    assert by_sid["CopyIntoCopyVaults"]["Resource"] == [copy_vault.outputs["arn"]]
    for statement in by_sid.values():
        assert statement["Resource"] != "*" and all("*" not in a for a in statement["Action"])


def test_without_a_copy_vault_the_backup_role_copies_nowhere(program) -> None:
    dev = program("dev", overrides={**DEV_BACKUP, f"{B}.copyRegion": "none"})
    by_sid = {s["Sid"]: s for s in statements(policy(dev.named("vitality-dev-db-backup-policy")))}
    assert "CopyIntoCopyVaults" not in by_sid


def _data_key_statements(capture: Capture) -> dict[str, dict]:
    (key,) = [k for k in capture.of_type(KEY) if k.inputs["tags"]["DataDomain"] == "data"]
    return {s["Sid"]: s for s in statements(policy(key))}


def test_cross_account_copy_admits_the_other_account_through_rds_and_backup_only(prod: Capture, program) -> None:
    assert not [sid for sid in _data_key_statements(prod) if sid.startswith("BackupCopyAccount")]
    other = "arn:aws:backup:us-west-2:444455556666:backup-vault:vitality-org-vault"
    capture = program("prod", overrides={f"{B}.copyAccountVaultArn": other})
    [rule] = capture.one(PLAN).inputs["rules"]
    assert [a["destinationVaultArn"] for a in rule["copyActions"]][1:] == [other]
    by_sid = _data_key_statements(capture)
    via = {"kms:ViaService": ["rds.us-west-2.amazonaws.com", "backup.us-west-2.amazonaws.com"]}
    use, grant = by_sid["BackupCopyAccountUse"], by_sid["BackupCopyAccountGrant"]
    assert use["Principal"] == grant["Principal"] == {"AWS": ["arn:aws:iam::444455556666:root"]}
    assert use["Action"] == ["kms:Decrypt", "kms:DescribeKey"] and use["Condition"] == {"StringEquals": via}
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_prod_restore_tests_monthly_into_the_database_subnets(prod: Capture) -> None:
    plan = prod.one(TEST_PLAN).inputs
    assert re.fullmatch(r"[A-Za-z0-9_]{1,50}", plan["name"])  # AWS Backup's name rule
    assert plan["scheduleExpression"] == "cron(0 7 1 * ? *)"  # monthly, after the 05:00 daily backup
    selection = plan["recoveryPointSelection"]
    assert selection["includeVaults"] == [prod.named("vitality-prod-db-backups").outputs["arn"]]
    assert (selection["algorithm"], selection["recoveryPointTypes"]) == ("LATEST_WITHIN_WINDOW", ["SNAPSHOT"])
    assert selection["selectionWindowDays"] <= 35
    test = prod.one(TEST_SELECTION).inputs
    assert test["protectedResourceType"] == "Aurora"
    assert test["protectedResourceArns"] == [prod.one("aws:rds/cluster:Cluster").outputs["arn"]]
    assert test["restoreTestingPlanName"] == prod.one(TEST_PLAN).outputs["name"]
    overrides = test["restoreMetadataOverrides"]
    assert overrides["dbsubnetgroupname"] == prod.outputs["databaseSubnetGroupName"]
    assert json.loads(overrides["availabilityzones"]) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert 1 <= test["validationWindowHours"] <= 168


def test_restore_test_role_restores_and_deletes_only_test_clusters(prod: Capture) -> None:
    role = prod.resolve(prod.one(TEST_SELECTION).inputs["iamRoleArn"])
    [trust] = statements(policy(role, "assumeRolePolicy"))
    assert trust["Principal"] == {"Service": ["backup.amazonaws.com"]}
    inline = prod.named("vitality-prod-db-restore-test-policy")
    by_sid = {s["Sid"]: s for s in statements(policy(inline))}
    assert by_sid["ManageTheTestRestore"]["Resource"] == "arn:aws:rds:us-west-2:111122223333:cluster:awsbackup-restore-test-*"
    assert "rds:DeleteDBCluster" in by_sid["ManageTheTestRestore"]["Action"]
    for statement in by_sid.values():
        assert statement["Resource"] != "*" and all("*" not in a for a in statement["Action"])
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "arn:aws:rds:us-west-2:111122223333:cluster:vitality-prod-db" not in resources


def test_restore_reporter_is_triggered_by_restore_jobs_and_daily(prod: Capture) -> None:
    function = prod.named("vitality-prod-db-restore-report", FUNCTION)
    assert (function.inputs["runtime"], function.inputs["handler"]) == ("python3.13", "handler.handler")
    # the handler alone: no __pycache__ in the archive, so the code hash is stable
    assert {k: v.path for k, v in function.inputs["code"].assets.items()} == {"handler.py": str(ROOT / "functions/restore_report/handler.py")}
    env = function.inputs["environment"]["variables"]
    assert env["RESTORE_TESTING_PLAN_ARN"] == prod.one(TEST_PLAN).outputs["arn"]
    assert env["RESTORE_TESTING_PLAN_NAME"] == prod.one(TEST_PLAN).inputs["name"]
    assert env["TOPIC_ARN"] == prod.outputs["warningTopicArn"]
    assert env["EXPECTED_SUBNET_GROUP"] == prod.outputs["databaseSubnetGroupName"]
    assert env["EXPECTED_KMS_KEY_ARN"] == prod.outputs["kmsKeyArns"]["data"]
    assert env["MAX_AGE_DAYS"] == "33"
    rules = {r.name.removeprefix("vitality-prod-db-"): r.inputs for r in prod.of_type(RULE) if "-db-restore-" in r.name}
    assert json.loads(rules["restore-jobs"]["eventPattern"]) == {"source": ["aws.backup"],
                                                                 "detail-type": ["Restore Job State Change"]}
    assert rules["restore-check"]["scheduleExpression"] == "rate(1 day)"
    targets = [t for t in prod.of_type("aws:cloudwatch/eventTarget:EventTarget") if "-db-restore-" in t.name]
    assert len(targets) == 2 and all(t.inputs["arn"] == function.outputs["arn"] for t in targets)
    permissions = [p.inputs for p in prod.of_type("aws:lambda/permission:Permission") if "-db-restore-" in p.name]
    assert {p["principal"] for p in permissions} == {"events.amazonaws.com"}
    assert {p["sourceArn"] for p in permissions} == {r.outputs["arn"] for r in prod.of_type(RULE) if "-db-restore-" in r.name}


def test_restore_reporter_role_logs_and_alarms(prod: Capture) -> None:
    function = prod.named("vitality-prod-db-restore-report", FUNCTION)
    logs = prod.named("vitality-prod-db-restore-report-logs")
    assert function.inputs["loggingConfig"] == {"logFormat": "JSON", "logGroup": logs.outputs["name"]}
    assert logs.inputs["retentionInDays"] == 365 and logs.inputs["kmsKeyId"] == prod.outputs["kmsKeyArns"]["logs"]
    inline = prod.named("vitality-prod-db-restore-report-policy")
    by_sid = {s["Sid"]: s for s in statements(policy(inline))}
    assert by_sid["Metrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Vitality/RestoreTesting"}}
    assert by_sid["Notify"]["Resource"] == prod.outputs["warningTopicArn"]
    assert by_sid["ReadTheTestRestore"]["Resource"].endswith(":cluster:awsbackup-restore-test-*")
    stars = {sid for sid, s in by_sid.items() if s["Resource"] == "*"}
    assert stars == {"RestoreJobs", "Metrics"}  # no resource-level permissions for these actions
    alarms = {a.name.removeprefix("vitality-prod-db-"): a.inputs for a in prod.of_type(ALARM) if "-db-restore-" in a.name}
    assert set(alarms) == {"restore-test-failed", "restore-test-overdue", "restore-report-errors"}
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [prod.outputs["warningTopicArn"]]
    assert alarms["restore-test-failed"]["metricName"] == "RestoreTestSucceeded"
    assert alarms["restore-test-failed"]["comparisonOperator"] == "LessThanThreshold"
    # a reporter that stops publishing raises the overdue alarm too
    assert alarms["restore-test-overdue"]["treatMissingData"] == "breaching"
    assert alarms["restore-report-errors"]["dimensions"] == {"FunctionName": function.outputs["name"]}


def test_dashboard_shows_restore_tests_as_rto_evidence(prod: Capture, dev: Capture) -> None:
    body = json.loads(prod.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    [header] = [w for w in body["widgets"] if w["type"] == "text" and "restore tests" in w["properties"]["markdown"]]
    below = [w for w in body["widgets"] if w["type"] == "metric" and w["y"] == header["y"] + 1]
    metrics = {w["properties"]["metrics"][0][1] for w in below}
    assert metrics == {"RestoreDurationMinutes", "RestoreTestSucceeded", "RestoreTestOverdue"}
    assert all(w["properties"]["metrics"][0][:1] == ["Vitality/RestoreTesting"] for w in below)
    assert all(w["properties"]["metrics"][0][2:4] == ["Stack", "vitality/prod"] for w in below)
    dev_body = json.loads(dev.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    assert not [w for w in dev_body["widgets"] if w["type"] == "text" and "restore tests" in w["properties"]["markdown"]]


@pytest.mark.parametrize(("frequency", "schedule"), [("weekly", "cron(0 7 ? * MON *)"), ("off", None)])
def test_restore_test_frequency_is_selectable_in_dev(program, frequency: str, schedule) -> None:
    capture = program("dev", overrides={**DEV_BACKUP, f"{B}.restoreTestFrequency": frequency})
    plans = capture.of_type(TEST_PLAN)
    assert [p.inputs["scheduleExpression"] for p in plans] == ([schedule] if schedule else [])
    assert len([f for f in capture.of_type(FUNCTION) if "-db-restore-" in f.name]) == (1 if schedule else 0)


def test_dev_without_aws_backup_has_none_of_it(dev: Capture) -> None:
    for typ in (VAULT, LOCK, PLAN, TEST_PLAN, TEST_SELECTION):
        assert dev.of_type(typ) == [], typ
    assert not [f for f in dev.of_type(FUNCTION) if "-db-restore-" in f.name]
    assert "backupVaultArn" not in dev.outputs


def test_preview_of_prod_has_the_copy_rule_the_locked_vaults_and_the_restore_testing_plan(program) -> None:
    preview = program("prod", preview=True)
    assert {v.inputs.get("region") for v in preview.of_type(VAULT)} == {None, "us-east-2"}
    assert len(preview.of_type(LOCK)) == 2 and len(preview.of_type(TEST_PLAN)) == 1
    assert len(preview.one(PLAN).inputs["rules"][0]["copyActions"]) == 1


# --------------------------------------------------------------------------------------------------
# Cost: the copies (cross-Region transfer + warm storage) and the restore tests, computed by hand
# --------------------------------------------------------------------------------------------------


def _cost_line(resources, profile, name):
    from offline import cost
    from tests.test_cost import synthetic
    result = cost.estimate(synthetic(*resources), profile)
    return next(line for line in result.lines if line.resource.name == name)


def test_cost_of_the_copy_vault_and_the_restore_tests() -> None:
    import dataclasses

    from tests.test_cost import res, usage
    home = dataclasses.replace(res("aws:backup/vault:Vault", "home"), outputs={"arn": "arn:home"})
    copy = dataclasses.replace(res("aws:backup/vault:Vault", "copy", region="us-east-2"), outputs={"arn": "arn:copy"})
    plan = res("aws:backup/plan:Plan", "plan", rules=[{"copyActions": [
        {"destinationVaultArn": "arn:copy", "lifecycle": {"deleteAfter": 35}}]}])
    tests = res("aws:backup/restoreTestingPlan:RestoreTestingPlan", "tests", scheduleExpression="cron(0 7 1 * ? *)")
    profile = usage(db_storage_gb=100, backup_vault_gb=300)
    resources = [home, copy, plan, tests]
    # home vault: all 300 GB of recovery points x $0.021 = $6.30 (the copy vault does not take a share)
    line = _cost_line(resources, profile, "home")
    assert (line.idle, line.used) == pytest.approx((6.30, 6.30))
    # copy vault: 35 full copies of 100 GB x $0.021 = $73.50; 30.4 copies x 100 GB x $0.02 = $60.80 -> $134.30
    line = _cost_line(resources, profile, "copy")
    assert line.region == "us-east-2" and not line.unpriced_charges
    assert (line.idle, line.used) == pytest.approx((134.30, 134.30))
    # restore tests: 1 a month x 3 h of 100 GB at $0.10/GB-month = 100 x 3/730 x 0.10 = $0.0411; 3 metrics x $0.30
    line = _cost_line(resources, profile, "tests")
    assert (line.idle, line.used) == pytest.approx((0.9 + 0.0411, 0.9 + 0.0411), abs=1e-3)


def test_preview_text_shows_the_copy_rule_and_the_vault_regions(program) -> None:
    from offline import render

    text = render.tree(program("prod", preview=True))
    assert "vitality-prod-db-backup-plan [copies to 1 vault]" in text
    assert "vitality-prod-db-backup-copies [us-east-2] [protect]" in text
    assert "vitality-prod-db-backup-copies-lock [us-east-2] [protect]" in text
    assert "vitality-prod-db-backups-lock [protect]" in text and "aws:backup:RestoreTestingPlan" in text
