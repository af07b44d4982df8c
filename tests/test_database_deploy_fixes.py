"""Deploy-time fixes found by reading the program against AWS's pages (issue #17): each test fails on the
behaviour before the fix."""

from __future__ import annotations

import json

from components.security_config import PERIODIC_RULES
from offline import Capture
from tests.conftest import policy, statements

CONFIG_RULE = "aws:cfg/rule:Rule"


def _config_rules(capture: Capture) -> list[tuple[str, object]]:
    """(identifier, scope) of every managed Config rule: standalone rules and those in the conformance pack."""
    found = [(r.inputs["source"]["sourceIdentifier"], r.inputs.get("scope")) for r in capture.of_type(CONFIG_RULE)]
    for pack in capture.of_type("aws:cfg/conformancePack:ConformancePack"):
        for resource in json.loads(pack.inputs["templateBody"])["Resources"].values():
            if resource["Type"] == "AWS::Config::ConfigRule":
                props = resource["Properties"]
                found.append((props["Source"]["SourceIdentifier"], props.get("Scope")))
    return found


def test_periodic_config_rules_have_no_resource_scope(prod: Capture) -> None:
    rules = _config_rules(prod)
    periodic = [(identifier, scope) for identifier, scope in rules if identifier in PERIODIC_RULES]
    assert "ECR_PRIVATE_IMAGE_SCANNING_ENABLED" in {identifier for identifier, _ in periodic}
    assert [(identifier, scope) for identifier, scope in periodic if scope] == []


def test_change_triggered_config_rules_are_scoped(prod: Capture) -> None:
    scoped = [(identifier, scope) for identifier, scope in _config_rules(prod) if identifier not in PERIODIC_RULES]
    assert scoped, "expected change-triggered rules"
    for identifier, scope in scoped:
        types = scope.get("complianceResourceTypes") or scope.get("ComplianceResourceTypes")
        assert types, identifier


def _publisher_statements(capture: Capture, domain: str) -> dict[str, dict]:
    (key,) = [k for k in capture.of_type("aws:kms/key:Key") if k.inputs["tags"]["DataDomain"] == domain]
    found: dict[str, dict] = {}
    for statement in statements(policy(key)):
        service = statement["Principal"].get("Service") if isinstance(statement["Principal"], dict) else None
        assert not isinstance(service, list), "one statement per publisher, each with its own conditions"
        if service and statement["Sid"] != "EventBridgeDeadLetters":  # not a publisher (tests/test_encryption.py)
            found[service] = statement
    return found


def test_messaging_key_conditions_each_publisher_only_on_what_it_sends(capture: Capture) -> None:
    for domain, region in (("messaging", "us-west-2"), ("edge-messaging", "us-east-1")):
        by_service = _publisher_statements(capture, domain)
        assert set(by_service) == {"cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com",
                                   "budgets.amazonaws.com"}
        # EventBridge sends neither aws:SourceAccount nor aws:SourceArn to KMS: only SNS's own encryption context
        assert by_service["events.amazonaws.com"]["Condition"] == {
            "ArnLike": {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{region}:111122223333:*"}
        }
        assert by_service["cloudwatch.amazonaws.com"]["Condition"] == {
            "StringEquals": {"aws:SourceAccount": "111122223333"},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:111122223333:alarm:*"},
        }
        assert by_service["events.rds.amazonaws.com"]["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
        assert by_service["budgets.amazonaws.com"]["Condition"] == {
            "StringEquals": {"aws:SourceAccount": "111122223333"},
            "ArnLike": {"aws:SourceArn": "arn:aws:budgets::111122223333:*"},
        }
        for statement in by_service.values():
            assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_no_endpoint_security_group_without_interface_endpoints(dev: Capture, prod: Capture) -> None:
    assert dev.config.values["vitality:network"]["interfaceEndpoints"] == []
    groups = [g.name for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup")]
    assert not [g for g in groups if g.endswith("-endpoints")]
    assert not [r for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r.name.endswith("-endpoints-https")]
    assert [g for g in prod.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-endpoints")]


CLUSTER = "aws:rds/cluster:Cluster"


def test_engine_version_is_a_floor_that_never_plans_a_downgrade(capture: Capture) -> None:
    cluster = capture.one(CLUSTER)
    assert cluster.inputs["autoMinorVersionUpgrade"] is True
    assert "engineVersion" in cluster.ignore_changes


def test_a_cluster_is_never_deleted_without_a_final_snapshot(program) -> None:
    """Dev too: a replace-on-change key deletes the old cluster first; its final snapshot name follows the
    generation, so it is never taken twice under one name."""
    names = set()
    for overrides in ({}, {"vitality:database.databaseName": "vitality2"}, {"vitality:database.masterUsername": "owner"},
                      {"vitality:database.restore.snapshotIdentifier": "vitality-dev-db-final-1a2b3c4d"}):
        cluster = program("dev", overrides=overrides).one(CLUSTER).inputs
        assert cluster["skipFinalSnapshot"] is False
        assert cluster["finalSnapshotIdentifier"].startswith("vitality-dev-db-final-")
        names.add(cluster["finalSnapshotIdentifier"])
    assert len(names) == 4
    # known at preview: the policy pack (rds-cluster-deletion-protection) can check it before the first deploy
    assert isinstance(program("prod", preview=True).one(CLUSTER).inputs["finalSnapshotIdentifier"], str)


def test_replace_on_change_keys_say_so_in_pulumi_yaml() -> None:
    from components.settings import project_config_schema

    lines = {line.split(" (", 1)[0]: line for entry in project_config_schema().values()
             for line in entry["description"].splitlines()}
    for key in ("database.databaseName", "database.masterUsername", "database.restore", "database.engineVersion",
                "database.awsBackup", "network.cidr", "network.availabilityZones", "network.subnetCidrs",
                "registry.repositories"):
        assert "Replace-on-change:" in lines[key], key
    assert "Replace-on-change" not in lines["database.maxCapacity"]
