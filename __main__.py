"""Vitality platform: parse the stack settings, build each area in data-flow order, export the outputs."""

import dataclasses

import pulumi
import pulumi_aws as aws

from components.alerting import Alerting, AlertingArgs
from components.api import Api, ApiArgs
from components.ci import Ci, CiArgs
from components.common import EDGE_REGION, StackContext
from components.database import Database, DatabaseArgs
from components.database_users import access_outputs
from components.encryption import Encryption, EncryptionArgs
from components.frontend import Frontend, FrontendArgs
from components.guardrails import Guardrails, GuardrailsArgs
from components.network import LoadBalancerPath, Network, NetworkArgs
from components.observability import Observability, ObservabilityArgs
from components.registry import Registry, RegistryArgs
from components.security import Security, SecurityArgs
from components.security_findings import SecurityFindings, SecurityFindingsArgs
from components.settings import ADMINISTRATOR, MEMBER, load_settings

settings = load_settings()
base_tags = settings.base_tags

# One explicit provider for the stack's region; its default tags back up the tags every component sets.
# us-east-1 pieces (CloudFront WAF, ACM, edge logs and alarms) use the per-resource `region` argument.
provider = aws.Provider(
    "aws",
    region=settings.region,
    default_tags=aws.ProviderDefaultTagsArgs(tags=base_tags),
)
components = pulumi.ResourceOptions(providers=[provider])

ctx = StackContext(
    project=settings.project,
    stack=settings.stack,
    environment=settings.environment,
    region=settings.region,
    account_id=aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id,
    partition="aws-us-gov" if settings.region.startswith("us-gov-") else "aws",
    base_tags=base_tags,
)
prefix = settings.name_prefix

# every role the program creates is capped by the stack's permissions boundary (service_role reads it from ctx)
guardrails = Guardrails(f"{prefix}-guardrails", GuardrailsArgs(ctx=ctx), components)
ctx = dataclasses.replace(ctx, permissions_boundary_arn=guardrails.boundary_arn)

# the audit key policy admits exactly this trail, and the security component creates it under this name
trail_name = f"{prefix}-trail"
# the security-tooling account's stack (security.organization.mode administrator) builds only the security pieces
workloads = settings.security.organization.mode != ADMINISTRATOR

encryption = Encryption(
    f"{prefix}-kms",
    EncryptionArgs(ctx=ctx, cloudtrail_name=trail_name, edge=workloads,
                   backup_copy_accounts=settings.database.aws_backup.copy_accounts),
    components,
)
alerting = Alerting(
    f"{prefix}-alerts",
    AlertingArgs(
        ctx=ctx,
        messaging_key=encryption.messaging,
        edge_messaging_key=encryption.edge_messaging,
        emails=settings.observability.alarm_emails,
    ),
    components,
)
security = Security(
    f"{prefix}-security",
    SecurityArgs(
        ctx=ctx,
        settings=settings.security,
        audit_key=encryption.audit,
        logs_key=encryption.logs,
        topics=alerting.topics,
        log_retention_days=settings.observability.log_retention_days,
        trail_name=trail_name,
    ),
    components,
)

# The aggregation point of findings: in a single account the baseline owner (organization mode: the administrator).
findings = None
if settings.security.account_baseline and settings.security.organization.mode != MEMBER:
    assert security.findings_rule is not None and security.audit_bucket_name is not None
    assert security.audit_bucket_arn is not None and security.conformance_pack_name is not None
    findings = SecurityFindings(
        f"{prefix}-findings",
        SecurityFindingsArgs(
            ctx=ctx,
            settings=settings.findings,
            linked_regions=tuple(r for r in settings.security.regions if r != settings.region),
            findings_rule=security.findings_rule,
            topics=alerting.topics,
            data_key=encryption.data,
            messaging_key=encryption.messaging,
            logs_key=encryption.logs,
            audit_key=encryption.audit,
            audit_bucket_name=security.audit_bucket_name,
            audit_bucket_arn=security.audit_bucket_arn,
            conformance_pack_name=security.conformance_pack_name,
            log_retention_days=settings.observability.log_retention_days,
        ),
        components,
    )


