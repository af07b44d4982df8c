"""The application's own database users: IAM authentication, the deploy-time bootstrap, who may read the master secret."""

from __future__ import annotations

import hashlib
import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from components.database_users import HANDLER
from components.settings.api import API_PLATFORMS
from offline import Capture
from tests.conftest import capture_for, config_error, policy, statements
from tests.iam_documents import as_list

FUNCTION = "aws:lambda/function:Function"
INVOCATION = "aws:lambda/invocation:Invocation"


def bootstrap_policy(capture: Capture) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements(policy(capture.named(f"vitality-{capture.stack}-db-bootstrap-policy")))}


def test_cluster_uses_iam_authentication_and_the_data_api(capture: Capture) -> None:
    cluster = capture.one("aws:rds/cluster:Cluster").inputs
    assert cluster["iamDatabaseAuthenticationEnabled"] is True
    assert cluster["enableHttpEndpoint"] is True
    assert cluster["manageMasterUserPassword"] is True


def test_bootstrap_runs_the_repository_code_after_the_writer_exists(capture: Capture) -> None:
    function = capture.named(f"vitality-{capture.stack}-db-bootstrap", FUNCTION)
    assert function.inputs["runtime"] == "python3.13" and function.inputs["handler"] == "handler.handler"
    assert function.inputs["reservedConcurrentExecutions"] == 1
    assert "environment" not in function.inputs  # no configuration that could hold a secret
    invocation = capture.one(INVOCATION)
    assert invocation.inputs["functionName"] == function.outputs["name"]
    writer = capture.named(f"vitality-{capture.stack}-db-writer")
    assert writer.urn in invocation.dependencies
    request = json.loads(invocation.inputs["input"])
    cluster = capture.one("aws:rds/cluster:Cluster")
    assert request == {
        "cluster_arn": cluster.outputs["arn"],
        "secret_arn": capture.outputs["databaseSecretArn"],
        "database": "vitality",
        "schema": "app",
        "app_user": "app",
        "reader_user": "app_reader",
        "code_sha256": hashlib.sha256(HANDLER.read_bytes()).hexdigest(),  # new code runs again
    }


