"""A program for component-level tests of Observability while Database, Api and Frontend are built in parallel:
the real foundation (encryption, alerting, network) plus the typed views those components will hand over,
made of plain values. Run through the offline engine like __main__.py (see tests/test_observability.py)."""

import pulumi
import pulumi_aws as aws

from components.alerting import Alerting, AlertingArgs
from components.common import ApiTargets, DatabaseTargets, FrontendTargets, StackContext
from components.encryption import Encryption, EncryptionArgs
from components.network import Network, NetworkArgs
from components.observability import Observability, ObservabilityArgs
from components.settings import load_settings
from tests.observability_fakes import FAKE


settings = load_settings()
provider = aws.Provider("aws", region=settings.region, default_tags=aws.ProviderDefaultTagsArgs(tags=settings.base_tags))
components = pulumi.ResourceOptions(providers=[provider])
ctx = StackContext(
    project=settings.project, stack=settings.stack, environment=settings.environment, region=settings.region,
    account_id=aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id,
    partition="aws", base_tags=settings.base_tags,
)
prefix = settings.name_prefix
encryption = Encryption(f"{prefix}-kms", EncryptionArgs(ctx=ctx, cloudtrail_name=f"{prefix}-trail"), components)
alerting = Alerting(
    f"{prefix}-alerts",
    AlertingArgs(ctx=ctx, messaging_key=encryption.messaging, edge_messaging_key=encryption.edge_messaging,
                 emails=settings.observability.alarm_emails),
    components,
)
network = Network(
    f"{prefix}-net",
    NetworkArgs(ctx=ctx, settings=settings.network, logs_key=encryption.logs,
                log_retention_days=settings.observability.log_retention_days),
    components,
)
o = pulumi.Output.from_input
apprunner = settings.api.platform == "apprunner"
api = ApiTargets(
    platform=settings.api.platform,
    url=o("https://api.example.test"),
    health_check_path="/healthz",
    max_instances=settings.api.max_instances,
    apprunner_service_name=o(FAKE["apprunner_name"]) if apprunner else None,
    apprunner_service_id=o(FAKE["apprunner_id"]) if apprunner else None,
    ecs_cluster_name=None if apprunner else o(FAKE["ecs_cluster"]),
    ecs_service_name=None if apprunner else o(FAKE["ecs_service"]),
    log_group_names=() if apprunner else (o("/aws/ecs/vitality-api"),),
)
database = DatabaseTargets(
    cluster_identifier=o(FAKE["cluster"]),
    instance_identifiers={"writer": o(FAKE["cluster"] + "-writer")},
    readers=settings.database.readers,
    max_capacity=settings.database.max_capacity,
)
frontend = FrontendTargets(
    distribution_id=o(FAKE["distribution"]),
    distribution_domain=o("d111111abcdef8.cloudfront.net"),
    site_domain=o("d111111abcdef8.cloudfront.net"),
    url=o("https://d111111abcdef8.cloudfront.net"),
    web_acl_name=o("vitality-web"),
    web_acl_metric_name=FAKE["waf_metric"],
    waf_log_group_name=o(FAKE["waf_log_group"]),
)
observability = Observability(
    f"{prefix}-obs",
    ObservabilityArgs(
        ctx=ctx, settings=settings.observability, network=settings.network, nat_gateway_ids=network.nat_gateway_ids,
        database=database, api=api, frontend=frontend, topics=alerting.topics, edge_topics=alerting.edge_topics,
        data_key=encryption.data, account_baseline=settings.security.account_baseline,
    ),
    components,
)
pulumi.export("dashboardName", observability.dashboard_name)
pulumi.export("rumAppMonitorId", observability.rum_app_monitor_id)
pulumi.export("identityPoolId", observability.identity_pool_id)
pulumi.export("rumRegion", observability.rum_region)
