"""Api: the backend service, on App Runner (`api.platform: apprunner`) or on Amazon ECS Express Mode
(`api.platform: ecs-express`), pulling its image from the Registry's `api` repository.

Both platforms get the same application grants (read the database secret, decrypt it through Secrets Manager,
write X-Ray traces), run in the private subnets with the application security group, receive the same
environment, and export the same views (`origin` for the frontend, `targets` for observability).

Only CloudFront may reach the API. A pulumi-random secret is the value of the `X-Origin-Verify` header that
CloudFront adds to origin requests (the Frontend wires it from `origin`).
- apprunner: a REGIONAL WAF web ACL on the service blocks every request without that exact header, then runs
  AWS managed rule groups; it logs to `aws-waf-logs-*` with the header redacted.
- ecs-express: Express Mode creates and owns the load balancer, and the provider exposes neither its ARN nor
  its listener, so no web ACL can be associated from this program. The secret is still handed to the app
  (`ORIGIN_VERIFY_SECRET`), which must reject requests without the header; docs/api.md records the limit.

The ECR repository policy that grants pull to this component's roles lives here (a child of this component):
the roles are created here and the Registry has to exist before them, so creating it in the Registry would be
a dependency cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from .common import (
    ApiOrigin,
    ApiTargets,
    DatabaseConnection,
    ServiceRole,
    StackContext,
    Statement,
    allow,
    child,
    log_group,
    policy_json,
    service_role,
    service_trust,
    waf_logging,
)
from .encryption import KeyRef
from .registry import RepositoryRef
from .settings import ApiSettings

COMPONENT = "api"
VERIFY_HEADER = "X-Origin-Verify"
APPRUNNER = "apprunner"
ECS_EXPRESS = "ecs-express"

PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
# X-Ray has no resource-level permissions for these (Service Authorization Reference), so Resource is "*".
XRAY_WRITE = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
)
INFRASTRUCTURE_POLICY = "service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
# Managed rule groups after the origin check: OWASP-style common rules, known bad inputs, Amazon IP reputation.
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList")


@dataclass(frozen=True)
class ApiArgs:
    ctx: StackContext
    settings: ApiSettings
    repository: RepositoryRef
    database: DatabaseConnection
    private_subnet_ids: pulumi.Input[list[str]]
    app_security_group_id: pulumi.Input[str]
    data_key: KeyRef  # App Runner service encryption
    logs_key: KeyRef  # WAF and container log groups
    log_retention_days: int


def image_reference(settings: ApiSettings, repository_url: pulumi.Output[str]) -> pulumi.Output[str]:
    """`<repository>:<tag>`, `<repository>@sha256:...`, or the public bootstrap reference as given."""
    if settings.public_image:
        return pulumi.Output.from_input(settings.image)
    separator = "@" if settings.image.startswith("sha256:") else ":"
    return pulumi.Output.concat(repository_url, separator, settings.image)


def _https(host_or_url: str) -> str:
    host = host_or_url.split("://", 1)[-1].rstrip("/")
    return f"https://{host}"


class Api(pulumi.ComponentResource):
    url: pulumi.Output[str]
    origin: ApiOrigin
    targets: ApiTargets
    pull_role_arn: pulumi.Output[str]  # the only principal the repository policy lets pull

    def __init__(self, name: str, args: ApiArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Api", name, None, opts)
        self._args, self._name = args, name
        ctx, cfg = args.ctx, args.settings

        self._secret = random.RandomPassword(
            f"{name}-origin-verify",
            length=48,
            special=False,  # sent as an HTTP header value and matched byte for byte
            opts=child(self),
        )
        self._image = image_reference(cfg, args.repository.url)
        self._environment: dict[str, pulumi.Input[str]] = {
            "DB_HOST": args.database.endpoint,
            "DB_READER_HOST": args.database.reader_endpoint,
            "DB_PORT": str(args.database.port),
            "DB_NAME": args.database.database_name,
            "DB_USER": args.database.master_username,
            "APP_REGION": ctx.region,
            "ORIGIN_VERIFY_HEADER": VERIFY_HEADER,
        }

        if cfg.platform == APPRUNNER:
            domain, puller, targets = self._apprunner()
            pull_actions = [*PULL_ACTIONS, "ecr:DescribeImages"]
        else:
            domain, puller, targets = self._ecs_express()
            pull_actions = list(PULL_ACTIONS)

        aws.ecr.RepositoryPolicy(
            f"{name}-pull",
            repository=args.repository.name,
            policy=policy_json(
                [{"Sid": "ApiPull", "Effect": "Allow", "Principal": {"AWS": puller.arn}, "Action": pull_actions}]
            ),
            opts=child(self),
        )

        self.url = domain.apply(_https)
        self.origin = ApiOrigin(
            domain=domain.apply(lambda d: d.split("://", 1)[-1].rstrip("/")),
            url=self.url,
            verify_header_name=VERIFY_HEADER,
            verify_header_value=pulumi.Output.secret(self._secret.result),
        )
        self.targets = ApiTargets(url=self.url, **targets)
        self.pull_role_arn = puller.arn
        self.register_outputs({"apiUrl": self.url, "pullRoleArn": self.pull_role_arn})

    # ----------------------------------------------------------------------------------------------
    # Shared grants
    # ----------------------------------------------------------------------------------------------

    def _secret_statements(self) -> list[Statement]:
        """Read the database secret and decrypt it, only through Secrets Manager."""
        args = self._args
        return [
            allow("ReadDatabaseSecret", ["secretsmanager:GetSecretValue"], args.database.secret_arn),
            allow(
                "DecryptDatabaseSecret",
                ["kms:Decrypt"],
                args.database.secret_key_arn,
                Condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{args.ctx.region}.amazonaws.com"}},
            ),
        ]

    def _app_statements(self) -> list[Statement]:
        """What the application itself may do: the database secret and X-Ray traces."""
        return [*self._secret_statements(), allow("WriteTraces", list(XRAY_WRITE), "*")]

    def _pull_statements(self) -> list[Statement]:
        return [
            allow("PullApiImage", list(PULL_ACTIONS), self._args.repository.arn),
            # GetAuthorizationToken has no resource-level permissions.
            allow("RegistryLogin", ["ecr:GetAuthorizationToken"], "*"),
        ]

    # ----------------------------------------------------------------------------------------------
    # App Runner
    # ----------------------------------------------------------------------------------------------

    def _apprunner(self) -> tuple[pulumi.Output[str], ServiceRole, dict]:
        args, name = self._args, self._name
        ctx, cfg = args.ctx, args.settings

        access_role = service_role(
            f"{name}-access",
            ctx,
            COMPONENT,
            self,
            services=["build.apprunner.amazonaws.com"],
            description="App Runner pulls the API image from its ECR repository",
            statements=[
                *self._pull_statements(),
                # App Runner reads image metadata to resolve the tag it deploys.
                allow("DescribeApiImages", ["ecr:DescribeImages"], args.repository.arn),
            ],
        )
        instance_role = service_role(
            f"{name}-instance",
            ctx,
            COMPONENT,
            self,
            services=["tasks.apprunner.amazonaws.com"],
            description="The API application on App Runner: database secret and X-Ray only",
            statements=self._app_statements(),
        )
        # App Runner requires explicit names (4-32 characters for these three). Re-creating a connector or
        # configuration under the same name adds a revision, so its replacement stays create-before-delete.
        short_name = f"{ctx.name_prefix}-api"
        connector = aws.apprunner.VpcConnector(
            f"{name}-vpc",
            vpc_connector_name=short_name,
            subnets=args.private_subnet_ids,
            security_groups=[args.app_security_group_id],
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        scaling = aws.apprunner.AutoScalingConfigurationVersion(
            f"{name}-scale",
            auto_scaling_configuration_name=short_name,
            min_size=cfg.min_instances,
            max_size=cfg.max_instances,
            max_concurrency=cfg.max_concurrency,
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        tracing = aws.apprunner.ObservabilityConfiguration(
            f"{name}-xray",
            observability_configuration_name=short_name,
            trace_configuration=aws.apprunner.ObservabilityConfigurationTraceConfigurationArgs(vendor="AWSXRAY"),
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        private = not cfg.public_image
        service = aws.apprunner.Service(
            f"{name}-svc",
            service_name=short_name,
            source_configuration=aws.apprunner.ServiceSourceConfigurationArgs(
                image_repository=aws.apprunner.ServiceSourceConfigurationImageRepositoryArgs(
                    image_identifier=self._image,
                    image_repository_type="ECR" if private else "ECR_PUBLIC",
                    image_configuration=aws.apprunner.ServiceSourceConfigurationImageRepositoryImageConfigurationArgs(
                        port=str(cfg.port),
                        runtime_environment_variables=self._environment,
                        # the whole RDS secret JSON (username, password) in one variable; by ARN, not by name
                        runtime_environment_secrets={"DB_SECRET": args.database.secret_arn},
                    ),
                ),
                authentication_configuration=aws.apprunner.ServiceSourceConfigurationAuthenticationConfigurationArgs(
                    access_role_arn=access_role.arn
                )
                if private
                else None,
                # deploys are explicit: a new tag or digest in api.image, then `pulumi up`
                auto_deployments_enabled=False,
            ),
            instance_configuration=aws.apprunner.ServiceInstanceConfigurationArgs(
                cpu=str(cfg.cpu), memory=str(cfg.memory), instance_role_arn=instance_role.arn
            ),
            health_check_configuration=aws.apprunner.ServiceHealthCheckConfigurationArgs(
                protocol="HTTP", path=cfg.health_check_path, interval=10, timeout=5, healthy_threshold=1, unhealthy_threshold=5
            ),
            network_configuration=aws.apprunner.ServiceNetworkConfigurationArgs(
                egress_configuration=aws.apprunner.ServiceNetworkConfigurationEgressConfigurationArgs(
                    egress_type="VPC", vpc_connector_arn=connector.arn
                ),
                # CloudFront needs a public origin; the web ACL below admits only requests carrying the secret.
                ingress_configuration=aws.apprunner.ServiceNetworkConfigurationIngressConfigurationArgs(is_publicly_accessible=True),
            ),
            auto_scaling_configuration_arn=scaling.arn,
            observability_configuration=aws.apprunner.ServiceObservabilityConfigurationArgs(
                observability_enabled=True, observability_configuration_arn=tracing.arn
            ),
            encryption_configuration=aws.apprunner.ServiceEncryptionConfigurationArgs(kms_key=args.data_key.arn),
            tags=ctx.tags(COMPONENT),
            opts=child(
                self,
                # the roles' policies must exist before App Runner first pulls and starts the instances
                depends_on=[*access_role.ready, *instance_role.ready],
                # a fixed name cannot exist twice; the only replacing changes are the name and the encryption key
                delete_before_replace=True,
                custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m", delete="30m"),
            ),
        )
        self._web_acl(service)
        targets = dict(
            platform=APPRUNNER,
            health_check_path=cfg.health_check_path,
            max_instances=cfg.max_instances,
            apprunner_service_name=service.service_name,
            apprunner_service_id=service.service_id,
        )
        return service.service_url, access_role, targets

    def _web_acl(self, service: aws.apprunner.Service) -> None:
        args, name = self._args, self._name
        ctx = args.ctx
        metric = f"{ctx.name_prefix}-api"

        def visibility(metric_name: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
            return aws.wafv2.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
            )

        origin_check = aws.wafv2.WebAclRuleArgs(
            name="require-cloudfront-origin-header",
            priority=0,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                not_statement=aws.wafv2.WebAclRuleStatementNotStatementArgs(
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        byte_match_statement=aws.wafv2.WebAclRuleStatementByteMatchStatementArgs(
                            positional_constraint="EXACTLY",
                            search_string=self._secret.result,
                            field_to_match=aws.wafv2.WebAclRuleStatementByteMatchStatementFieldToMatchArgs(
                                single_header=aws.wafv2.WebAclRuleStatementByteMatchStatementFieldToMatchSingleHeaderArgs(
                                    name=VERIFY_HEADER.lower()
                                )
                            ),
                            text_transformations=[
                                aws.wafv2.WebAclRuleStatementByteMatchStatementTextTransformationArgs(priority=0, type="NONE")
                            ],
                        )
                    )
                )
            ),
            visibility_config=visibility(f"{metric}-origin-check"),
        )
        managed = [
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=index,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=visibility(f"{metric}-{group}"),
            )
            for index, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            description="API origin: only CloudFront with the origin secret header, then AWS managed rules",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=[origin_check, *managed],
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
            ),
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        aws.wafv2.WebAclAssociation(f"{name}-waf-service", resource_arn=service.arn, web_acl_arn=acl.arn, opts=child(acl))
        # the origin secret must not end up in the logs either
        waf_logging(name, ctx, COMPONENT, self, acl=acl, suffix="api", kms_key_arn=args.logs_key.arn,
                    retention_days=args.log_retention_days, redact=[VERIFY_HEADER.lower()])

    # ----------------------------------------------------------------------------------------------
    # ECS Express Mode
    # ----------------------------------------------------------------------------------------------

    def _ecs_express(self) -> tuple[pulumi.Output[str], ServiceRole, dict]:
        args, name = self._args, self._name
        ctx, cfg = args.ctx, args.settings

        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enhanced")],
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        logs = log_group(
            f"{name}-logs", ctx, COMPONENT, self, retention_days=args.log_retention_days, kms_key_arn=args.logs_key.arn
        )
        task_trust = service_trust(ctx, ["ecs-tasks.amazonaws.com"], ctx.arn("ecs", "*"))
        # The header value rotates with the program (a new random value updates CloudFront's header and this
        # parameter in one `pulumi up`), not through Secrets Manager rotation: an SSM SecureString under the data
        # key, which ECS injects like a secret, holds it.
        origin_secret = aws.ssm.Parameter(
            f"{name}-origin-verify",
            type="SecureString",
            key_id=args.data_key.arn,
            value=self._secret.result,
            description="Value of the X-Origin-Verify header CloudFront adds to API requests",
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        execution_role = service_role(
            f"{name}-execution",
            ctx,
            COMPONENT,
            self,
            services=["ecs-tasks.amazonaws.com"],
            trust_policy=task_trust,
            description="ECS starts the API tasks: image pull, container logs, database secret injection",
            statements=[
                *self._pull_statements(),
                allow("ContainerLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(logs.arn, ":log-stream:*")),
                *self._secret_statements(),
                allow("ReadOriginSecret", ["ssm:GetParameters"], origin_secret.arn),
                allow(
                    "DecryptOriginSecret",
                    ["kms:Decrypt"],
                    args.data_key.arn,
                    Condition={"StringEquals": {"kms:ViaService": f"ssm.{ctx.region}.amazonaws.com"}},
                ),
            ],
        )
        task_role = service_role(
            f"{name}-task",
            ctx,
            COMPONENT,
            self,
            services=["ecs-tasks.amazonaws.com"],
            trust_policy=task_trust,
            description="The API application on ECS: database secret and X-Ray only",
            statements=self._app_statements(),
        )
        infrastructure_role = service_role(
            f"{name}-infrastructure",
            ctx,
            COMPONENT,
            self,
            services=["ecs.amazonaws.com"],
            description="ECS Express Mode manages the service's load balancer, security groups, certificate and scaling",
            managed_policy_arns=[f"arn:{ctx.partition}:iam::aws:policy/{INFRASTRUCTURE_POLICY}"],
        )
        secret = args.database.secret_arn
        service = aws.ecs.ExpressGatewayService(
            f"{name}-svc",
            cluster=cluster.name,
            cpu=str(cfg.cpu),
            memory=str(cfg.memory),
            execution_role_arn=execution_role.arn,
            infrastructure_role_arn=infrastructure_role.arn,
            task_role_arn=task_role.arn,
            health_check_path=cfg.health_check_path,
            network_configurations=[
                aws.ecs.ExpressGatewayServiceNetworkConfigurationArgs(
                    subnets=args.private_subnet_ids, security_groups=[args.app_security_group_id]
                )
            ],
            primary_container=aws.ecs.ExpressGatewayServicePrimaryContainerArgs(
                image=self._image,
                container_port=cfg.port,
                environments=[
                    aws.ecs.ExpressGatewayServicePrimaryContainerEnvironmentArgs(name=key, value=value)
                    for key, value in self._environment.items()
                ],
                # ECS picks single JSON keys out of the RDS-managed secret: <arn>:<json-key>:<stage>:<version>
                secrets=[
                    aws.ecs.ExpressGatewayServicePrimaryContainerSecretArgs(
                        name="DB_PASSWORD", value_from=pulumi.Output.concat(secret, ":password::")
                    ),
                    # the app rejects requests without this header value (no web ACL can be attached here)
                    aws.ecs.ExpressGatewayServicePrimaryContainerSecretArgs(
                        name="ORIGIN_VERIFY_SECRET", value_from=origin_secret.arn
                    ),
                ],
                aws_logs_configurations=[
                    aws.ecs.ExpressGatewayServicePrimaryContainerAwsLogsConfigurationArgs(log_group=logs.name, log_stream_prefix="api")
                ],
            ),
            scaling_targets=[
                aws.ecs.ExpressGatewayServiceScalingTargetArgs(
                    auto_scaling_metric="REQUEST_COUNT_PER_TARGET",
                    # App Runner's concurrency bound, as requests per task per minute
                    auto_scaling_target_value=cfg.max_concurrency * 60,
                    min_task_count=cfg.min_instances,
                    max_task_count=cfg.max_instances,
                )
            ],
            wait_for_steady_state=True,
            tags=ctx.tags(COMPONENT),
            # the provider's note: policies must outlive the service, or deletion hangs in DRAINING
            # the roles' policies outlive the service on delete (else it hangs in DRAINING: provider docs)
            opts=child(self, depends_on=[*execution_role.ready, *task_role.ready, *infrastructure_role.ready]),
        )
        endpoint = service.ingress_paths.apply(lambda paths: paths[0].endpoint if paths else "")
        targets = dict(
            platform=ECS_EXPRESS,
            health_check_path=cfg.health_check_path,
            max_instances=cfg.max_instances,
            ecs_cluster_name=cluster.name,
            ecs_service_name=service.service_name,
            log_group_names=(logs.name,),
        )
        return endpoint, execution_role, targets
