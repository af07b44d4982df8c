"""Database bootstrap: the application's PostgreSQL roles, created at deploy time through the RDS Data API.

The Pulumi program invokes this function once per change of its input (aws.lambda_.Invocation). It signs in as the
RDS-managed master user (the Data API reads the master secret with this function's role; nothing else may) and makes
the cluster match this state, whatever state it finds (every statement is idempotent):

- `<app user>`: LOGIN, no SUPERUSER/CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS and not in rds_superuser (checked
  after the grants: the function fails if either user holds any of them), member of `rds_iam` (it signs in with
  an IAM authentication token, never a password), owner of the application schema (it runs its own migrations), and
  CONNECT on the database;
- `<reader user>`: the same attributes, read-only by default (`default_transaction_read_only`), USAGE on the schema
  and SELECT on its tables, present and future (default privileges of the app user);
- PUBLIC may not create objects in the `public` schema.

The result names the users only: no secret ever leaves the function (Pulumi stores the result in its state).
An auto-paused Serverless v2 cluster answers DatabaseResumingException while it wakes; the call is retried.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
RESUME_ATTEMPTS = 10
RESUME_WAIT_SECONDS = 15.0
# SUPERUSER, REPLICATION and BYPASSRLS can only be set by a superuser, which the RDS master user is not, so a role
# it creates never has them; CREATEDB and CREATEROLE it could grant, so they are switched off explicitly.
ROLE_ATTRIBUTES = "LOGIN NOCREATEDB NOCREATEROLE"


class BootstrapError(ValueError):
    """The invocation's input is not what the program sends."""


@dataclass(frozen=True)
class Request:
    cluster_arn: str
    secret_arn: str
    database: str
    schema: str
    app_user: str
    reader_user: str

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        missing = [name for name in cls.__dataclass_fields__ if not isinstance(event.get(name), str) or not event[name]]
        if missing:
            raise BootstrapError(f"the invocation input lacks {', '.join(missing)}")
        request = cls(**{name: event[name] for name in cls.__dataclass_fields__})
        for name in ("database", "schema", "app_user", "reader_user"):
            if not IDENTIFIER.fullmatch(getattr(request, name)):
                raise BootstrapError(f"{name} {getattr(request, name)!r} is not a lower-case PostgreSQL identifier")
        if request.app_user == request.reader_user:
            raise BootstrapError("app_user and reader_user must differ")
        return request


def _ensure_role(name: str) -> str:
    # CREATE ROLE has no IF NOT EXISTS; the DO block makes it idempotent (the name is a checked identifier)
    return (
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{name}') THEN CREATE ROLE \"{name}\"; END IF; "
        "END $$"
    )


def statements(request: Request) -> list[str]:
    """The SQL, in order; running it twice leaves the cluster as running it once."""
    app, reader, schema, database = request.app_user, request.reader_user, request.schema, request.database
    found: list[str] = []
    for user in (app, reader):
        found += [
            _ensure_role(user),
            f'ALTER ROLE "{user}" WITH {ROLE_ATTRIBUTES}',
            f'GRANT rds_iam TO "{user}"',
            f'GRANT CONNECT ON DATABASE "{database}" TO "{user}"',
        ]
    found += [
        # the master user administers the app role's objects (default privileges below need the membership)
        f'GRANT "{app}" TO CURRENT_USER',
        f'CREATE SCHEMA IF NOT EXISTS "{schema}" AUTHORIZATION "{app}"',
        f'ALTER SCHEMA "{schema}" OWNER TO "{app}"',
        f'ALTER ROLE "{app}" SET search_path = "{schema}"',
        f'ALTER ROLE "{reader}" SET search_path = "{schema}"',
        f'ALTER ROLE "{reader}" SET default_transaction_read_only = on',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{reader}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{reader}"',
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{app}" IN SCHEMA "{schema}" GRANT SELECT ON TABLES TO "{reader}"',
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    ]
    return found


def privileged_check(request: Request) -> str:
    """A query that returns the application users holding anything an application must not hold."""
    return (
        "SELECT rolname FROM pg_catalog.pg_roles r "
        f"WHERE rolname IN ('{request.app_user}', '{request.reader_user}') AND (rolsuper OR rolcreaterole OR "
        "rolcreatedb OR rolreplication OR rolbypassrls OR pg_catalog.pg_has_role(r.oid, 'rds_superuser', 'MEMBER'))"
    )


def execute(client: Any, request: Request, sql: str, sleep: Callable[[float], None] = time.sleep) -> list[Any]:
    """One statement through the Data API; its records (empty for statements that return none)."""
    attempt = 1
    while True:
        try:
            response = client.execute_statement(
                resourceArn=request.cluster_arn, secretArn=request.secret_arn, database=request.database, sql=sql
            )
            return list(response.get("records", []))
        except client.exceptions.DatabaseResumingException:
            if attempt >= RESUME_ATTEMPTS:
                raise
            attempt += 1
            sleep(RESUME_WAIT_SECONDS)


def run(event: Mapping[str, Any], client: Any, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    request = Request.from_event(event)
    sql = statements(request)
    for statement in sql:
        execute(client, request, statement, sleep)
    privileged = [record[0].get("stringValue") for record in execute(client, request, privileged_check(request), sleep)]
    if privileged:
        raise BootstrapError(f"application users hold administrative privileges: {', '.join(map(str, privileged))}")
    return {"database": request.database, "schema": request.schema, "users": [request.app_user, request.reader_user],
            "statements": len(sql)}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return run(event, boto3.client("rds-data"))
