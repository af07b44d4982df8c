"""Api: the backend service, on ECS Fargate behind an internal load balancer that only CloudFront reaches
(`api.platform: ecs`, the default; components/api_ecs.py) or on App Runner (`api.platform: apprunner`, only for
accounts that already use App Runner: it is closed to new customers since 2026-04-30). The image comes from the
Registry's `api` repository.

Both platforms get the same application grants (read the database secret, decrypt it through Secrets Manager,
write X-Ray traces), run in the private subnets with the application security group, receive the same
environment, and export the same views (`origin` for the frontend, `targets` for observability).

Only CloudFront reaches the API. A pulumi-random secret is the value of the `X-Origin-Verify` header that
CloudFront adds to origin requests (the Frontend wires it from `origin`). A REGIONAL WAF web ACL on the load
balancer (ecs) or the service (apprunner) blocks every request without that exact header, then runs AWS managed
rule groups; it logs to `aws-waf-logs-*` with the header redacted. On ecs the header is defence in depth: the
load balancer is internal and its security group admits only CloudFront's VPC-origin traffic.

The ECR repository policy that grants pull to this component's roles lives here (a child of this component):
the roles are created here and the Registry has to exist before them, so creating it in the Registry would be
a dependency cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from . import api_ecs
from .common import (
    ApiOrigin,
    ApiTargets,
    DatabaseConnection,
    ServiceRole,
    StackContext,
    Statement,
    allow,
    child,
    policy_json,
    service_role,
    waf_logging,
)
from .encryption import KeyRef
from .registry import RepositoryRef
from .settings import ApiSettings

COMPONENT = "api"
VERIFY_HEADER = "X-Origin-Verify"
APPRUNNER = "apprunner"
ECS = "ecs"

PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
# What an SDK or the ADOT collector's awsxray exporter calls to send traces and follow sampling rules. X-Ray has no
# resource-level permissions for these (Service Authorization Reference), so Resource is "*".
XRAY_WRITE = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
)
# Managed rule groups after the origin check: OWASP-style common rules, known bad inputs, Amazon IP reputation.
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList")
RATE_LIMIT_PRIORITY = 10  # after the origin check (0) and the managed groups (1-3), whose priorities stay as they are


@dataclass(frozen=True)
class ApiArgs:
    ctx: StackContext
    settings: ApiSettings
    repository: RepositoryRef
    database: DatabaseConnection
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    app_security_group_id: pulumi.Input[str]  # the tasks (ecs) or the VPC connector (apprunner)
    load_balancer_security_group_id: Optional[pulumi.Input[str]]  # ecs: the internal ALB's group
    data_key: KeyRef  # App Runner service encryption
    logs_key: KeyRef  # WAF and container log groups
    log_retention_days: int


def image_reference(settings: ApiSettings, repository_url: pulumi.Output[str]) -> pulumi.Output[str]:
    """`<repository>:<tag>`, `<repository>@sha256:...`, or the public bootstrap reference as given."""
    if settings.public_image:
        return pulumi.Output.from_input(settings.image)
    separator = "@" if settings.image.startswith("sha256:") else ":"
    return pulumi.Output.concat(repository_url, separator, settings.image)


class Api(pulumi.ComponentResource):
    url: pulumi.Output[str]  # the origin's own URL (ecs: inside the VPC only); users go through CloudFront
    origin: ApiOrigin
    targets: ApiTargets
    pull_role_arn: pulumi.Output[str]  # the only principal the repository policy lets pull
    # ecs only (None on apprunner): what the deploy workflow and operators address
    ecs_cluster_name: Optional[pulumi.Output[str]] = None
    ecs_service_name: Optional[pulumi.Output[str]] = None
    load_balancer_arn: Optional[pulumi.Output[str]] = None
    vpc_origin_id: Optional[pulumi.Output[str]] = None

    def __init__(self, name: str, args: ApiArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Api", name, None, opts)
        self.args, self.resource_name = args, name
        ctx, cfg = args.ctx, args.settings

        self._secret = random.RandomPassword(
            f"{name}-origin-verify",
            length=48,
            special=False,  # sent as an HTTP header value and matched byte for byte
            opts=child(self),
        )
        self.image = image_reference(cfg, args.repository.url)
        self.environment: dict[str, pulumi.Input[str]] = {
            "DB_HOST": args.database.endpoint,
            "DB_READER_HOST": args.database.reader_endpoint,
            "DB_PORT": str(args.database.port),
            "DB_NAME": args.database.database_name,
            "DB_USER": args.database.master_username,
            "APP_REGION": ctx.region,
            "ORIGIN_VERIFY_HEADER": VERIFY_HEADER,
        }

        https_inside_vpc = True
        vpc_origin_id: Optional[pulumi.Output[str]] = None
        if cfg.platform == APPRUNNER:
            domain, puller, targets = self._apprunner()
            pull_actions = [*PULL_ACTIONS, "ecr:DescribeImages"]
        else:
            ecs = api_ecs.build(self)
            domain, puller, pull_actions = ecs.domain, ecs.execution_role, list(PULL_ACTIONS)
            https_inside_vpc, vpc_origin_id = bool(cfg.domain), ecs.vpc_origin.id
            targets = dict(
                platform=ECS,
                health_check_path=cfg.health_check_path,
                max_instances=cfg.max_instances,
                ecs_cluster_name=ecs.cluster.name,
                ecs_service_name=ecs.service.name,
                load_balancer_arn_suffix=ecs.load_balancer.arn_suffix,
                target_group_arn_suffix=ecs.target_group.arn_suffix,
                trace_service_name=api_ecs.trace_service_name(ctx),
                log_group_names=(ecs.log_group.name,),
            )
            self.ecs_cluster_name, self.ecs_service_name = ecs.cluster.name, ecs.service.name
            self.load_balancer_arn, self.vpc_origin_id = ecs.load_balancer.arn, vpc_origin_id

        aws.ecr.RepositoryPolicy(
            f"{name}-pull",
            repository=args.repository.name,
            policy=policy_json(
                [{"Sid": "ApiPull", "Effect": "Allow", "Principal": {"AWS": puller.arn}, "Action": pull_actions}]
            ),
            opts=child(self),
        )

        scheme = "https://" if https_inside_vpc else "http://"
        host = domain.apply(lambda d: d.split("://", 1)[-1].rstrip("/"))
        self.url = pulumi.Output.concat(scheme, host)
        self.origin = ApiOrigin(
            domain=host,
            url=self.url,
            verify_header_name=VERIFY_HEADER,
            verify_header_value=pulumi.Output.secret(self._secret.result),
            vpc_origin_id=vpc_origin_id,
            https_inside_vpc=https_inside_vpc,
        )
        self.targets = ApiTargets(url=self.url, **targets)
        self.pull_role_arn = puller.arn
        outputs: dict[str, Any] = {"originUrl": self.url, "pullRoleArn": self.pull_role_arn}
        if cfg.platform == ECS:
            outputs.update(ecsClusterName=self.ecs_cluster_name, ecsServiceName=self.ecs_service_name,
                           loadBalancerArn=self.load_balancer_arn, vpcOriginId=self.vpc_origin_id)
        self.register_outputs(outputs)

    # ----------------------------------------------------------------------------------------------
    # Shared grants
    # ----------------------------------------------------------------------------------------------

    def secret_statements(self) -> list[Statement]:
        """Read the database secret and decrypt it, only through Secrets Manager."""
        args = self.args
        return [
            allow("ReadDatabaseSecret", ["secretsmanager:GetSecretValue"], args.database.secret_arn),
            allow(
                "DecryptDatabaseSecret",
                ["kms:Decrypt"],
                args.database.secret_key_arn,
                Condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{args.ctx.region}.amazonaws.com"}},
            ),
        ]

    def app_statements(self) -> list[Statement]:
        """What the application itself may do: the database secret and X-Ray traces."""
        return [*self.secret_statements(), allow("WriteTraces", list(XRAY_WRITE), "*")]

    def pull_statements(self) -> list[Statement]:
        return [
            allow("PullApiImage", list(PULL_ACTIONS), self.args.repository.arn),
            # GetAuthorizationToken has no resource-level permissions.
            allow("RegistryLogin", ["ecr:GetAuthorizationToken"], "*"),
        ]

    # ----------------------------------------------------------------------------------------------
    # App Runner
    # ----------------------------------------------------------------------------------------------

    def _apprunner(self) -> tuple[pulumi.Output[str], ServiceRole, dict]:
        args, name = self.args, self.resource_name
        ctx, cfg = args.ctx, args.settings

        access_role = service_role(
            f"{name}-access",
            ctx,
            COMPONENT,
            self,
            services=["build.apprunner.amazonaws.com"],
            description="App Runner pulls the API image from its ECR repository",
            statements=[
                *self.pull_statements(),
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
            statements=self.app_statements(),
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
                    image_identifier=self.image,
                    image_repository_type="ECR" if private else "ECR_PUBLIC",
                    image_configuration=aws.apprunner.ServiceSourceConfigurationImageRepositoryImageConfigurationArgs(
                        port=str(cfg.port),
                        runtime_environment_variables=self.environment,
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
        acl = self.web_acl()
        aws.wafv2.WebAclAssociation(f"{name}-waf-service", resource_arn=service.arn, web_acl_arn=acl.arn, opts=child(acl))
        targets = dict(
            platform=APPRUNNER,
            health_check_path=cfg.health_check_path,
            max_instances=cfg.max_instances,
            apprunner_service_name=service.service_name,
            apprunner_service_id=service.service_id,
        )
        return service.service_url, access_role, targets

    def web_acl(self, rate_limit: Optional[int] = None) -> aws.wafv2.WebAcl:
        """The REGIONAL web ACL in front of the API: the origin-verify header check, then (ecs) a per-viewer rate
        limit, then AWS managed rule groups; logged with the secret header redacted."""
        args, name = self.args, self.resource_name
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
        rules = [origin_check]
        if rate_limit is not None:
            # Every request arrives from CloudFront, so the client is the first X-Forwarded-For address (CloudFront
            # appends the viewer's). A client can put its own value first: the edge web ACL's per-IP limit is the
            # binding one, this is the backstop for traffic that reaches the origin.
            rules.append(
                aws.wafv2.WebAclRuleArgs(
                    name="rate-limit-per-viewer",
                    priority=RATE_LIMIT_PRIORITY,
                    action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                            limit=rate_limit,
                            evaluation_window_sec=300,
                            aggregate_key_type="FORWARDED_IP",
                            forwarded_ip_config=aws.wafv2.WebAclRuleStatementRateBasedStatementForwardedIpConfigArgs(
                                header_name="X-Forwarded-For", fallback_behavior="MATCH"
                            ),
                        )
                    ),
                    visibility_config=visibility(f"{metric}-rate-limit"),
                )
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
            rules=[*rules, *managed],
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
            ),
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        # the origin secret must not end up in the logs either
        waf_logging(name, ctx, COMPONENT, self, acl=acl, suffix="api", kms_key_arn=args.logs_key.arn,
                    retention_days=args.log_retention_days, redact=[VERIFY_HEADER.lower()])
        return acl
