"""The Database component: Aurora PostgreSQL cluster, instances, parameters, backups, events and outputs."""

from __future__ import annotations

import pytest

from offline import UNKNOWN
from tests.conftest import capture_for, policy, statements

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
EVENTS = "aws:rds/eventSubscription:EventSubscription"
AZS = {"dev": ["us-west-2a", "us-west-2b"], "prod": ["us-west-2a", "us-west-2b", "us-west-2c"]}


def data_key(capture) -> str:
    return capture.outputs["kmsKeyArns"]["data"]


def database_resources(capture):
    component = capture.one("vitality:platform:Database")
    return list(capture.descendants(component.urn))


def instances(capture) -> dict[str, object]:
    return {r.name.split("-db-", 1)[1]: r for r in capture.of_type(INSTANCE)}


def test_cluster_engine_and_serverless_v2(capture) -> None:
    cluster = capture.one(CLUSTER).inputs
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["engineMode"] == "provisioned"
    assert cluster["engineVersion"] == "17.7"
    assert cluster["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"
    assert cluster["autoMinorVersionUpgrade"] is True
    assert cluster["allowMajorVersionUpgrade"] is False
    assert "availabilityZones" not in cluster  # RDS adds AZs, which would force a replacement
    assert cluster["databaseInsightsMode"] == "standard"


def test_dev_scales_to_zero_and_pauses(dev) -> None:
    scaling = dev.one(CLUSTER).inputs["serverlessv2ScalingConfiguration"]
    assert scaling == {"minCapacity": 0, "maxCapacity": 4, "secondsUntilAutoPause": 600}
    assert list(instances(dev)) == ["writer"]


def test_prod_keeps_capacity_and_has_no_pause(prod) -> None:
    scaling = prod.one(CLUSTER).inputs["serverlessv2ScalingConfiguration"]
    assert scaling["minCapacity"] >= 0.5
    assert scaling["maxCapacity"] == 16
    assert "secondsUntilAutoPause" not in scaling


def test_storage_and_master_secret_use_the_data_key(capture) -> None:
    cluster = capture.one(CLUSTER).inputs
    assert cluster["storageEncrypted"] is True
    assert cluster["kmsKeyId"] == data_key(capture)
    assert cluster["manageMasterUserPassword"] is True
    assert cluster["masterUserSecretKmsKeyId"] == data_key(capture)
    assert "masterPassword" not in cluster and "masterPasswordWo" not in cluster
    assert cluster["masterUsername"] == "vitality_admin"
    assert cluster["iamDatabaseAuthenticationEnabled"] is True
    assert cluster["databaseName"] == "vitality"
    assert cluster["port"] == 5432


def test_deletion_safety_per_stack(dev, prod) -> None:
    d, p = dev.one(CLUSTER).inputs, prod.one(CLUSTER).inputs
    assert (d["deletionProtection"], d["skipFinalSnapshot"], d["deleteAutomatedBackups"]) == (False, False, True)
    assert (p["deletionProtection"], p["skipFinalSnapshot"], p["deleteAutomatedBackups"]) == (True, False, False)
    assert p["finalSnapshotIdentifier"].startswith("vitality-prod-db-final-")
    assert d["backupRetentionPeriod"] == 7 and p["backupRetentionPeriod"] == 35
    assert p["applyImmediately"] is False and d["applyImmediately"] is True


def test_backup_and_maintenance_windows(capture) -> None:
    cluster = capture.one(CLUSTER).inputs
    assert cluster["copyTagsToSnapshot"] is True
    assert cluster["preferredBackupWindow"] == "08:00-09:00"
    assert cluster["preferredMaintenanceWindow"] == "sun:10:00-sun:11:00"


def test_network_placement(capture) -> None:
    cluster = capture.one(CLUSTER).inputs
    subnet_group = capture.one("aws:rds/subnetGroup:SubnetGroup")
    assert cluster["dbSubnetGroupName"] == subnet_group.outputs["name"]
    [group] = [g for g in capture.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-net-database")]
    assert cluster["vpcSecurityGroupIds"] == [group.id]
    assert cluster["networkType"] == "IPV4"


def test_logs_exported_to_a_precreated_encrypted_group(capture) -> None:
    cluster = capture.one(CLUSTER)
    groups = [g for g in capture.of_type(LOG_GROUP) if g.name.endswith("-db-postgresql-logs")]
    assert len(groups) == 1
    group = groups[0]
    assert cluster.inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert group.inputs["name"] == f"/aws/rds/cluster/{cluster.inputs['clusterIdentifier']}/postgresql"
    assert cluster.inputs["clusterIdentifier"] == f"vitality-{capture.stack}-db"
    assert group.urn in cluster.dependencies
    assert cluster.delete_before_replace is True  # fixed identifier: a replacement cannot create first
    assert group.inputs["kmsKeyId"] == capture.outputs["kmsKeyArns"]["logs"]
    assert group.inputs["retentionInDays"] == {"dev": 30, "prod": 365}[capture.stack]


def test_parameter_group(capture) -> None:
    group = capture.one(PARAMS)
    params = {p["name"]: p for p in group.inputs["parameters"]}
    assert group.inputs["family"] == "aurora-postgresql17"
    assert params["rds.force_ssl"]["value"] == "1"
    assert params["shared_preload_libraries"] == {
        "name": "shared_preload_libraries", "value": "pg_stat_statements,pgaudit", "applyMethod": "pending-reboot"}
    assert params["pgaudit.log"]["value"] == "ddl,role"
    assert int(params["log_min_duration_statement"]["value"]) > 0
    assert int(params["idle_session_timeout"]["value"]) > 0
    assert int(params["idle_in_transaction_session_timeout"]["value"]) > 0
    assert capture.one(CLUSTER).inputs["dbClusterParameterGroupName"] == group.outputs["name"]


def test_parameter_override_and_major_family() -> None:
    capture = capture_for("dev", overrides={
        "vitality:database.engineVersion": "16.11",
        "vitality:database.parameters": {"log_min_duration_statement": 250, "max_connections": {"value": "400", "applyMethod": "pending-reboot"}},
    })
    group = capture.one(PARAMS)
    params = {p["name"]: p for p in group.inputs["parameters"]}
    assert group.inputs["family"] == "aurora-postgresql16"
    assert params["log_min_duration_statement"]["value"] == "250"
    assert params["max_connections"]["applyMethod"] == "pending-reboot"
    assert params["rds.force_ssl"]["value"] == "1"


def test_instances(capture) -> None:
    cluster = capture.one(CLUSTER)
    role = capture.named(f"vitality-{capture.stack}-db-monitoring")
    for _key, instance in instances(capture).items():
        i = instance.inputs
        assert i["clusterIdentifier"] == cluster.id
        assert i["engine"] == "aurora-postgresql"
        assert i["instanceClass"] == "db.serverless"
        assert i["publiclyAccessible"] is False
        assert i["autoMinorVersionUpgrade"] is True
        assert i["caCertIdentifier"] == "rds-ca-rsa2048-g1"
        assert i["copyTagsToSnapshot"] is True
        assert i["performanceInsightsEnabled"] is True
        assert i["performanceInsightsKmsKeyId"] == data_key(capture)
        assert i["performanceInsightsRetentionPeriod"] == {"dev": 7, "prod": 31}[capture.stack]
        assert i["monitoringInterval"] == 60
        assert i["monitoringRoleArn"] == role.outputs["arn"]
        assert instance.parent == cluster.urn
    writer = instances(capture)["writer"]
    assert writer.inputs["availabilityZone"] == AZS[capture.stack][0]
    assert writer.inputs["promotionTier"] == 0


def test_prod_reader_in_another_az(prod) -> None:
    found = instances(prod)
    assert sorted(found) == ["reader-1", "writer"]
    reader = found["reader-1"]
    assert reader.inputs["availabilityZone"] != found["writer"].inputs["availabilityZone"]
    assert reader.inputs["availabilityZone"] == "us-west-2b"
    assert reader.inputs["promotionTier"] == 1
    assert found["writer"].urn in reader.dependencies


def test_adding_a_reader_keeps_the_others(prod) -> None:
    more = capture_for("prod", overrides={"vitality:database.readers": 2})
    before, after = instances(prod), instances(more)
    assert sorted(after) == ["reader-1", "reader-2", "writer"]
    for key in before:
        assert after[key].urn == before[key].urn
        assert after[key].inputs["availabilityZone"] == before[key].inputs["availabilityZone"]
    assert after["reader-2"].inputs["availabilityZone"] == "us-west-2c"
    assert more.named("vitality-prod-db-readers", TARGET).inputs["minCapacity"] == 2


def test_enhanced_monitoring_role(capture) -> None:
    role = capture.named(f"vitality-{capture.stack}-db-monitoring")
    [trust] = statements(policy(role, "assumeRolePolicy"))
    assert trust["Principal"] == {"Service": ["monitoring.rds.amazonaws.com"]}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "111122223333"
    attachments = [r for r in capture.children(role.urn) if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]
    assert [a.inputs["policyArn"] for a in attachments] == [
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]


def test_prod_reader_autoscaling(prod, dev) -> None:
    target = prod.named("vitality-prod-db-readers", TARGET).inputs
    assert target["serviceNamespace"] == "rds"
    assert target["scalableDimension"] == "rds:cluster:ReadReplicaCount"
    assert target["resourceId"] == "cluster:vitality-prod-db"
    assert 1 <= target["minCapacity"] <= target["maxCapacity"] == 3
    [config] = [p.inputs for p in prod.of_type(SCALING_POLICY) if p.inputs["serviceNamespace"] == "rds"]
    assert config["policyType"] == "TargetTrackingScaling"
    tracking = config["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "RDSReaderAverageCPUUtilization"
    assert tracking["targetValue"] == 60
    # the API's ECS service has its own scaling target and policies (namespace ecs)
    assert [r for r in [*dev.of_type(TARGET), *dev.of_type(SCALING_POLICY)] if r.inputs["serviceNamespace"] == "rds"] == []


def test_prod_aws_backup(prod, dev) -> None:
    vault = prod.named("vitality-prod-db-backups")
    assert vault.inputs["kmsKeyArn"] == data_key(prod)
    assert vault.inputs["forceDestroy"] is False
    [rule] = prod.one(PLAN).inputs["rules"]
    assert rule["schedule"] == "cron(0 5 ? * * *)"
    assert len(rule["copyActions"]) == 1  # the copy region (tests/test_database_resilience.py)
    assert rule["lifecycle"]["deleteAfter"] == 35
    assert rule["targetVaultName"] == vault.outputs["name"]
    assert rule["recoveryPointTags"]["Component"] == "database"
    selection = prod.one(SELECTION).inputs
    assert selection["resources"] == [prod.one(CLUSTER).outputs["arn"]]
    role = prod.resolve(selection["iamRoleArn"])
    [trust] = statements(policy(role, "assumeRolePolicy"))
    assert trust["Principal"] == {"Service": ["backup.amazonaws.com"]}
    inline = prod.named("vitality-prod-db-backup-policy")
    for statement in statements(policy(inline)):
        actions = statement["Action"]
        assert all("*" not in a for a in actions), statement
        assert statement["Resource"] != "*", statement
    for r in (VAULT, PLAN, SELECTION):
        assert dev.of_type(r) == []


def test_event_subscriptions_to_the_critical_topic(capture) -> None:
    subs = {r.inputs["sourceType"]: r.inputs for r in capture.of_type(EVENTS)}
    assert set(subs) == {"db-cluster", "db-instance", "db-parameter-group", "db-security-group"}
    for source_type in ("db-parameter-group", "db-security-group"):
        assert subs.pop(source_type)["snsTopic"] == capture.outputs["warningTopicArn"]
    assert subs["db-cluster"]["snsTopic"] == capture.outputs["alarmTopicArn"]
    for sub in subs.values():
        assert sub["snsTopic"] == capture.outputs["alarmTopicArn"]
        assert {"failure", "maintenance", "configuration change", "notification"} <= set(sub["eventCategories"])
        assert sub["enabled"] is True
    assert subs["db-cluster"]["sourceIds"] == [f"vitality-{capture.stack}-db"]
    assert sorted(subs["db-instance"]["sourceIds"]) == sorted(i.id for i in capture.of_type(INSTANCE))


STATEFUL = (CLUSTER, INSTANCE, PARAMS, VAULT)


def test_prod_protects_stateful_resources(prod) -> None:
    for typ in STATEFUL:
        assert prod.of_type(typ) and all(r.protect for r in prod.of_type(typ)), typ
    logs = prod.named("vitality-prod-db-postgresql-logs")
    assert logs.protect and logs.inputs["deletionProtectionEnabled"] is True


def test_dev_tears_down_fast(dev) -> None:
    assert not any(r.protect for r in database_resources(dev))


def test_every_taggable_resource_is_tagged(capture) -> None:
    for r in database_resources(capture):
        if "tags" in r.inputs:
            assert r.tags["Component"] == "database", r.name
            assert r.tags["Environment"] == capture.stack, r.name


def test_outputs(capture) -> None:
    cluster = capture.one(CLUSTER)
    out = capture.outputs
    assert out["databaseEndpoint"] == cluster.outputs["endpoint"]
    assert out["databaseReaderEndpoint"] == cluster.outputs["readerEndpoint"]
    assert out["databaseSecretArn"] == cluster.outputs["masterUserSecrets"][0]["secretArn"]
    assert out["databaseSecretArn"].startswith("arn:aws:secretsmanager:us-west-2:")
    assert out["databasePort"] == 5432
    assert out["databaseName"] == "vitality"
    assert out["databaseSecurityGroupId"] == cluster.inputs["vpcSecurityGroupIds"][0]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_leaves_computed_outputs_unknown(stack: str) -> None:
    capture = capture_for(stack, preview=True)
    assert capture.outputs["databaseEndpoint"] == UNKNOWN
    assert capture.outputs["databaseSecretArn"] == UNKNOWN
    assert capture.outputs["databasePort"] == 5432
    assert len(capture.of_type(INSTANCE)) == {"dev": 1, "prod": 2}[stack]


def test_restore_from_snapshot() -> None:
    capture = capture_for("dev", overrides={"vitality:database.restore": {"snapshotIdentifier": "vitality-prod-db-drill"}})
    cluster = capture.one(CLUSTER).inputs
    assert cluster["snapshotIdentifier"] == "vitality-prod-db-drill"
    assert "restoreToPointInTime" not in cluster
    assert "snapshotIdentifier" not in capture_for("dev").one(CLUSTER).inputs


def test_point_in_time_restore() -> None:
    capture = capture_for("dev", overrides={"vitality:database.restore": {
        "sourceClusterIdentifier": "vitality-prod-db", "restoreToTime": "2026-11-01T04:30:00Z"}})
    cluster = capture.one(CLUSTER).inputs
    assert cluster["restoreToPointInTime"] == {
        "sourceClusterIdentifier": "vitality-prod-db", "restoreToTime": "2026-11-01T04:30:00Z", "restoreType": "full-copy"}
    assert "snapshotIdentifier" not in cluster


def test_component_views() -> None:
    import components.database as db

    assert db.instance_keys(3) == ["writer", "reader-1", "reader-2", "reader-3"]
    zones = ("a", "b", "c")
    assert [db.instance_zone(k, zones) for k in db.instance_keys(4)] == ["a", "b", "c", "b", "c"]
    assert db.instance_zone("reader-1", ("a",)) == "a"


def test_instances_wait_for_the_monitoring_role_policy(prod) -> None:
    """RDS rejects a monitoring role that lacks AmazonRDSEnhancedMonitoringRole at the time it is given."""
    attachment = next(a for a in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                      if a.inputs["policyArn"].endswith("AmazonRDSEnhancedMonitoringRole"))
    for instance in prod.of_type(INSTANCE):
        waited = set(instance.dependencies) | {u for urns in instance.property_dependencies.values() for u in urns}
        assert attachment.urn in waited, instance.name