def build_workloads() -> None:
    """The platform itself: everything but the security-tooling account's stack."""
    net, data_key = settings.network, encryption.data
    edge_logs_key, edge_topics = encryption.edge_logs, alerting.edge_topics
    # settings require network outside administrator mode; Encryption/Alerting build the edge with workloads
    assert net is not None and edge_logs_key is not None and edge_topics is not None
    network = Network(
        f"{prefix}-net",
        NetworkArgs(
            ctx=ctx,
            settings=net,
            logs_key=encryption.logs,
            log_retention_days=settings.observability.log_retention_days,
            api_path=LoadBalancerPath(
                listener_port=settings.api.listener_port,
                container_port=settings.api.port,
                cloudfront_prefix_list_id=settings.api.cloudfront_prefix_list_id,
            )
            if settings.api.platform == "ecs"
            else None,
        ),
        components,
    )
    database = Database(
        f"{prefix}-db",
        DatabaseArgs(
            ctx=ctx,
            settings=settings.database,
            subnet_group_name=network.db_subnet_group_name,
            security_group_id=network.database_security_group_id,
            availability_zones=net.availability_zones,
            data_key=data_key,
            logs_key=encryption.logs,
            messaging_key=encryption.messaging,
            log_retention_days=settings.observability.log_retention_days,
            topics=alerting.topics,
        ),
        components,
    )

    registry = Registry(
        f"{prefix}-registry",
        RegistryArgs(
            ctx=ctx,
            settings=settings.registry,
            data_key=data_key,
            account_baseline=settings.security.account_baseline,
        ),
        components,
    )
    api = Api(
        f"{prefix}-api",
        ApiArgs(
            ctx=ctx,
            settings=settings.api,
            repository=registry.api,
            database=database.access,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            app_security_group_id=network.app_security_group_id,
            load_balancer_security_group_id=network.load_balancer_security_group_id,
            data_key=data_key,
            logs_key=encryption.logs,
            log_retention_days=settings.observability.log_retention_days,
        ),
        components,
    )
    frontend = Frontend(
        f"{prefix}-web",
        FrontendArgs(
            ctx=ctx,
            settings=settings.frontend,
            api=api.origin,
            edge_logs_key=edge_logs_key,
            log_retention_days=settings.observability.log_retention_days,
        ),
        components,
    )
    observability = Observability(
        f"{prefix}-obs",
        ObservabilityArgs(
            ctx=ctx,
            settings=settings.observability,
            network=net,
            nat_gateway_ids=network.nat_gateway_ids,
            database=database.targets,
            api=api.targets,
            frontend=frontend.targets,
            topics=alerting.topics,
            edge_topics=edge_topics,
            data_key=data_key,
            account_baseline=settings.security.account_baseline,
        ),
        components,
    )
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("databaseSubnetIds", network.database_subnet_ids)
    pulumi.export("natPublicIps", network.nat_public_ips)
    pulumi.export("repositoryUrl", registry.api.url)
    pulumi.export("repositoryUrls", registry.repository_urls)
    pulumi.export("databaseEndpoint", database.endpoint)
    pulumi.export("databaseReaderEndpoint", database.reader_endpoint)
    pulumi.export("databaseSecretArn", database.secret_arn)
    pulumi.export("databasePort", database.port)
    pulumi.export("databaseName", database.database_name)
    pulumi.export("databaseSecurityGroupId", database.security_group_id)
    pulumi.export("databaseApp", access_outputs(database.access))  # the app contract (docs/api.md)
    pulumi.export("databaseSubnetGroupName", network.db_subnet_group_name)
    if database.backup is not None:
        pulumi.export("backupVaultArn", database.backup.home_arn)
        pulumi.export("backupCopyVaultArn", database.backup.copy_arn)
    if settings.api.platform == "ecs":
        # the load balancer is internal: the API's address is CloudFront's /api/* behaviour
        pulumi.export("apiUrl", pulumi.Output.concat(frontend.url, "/api"))
        pulumi.export("apiOriginUrl", api.url)
        pulumi.export("ecsClusterName", api.ecs_cluster_name)
        pulumi.export("ecsServiceName", api.ecs_service_name)
        pulumi.export("loadBalancerArn", api.load_balancer_arn)
        pulumi.export("vpcOriginId", api.vpc_origin_id)
    else:
        pulumi.export("apiUrl", api.url)
    pulumi.export("frontendUrl", frontend.url)
    pulumi.export("distributionId", frontend.distribution_id)
    pulumi.export("webAclArn", frontend.web_acl_arn)
    pulumi.export("siteBucketName", frontend.site_bucket_name)
    pulumi.export("frontendLogBucketName", frontend.log_bucket_name)
    pulumi.export("dashboardName", observability.dashboard_name)
    pulumi.export("rumAppMonitorId", observability.rum_app_monitor_id)
    pulumi.export("identityPoolId", observability.identity_pool_id)
    pulumi.export("rumRegion", observability.rum_region)
    pulumi.export("rumSessionSampleRate", observability.rum_session_sample_rate)


