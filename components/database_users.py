"""The database's application users: the bootstrap function that creates them, and the typed view the API uses.

The API never signs in as the master user. `functions/db_bootstrap` creates two PostgreSQL roles through the RDS
Data API (Aurora PostgreSQL Serverless v2 and provisioned clusters support it in every region this program uses:
docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html,
PostgreSQL 13.11/14.8/15.3/16.1/17.4 and later): `app` (read/write, owner of the `app` schema) and `app_reader`
(read-only, for the reader endpoint), both `rds_iam`, so they authenticate with IAM tokens and have no password.
The program invokes the function on every deploy whose input changed (cluster, users, or the function's code).

Only the bootstrap's role (and the documented break-glass role, docs/database.md) can read the master secret; the
API's roles get `rds-db:connect` for exactly these two users on this cluster's resource id.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .common import DatabaseAccess, StackContext, allow, child, log_group, metric_alarm, policy_json, service_role

COMPONENT = "database"
APP_USER = "app"
READER_USER = "app_reader"
APP_SCHEMA = "app"
HANDLER = Path(__file__).resolve().parents[1] / "functions" / "db_bootstrap" / "handler.py"
RUNTIME = aws.lambda_.Runtime.PYTHON3D13
# ten statements plus a cluster that may first have to resume from auto-pause (up to ~150 s of retries)
TIMEOUT_SECONDS = 300


def connect_arn(ctx: StackContext, cluster_resource_id: pulumi.Input[str], user: str) -> pulumi.Output[str]:
    """The rds-db:connect resource of one database user of one cluster (the cluster's resource id, not its name)."""
    return pulumi.Output.all(ctx.account_id, cluster_resource_id).apply(
        lambda v: f"arn:{ctx.partition}:rds-db:{ctx.region}:{v[0]}:dbuser:{v[1]}/{user}"
    )


def database_users(
    name: str,
    ctx: StackContext,
    parent: pulumi.Resource,
    *,
    cluster: aws.rds.Cluster,
    writer: aws.rds.ClusterInstance,
    secret_arn: pulumi.Output[str],
    secret_key_arn: pulumi.Input[str],
    port: int,
    database_name: str,
    logs_key_arn: pulumi.Input[str],
    log_retention_days: int,
    alarm_topic_arn: pulumi.Input[str],
) -> DatabaseAccess:
    logs = log_group(
        f"{name}-bootstrap-logs", ctx, COMPONENT, parent, retention_days=log_retention_days, kms_key_arn=logs_key_arn
    )
    role = service_role(
        f"{name}-bootstrap",
        ctx,
        COMPONENT,
        parent,
        services=["lambda.amazonaws.com"],
        description=f"{ctx.name_prefix} database bootstrap: creates the application's IAM-authenticated users",
        statements=[
            allow("RunSql", ["rds-data:ExecuteStatement"], cluster.arn),
            # the Data API reads the master secret with the caller's credentials
            allow("ReadMasterSecret", ["secretsmanager:GetSecretValue"], secret_arn),
            allow(
                "DecryptMasterSecret",
                ["kms:Decrypt"],
                secret_key_arn,
                Condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{ctx.region}.amazonaws.com"}},
            ),
            allow("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(logs.arn, ":*")),
        ],
    )
    _break_glass_role(name, ctx, parent, secret_arn, secret_key_arn)
    code = HANDLER.read_bytes()
    function = aws.lambda_.Function(
        f"{name}-bootstrap",
        # a fixed name (stateless: a rename only replaces the function) that the alarm and invocation can name
        name=f"{ctx.name_prefix}-db-bootstrap",
        description="Creates the application's PostgreSQL users (IAM authentication) through the RDS Data API",
        runtime=RUNTIME,
        architectures=["arm64"],
        handler="handler.handler",
        code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(HANDLER))}),
        role=role.arn,
        timeout=TIMEOUT_SECONDS,
        memory_size=128,
        # deploy-time only: one run at a time, never a fleet
        reserved_concurrent_executions=1,
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
        tags=ctx.tags(COMPONENT),
        opts=child(parent, depends_on=[logs]),
    )
    metric_alarm(
        f"{name}-bootstrap-errors",
        ctx,
        COMPONENT,
        parent,
        description="The database bootstrap failed: the application's users may be missing or out of date",
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": function.name},
        statistic="Sum",
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        topic_arn=alarm_topic_arn,
        severity="critical",
    )
    request = pulumi.Output.json_dumps(
        {
            "cluster_arn": cluster.arn,
            "secret_arn": secret_arn,
            "database": database_name,
            "schema": APP_SCHEMA,
            "app_user": APP_USER,
            "reader_user": READER_USER,
            # a new version of the code runs again even when nothing else changed
            "code_sha256": hashlib.sha256(code).hexdigest(),
        }
    )
    # the Data API needs an available instance; the invocation's result (users, statement count) holds no secret
    run = aws.lambda_.Invocation(
        f"{name}-bootstrap-run", function_name=function.name, input=request, opts=child(function, depends_on=[writer])
    )

    def after_bootstrap(value: pulumi.Output[str]) -> pulumi.Output[str]:
        """The value, resolved only once the users exist: whatever connects with it (the API) waits for them."""
        return pulumi.Output.all(value, run.id).apply(lambda v: v[0])

    return DatabaseAccess(
        host=after_bootstrap(cluster.endpoint),
        reader_host=after_bootstrap(cluster.reader_endpoint),
        port=port,
        database_name=database_name,
        schema=APP_SCHEMA,
        app_user=APP_USER,
        reader_user=READER_USER,
        app_connect_arn=connect_arn(ctx, cluster.cluster_resource_id, APP_USER),
        reader_connect_arn=connect_arn(ctx, cluster.cluster_resource_id, READER_USER),
    )


def _break_glass_role(
    name: str, ctx: StackContext, parent: pulumi.Resource, secret_arn: pulumi.Output[str], secret_key_arn: pulumi.Input[str]
) -> None:
    """The one human path to the master password: people of this account with MFA, one hour at a time; every
    assumption and every GetSecretValue is in the audit trail (docs/database.md: break-glass procedure)."""
    root = ctx.account_id.apply(lambda a: f"arn:{ctx.partition}:iam::{a}:root")
    service_role(
        f"{name}-break-glass",
        ctx,
        COMPONENT,
        parent,
        services=[],
        description=f"{ctx.name_prefix} database break-glass: reads the master user secret (MFA, audited)",
        trust_policy=policy_json(
            [
                {
                    "Sid": "AccountPrincipalsWithMfa",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                }
            ]
        ),
        statements=[
            allow("ReadMasterSecret", ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], secret_arn),
            allow(
                "DecryptMasterSecret",
                ["kms:Decrypt"],
                secret_key_arn,
                Condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{ctx.region}.amazonaws.com"}},
            ),
        ],
    )


def access_outputs(access: DatabaseAccess) -> dict[str, object]:
    """The view as stack outputs (the app contract of docs/api.md)."""
    return {
        "host": access.host,
        "readerHost": access.reader_host,
        "port": access.port,
        "database": access.database_name,
        "schema": access.schema,
        "user": access.app_user,
        "readerUser": access.reader_user,
    }