def test_bootstrap_role_is_least_privilege(capture: Capture) -> None:
    by_sid = bootstrap_policy(capture)
    cluster = capture.one("aws:rds/cluster:Cluster")
    assert by_sid["RunSql"]["Action"] == ["rds-data:ExecuteStatement"] and by_sid["RunSql"]["Resource"] == cluster.outputs["arn"]
    assert by_sid["ReadMasterSecret"]["Resource"] == capture.outputs["databaseSecretArn"]
    decrypt = by_sid["DecryptMasterSecret"]
    assert decrypt["Resource"] == capture.outputs["kmsKeyArns"]["data"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"}}
    group = capture.named(f"vitality-{capture.stack}-db-bootstrap-logs")
    assert by_sid["WriteLogs"]["Resource"] == group.outputs["arn"] + ":*"
    role = capture.named(f"vitality-{capture.stack}-db-bootstrap", "aws:iam/role:Role")
    trust = statements(policy(role, "assumeRolePolicy"))
    assert trust[0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}


def test_bootstrap_logs_are_encrypted_kept_and_alarmed(capture: Capture) -> None:
    group = capture.named(f"vitality-{capture.stack}-db-bootstrap-logs")
    assert group.inputs["kmsKeyId"] == capture.outputs["kmsKeyArns"]["logs"]
    assert group.inputs["retentionInDays"] == capture.config.values["vitality:observability"]["logRetentionDays"]
    function = capture.named(f"vitality-{capture.stack}-db-bootstrap", FUNCTION)
    assert function.inputs["loggingConfig"] == {"logFormat": "JSON", "logGroup": group.outputs["name"]}
    alarm = capture.named(f"vitality-{capture.stack}-db-bootstrap-errors").inputs
    assert (alarm["namespace"], alarm["metricName"], alarm["dimensions"]) == (
        "AWS/Lambda", "Errors", {"FunctionName": function.outputs["name"]})
    assert alarm["threshold"] == 1 and alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["alarmActions"] == [capture.outputs["alarmTopicArn"]]


def test_break_glass_role_needs_mfa_and_reads_only_the_master_secret(capture: Capture) -> None:
    role = capture.named(f"vitality-{capture.stack}-db-break-glass")
    (trust,) = statements(policy(role, "assumeRolePolicy"))
    assert trust["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    by_sid = {s["Sid"]: s for s in statements(policy(capture.named(f"vitality-{capture.stack}-db-break-glass-policy")))}
    assert by_sid["ReadMasterSecret"]["Resource"] == capture.outputs["databaseSecretArn"]
    assert role.inputs["maxSessionDuration"] == 3600


def _matches(statement: dict[str, Any], action: str, resource: str) -> bool:
    actions = [str(a).lower() for a in as_list(statement.get("Action"))]
    resources = as_list(statement.get("Resource"))
    return any(fnmatchcase(action, a) for a in actions) and any(fnmatchcase(resource, str(r)) for r in resources)


def secret_readers(capture: Capture) -> set[str]:
    """Roles whose own policies (inline and attached) allow secretsmanager:GetSecretValue on the master secret and
    do not deny it."""
    secret = capture.outputs["databaseSecretArn"]
    managed = {p.outputs["arn"]: p for p in capture.of_type("aws:iam/policy:Policy")}
    readers = set()
    for role in capture.of_type("aws:iam/role:Role"):
        documents = [policy(r) for r in capture.children(role.urn) if r.type == "aws:iam/rolePolicy:RolePolicy"]
        documents += [policy(managed[a.inputs["policyArn"]]) for a in capture.children(role.urn)
                      if a.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and a.inputs["policyArn"] in managed]
        found = [s for d in documents for s in statements(d) if _matches(s, "secretsmanager:getsecretvalue", secret)]
        if any(s["Effect"] == "Allow" for s in found) and not any(s["Effect"] == "Deny" for s in found):
            readers.add(role.name)
    return readers


@pytest.mark.parametrize("platform", API_PLATFORMS)
def test_only_the_bootstrap_and_break_glass_read_the_master_secret(capture: Capture, platform: str) -> None:
    """No API role (ECS task and execution, App Runner instance and access) can read it (issue #15)."""
    on_platform = capture_for(capture.stack, overrides={"vitality:api.platform": platform})
    assert secret_readers(on_platform) == {f"vitality-{capture.stack}-db-bootstrap", f"vitality-{capture.stack}-db-break-glass"}


def test_the_api_starts_only_after_the_users_exist(capture: Capture) -> None:
    run = capture.named(f"vitality-{capture.stack}-db-bootstrap-run", INVOCATION)
    service = capture.one("aws:ecs/service:Service")
    definition = capture.one("aws:ecs/taskDefinition:TaskDefinition")
    assert run.urn in definition.dependencies  # its environment names the hosts, which resolve after the bootstrap
    assert definition.urn in service.dependencies


def test_the_app_contract_is_a_stack_output(capture: Capture) -> None:
    cluster = capture.one("aws:rds/cluster:Cluster").outputs
    assert capture.outputs["databaseApp"] == {
        "host": cluster["endpoint"],
        "readerHost": cluster["readerEndpoint"],
        "port": 5432,
        "database": "vitality",
        "schema": "app",
        "user": "app",
        "readerUser": "app_reader",
    }


@pytest.mark.parametrize("version", ["16.0", "15.2", "14.7"])
def test_engine_versions_without_the_data_api_are_rejected(version: str) -> None:
    error = config_error("prod", {"vitality:database.engineVersion": version})
    assert error.keys == ["vitality:database.engineVersion"]
    assert "Data API" in str(error) and "pulumi config set --path database.engineVersion" in str(error)


def test_api_docs_state_the_contract_the_program_sets(capture: Capture) -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    contract = page[page.index("## Database contract"):]
    definition = capture.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]
    (api,) = [c for c in json.loads(definition) if c["name"] == "api"]
    variables = sorted(e["name"] for e in api["environment"] if e["name"].startswith("DB_"))
    assert len(variables) == 8
    assert [v for v in variables if f"`{v}`" not in contract] == []
    assert "generate_db_auth_token" in contract
