"""functions/db_bootstrap: the SQL it sends and how it talks to the Data API, against botocore's Stubber."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

HANDLER = Path(__file__).resolve().parents[1] / "functions" / "db_bootstrap" / "handler.py"
_spec = importlib.util.spec_from_file_location("db_bootstrap_handler", HANDLER)
assert _spec is not None and _spec.loader is not None
bootstrap = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bootstrap  # dataclasses resolve annotations through the module registry
_spec.loader.exec_module(bootstrap)

EVENT = {
    "cluster_arn": "arn:aws:rds:us-west-2:111122223333:cluster:vitality-dev-db",
    "secret_arn": "arn:aws:secretsmanager:us-west-2:111122223333:secret:rds!cluster-abc-123456",
    "database": "vitality",
    "schema": "app",
    "app_user": "app",
    "reader_user": "app_reader",
}


def client() -> Any:
    return boto3.client("rds-data", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def expect_all(stubber: Stubber, sql: list[str], privileged: tuple[str, ...] = ()) -> None:
    base = {"resourceArn": EVENT["cluster_arn"], "secretArn": EVENT["secret_arn"], "database": "vitality"}
    for statement in sql:
        stubber.add_response("execute_statement", {"numberOfRecordsUpdated": 0}, {**base, "sql": statement})
    stubber.add_response(
        "execute_statement",
        {"records": [[{"stringValue": name}] for name in privileged]},
        {**base, "sql": ANY},
    )


def test_creates_both_users_with_iam_auth_and_least_privilege() -> None:
    sql = bootstrap.statements(bootstrap.Request.from_event(EVENT))
    text = "\n".join(sql)
    for user in ("app", "app_reader"):
        assert f"CREATE ROLE \"{user}\"" in text and f"WHERE rolname = '{user}'" in text  # only if missing
        assert f'ALTER ROLE "{user}" WITH LOGIN NOCREATEDB NOCREATEROLE' in sql
        assert f'GRANT rds_iam TO "{user}"' in sql
        assert f'GRANT CONNECT ON DATABASE "vitality" TO "{user}"' in sql
    assert 'CREATE SCHEMA IF NOT EXISTS "app" AUTHORIZATION "app"' in sql
    assert 'ALTER ROLE "app_reader" SET default_transaction_read_only = on' in sql
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO "app_reader"' in sql
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "app" GRANT SELECT ON TABLES TO "app_reader"' in sql
    # nothing grants administration, and nothing writes or reads a password
    assert not any(word in text.upper() for word in (" SUPERUSER", "RDS_SUPERUSER TO", " CREATEROLE\"", "PASSWORD"))
    assert all("INSERT" not in s and "UPDATE " not in s for s in sql)


def test_every_statement_is_idempotent() -> None:
    for statement in bootstrap.statements(bootstrap.Request.from_event(EVENT)):
        first = statement.split()[0]
        assert (
            "IF NOT EXISTS" in statement
            or first in ("ALTER", "GRANT", "REVOKE")  # re-applying an attribute, grant or revoke is a no-op
        ), statement


def test_runs_every_statement_through_the_data_api_and_returns_no_secret() -> None:
    c = client()
    sql = bootstrap.statements(bootstrap.Request.from_event(EVENT))
    with Stubber(c) as stubber:
        expect_all(stubber, sql)
        result = bootstrap.run(EVENT, c, sleep=lambda _: None)
        stubber.assert_no_pending_responses()
    assert result == {"database": "vitality", "schema": "app", "users": ["app", "app_reader"], "statements": len(sql)}
    assert "secret" not in repr(result).lower()


def test_fails_when_a_user_holds_administrative_privileges() -> None:
    c = client()
    with Stubber(c) as stubber:
        expect_all(stubber, bootstrap.statements(bootstrap.Request.from_event(EVENT)), privileged=("app",))
        with pytest.raises(bootstrap.BootstrapError, match="administrative privileges: app"):
            bootstrap.run(EVENT, c, sleep=lambda _: None)


def test_waits_for_an_auto_paused_cluster_to_resume() -> None:
    c = client()
    request = bootstrap.Request.from_event(EVENT)
    waits: list[float] = []
    with Stubber(c) as stubber:
        stubber.add_client_error("execute_statement", "DatabaseResumingException", http_status_code=400)
        stubber.add_client_error("execute_statement", "DatabaseResumingException", http_status_code=400)
        stubber.add_response("execute_statement", {"records": []})
        assert bootstrap.execute(c, request, "SELECT 1", sleep=waits.append) == []
    assert waits == [bootstrap.RESUME_WAIT_SECONDS] * 2


def test_gives_up_after_the_last_attempt() -> None:
    c = client()
    request = bootstrap.Request.from_event(EVENT)
    with Stubber(c) as stubber:
        for _ in range(bootstrap.RESUME_ATTEMPTS):
            stubber.add_client_error("execute_statement", "DatabaseResumingException", http_status_code=400)
        with pytest.raises(c.exceptions.DatabaseResumingException):
            bootstrap.execute(c, request, "SELECT 1", sleep=lambda _: None)


def test_other_errors_are_not_retried() -> None:
    c = client()
    with Stubber(c) as stubber:
        stubber.add_client_error("execute_statement", "BadRequestException", http_status_code=400)
        with pytest.raises(c.exceptions.BadRequestException):
            bootstrap.execute(c, bootstrap.Request.from_event(EVENT), "SELECT 1", sleep=lambda _: pytest.fail("retried"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"app_user": ""}, "lacks app_user"),
        ({"schema": None}, "lacks schema"),
        ({"app_user": 'app"; DROP ROLE x; --'}, "not a lower-case PostgreSQL identifier"),
        ({"reader_user": "Reader"}, "not a lower-case PostgreSQL identifier"),
        ({"reader_user": "app"}, "must differ"),
    ],
)
def test_rejects_bad_input(change: dict[str, Any], message: str) -> None:
    with pytest.raises(bootstrap.BootstrapError, match=message):
        bootstrap.Request.from_event({**EVENT, **change})