if workloads:
    build_workloads()

# GitHub Actions OIDC trust: an account singleton, so only the stack that sets ci.githubRepository builds it (in
# organization mode every account's stack does; settings require it there).
ci = (
    Ci(
        f"{prefix}-ci",
        CiArgs(
            ctx=ctx,
            settings=settings.ci,
            # every region the stacks put resources in (aws:RequestedRegion of the CI roles)
            regions=tuple(sorted({settings.region, EDGE_REGION, *settings.security.regions})),
            data_key_arn=encryption.data.arn,
            account_baseline=settings.security.account_baseline,
            audit_bucket_arns=security.audit_bucket_arns,
            shared_account=settings.security.organization.mode == "none",
            assumable_role_arns=tuple(
                arn for arn in (settings.security.organization.management_role_arn,) if arn is not None
            ),
        ),
        components,
    )
    if settings.ci.github_repository
    else None
)

pulumi.export("region", settings.region)
pulumi.export("environment", settings.environment)
pulumi.export("permissionsBoundaryArn", guardrails.boundary_arn)
pulumi.export("securityRegions", list(settings.security.regions))
pulumi.export("organizationMode", settings.security.organization.mode)
pulumi.export("alarmTopicArn", alerting.alarm_topic_arn)
pulumi.export("warningTopicArn", alerting.topics.warning)
pulumi.export(
    "kmsKeyArns",
    {"data": encryption.data.arn, "logs": encryption.logs.arn, "audit": encryption.audit.arn, "messaging": encryption.messaging.arn},
)
if settings.security.account_baseline:
    pulumi.export("trailArn", security.trail_arn)
    pulumi.export("auditBucketName", security.audit_bucket_name)
    if security.standards_arns is not None:
        pulumi.export("securityHubStandards", security.standards_arns)
    if security.detector_ids is not None:
        pulumi.export("guardDutyDetectorIds", security.detector_ids)
if findings is not None:
    pulumi.export("securityHubV2Arn", findings.hub_arn)
    pulumi.export("complianceReportFunction", findings.report.function_name)
    pulumi.export("conformancePackName", security.conformance_pack_name)
    if findings.connector_auth_url is not None:
        pulumi.export("securityConnectorAuthUrl", findings.connector_auth_url)
    if findings.webhook_destination_arn is not None:
        pulumi.export("findingsWebhookDestinationArn", findings.webhook_destination_arn)
        pulumi.export("findingsDeadLetterQueueUrl", findings.dead_letter_queue_url)
if security.management_checklist is not None:
    pulumi.export("managementChecklist", security.management_checklist)
if security.organization_trail_arn is not None:
    pulumi.export("organizationTrailArn", security.organization_trail_arn)
if ci is not None:
    pulumi.export("ciPreviewRoleArn", ci.preview_role_arn)
    pulumi.export("ciDeployRoleArn", ci.deploy_role_arn)
    if ci.dev_deploy_role_arn is not None:
        pulumi.export("ciDevDeployRoleArn", ci.dev_deploy_role_arn)
