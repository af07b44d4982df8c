"""The API on ECS Fargate behind an internal Application Load Balancer that only CloudFront reaches (`api.platform:
ecs`, the default). Built by `Api` as its children; docs/api.md is the page this module implements.

    CloudFront /api/* ──VPC origin──► internal ALB (private subnets) ──► Fargate tasks (private subnets, no public IP)
                                       │ regional web ACL                 │ api container + ADOT collector sidecar
                                       │ access logs → S3 (SSE-S3)        │ logs → KMS log group, traces → X-Ray

- The load balancer has no public endpoint: CloudFront VPC origins reach it through CloudFront-managed network
  interfaces in the VPC (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html).
  Its security group (Network) admits only the `com.amazonaws.global.cloudfront.origin-facing` prefix list.
- The hop inside the VPC is HTTPS when `api.domain` is set (a regional ACM certificate for that name, which
  CloudFront validates against the origin domain), and HTTP otherwise: an internal ALB's own DNS name can carry no
  certificate. policy/exceptions.yaml records the HTTP case; it stops applying once a domain is configured.
- Deployments roll back on their own (circuit breaker); Application Auto Scaling tracks requests per target and CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import pulumi
import pulumi_aws as aws

from .common import (
    BucketEncryption,
    HardenedBucket,
    LifecycleRule,
    ServiceRole,
    StackContext,
    allow,
    child,
    dns_validated_certificate,
    hardened_bucket,
    log_group,
    service_role,
    service_trust,
)

if TYPE_CHECKING:
    from .api import Api

COMPONENT = "api"
CONTAINER = "api"
COLLECTOR = "aws-otel-collector"
# AWS Distro for OpenTelemetry collector, pinned by tag (release notes: github.com/aws-observability/aws-otel-collector,
# docs/releases/v0.50.0.md, 2026-08-25). Its bundled /etc/ecs/ecs-xray.yaml receives OTLP on localhost:4317/4318
# and exports to X-Ray only, so the task role needs nothing beyond the X-Ray write actions.
COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.50.0"
COLLECTOR_CONFIG = "/etc/ecs/ecs-xray.yaml"
TMP_VOLUME = "tmp"
ACCESS_LOG_PREFIX = "alb"
# ELB security policy with TLS 1.3 and 1.2 only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_CHECK_GRACE_SECONDS = 60
CPU_TARGET_PERCENT = 60.0
# ELB writes access logs as its regional account in Regions that opened before August 2022 and as the service
# principal logdelivery.elasticloadbalancing.amazonaws.com in later ones (Elastic Load Balancing User Guide, "Enable
# access logs for your Application Load Balancer", step 2: attach a policy to your S3 bucket). A table, not the
# aws.elb.getServiceAccount lookup, because the design allows no lookups at preview.
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


def trace_service_name(ctx: StackContext) -> str:
    return f"{ctx.name_prefix}-api"


@dataclass(frozen=True)
class EcsPlatform:
    """What `Api` needs back from the ECS build."""

    domain: pulumi.Output[str]  # the origin host CloudFront connects to (api.domain or the ALB's DNS name)
    execution_role: ServiceRole  # the principal that pulls the image
    cluster: aws.ecs.Cluster
    service: aws.ecs.Service
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    vpc_origin: aws.cloudfront.VpcOrigin
    log_group: aws.cloudwatch.LogGroup


def build(api: Api) -> EcsPlatform:
    """Every resource of the ECS platform, as children of `api`."""
    args, name = api.args, api.resource_name
    ctx, cfg = args.ctx, args.settings
    assert args.load_balancer_security_group_id is not None, "api.platform ecs needs the network's load balancer group"

    access_logs = _access_log_bucket(api)
    load_balancer = aws.lb.LoadBalancer(
        f"{name}-alb",
        internal=True,
        load_balancer_type="application",
        ip_address_type="ipv4",
        subnets=args.private_subnet_ids,
        security_groups=[args.load_balancer_security_group_id],
        drop_invalid_header_fields=True,  # ELB.4
        desync_mitigation_mode="strictest",  # ELB.12
        enable_deletion_protection=ctx.is_prod,  # ELB.6 (dev may be torn down)
        enable_http2=True,
        idle_timeout=60,
        access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=access_logs.name, prefix=ACCESS_LOG_PREFIX, enabled=True),
        tags=ctx.tags(COMPONENT),
        # ELB checks that it can write a test object when access logs are turned on
        opts=child(api, depends_on=list(access_logs.ready)),
    )
    target_group = aws.lb.TargetGroup(
        f"{name}-tg",
        # port, protocol, target type and VPC replace the group (api.port does); the listener follows
        port=cfg.port,
        protocol="HTTP",
        target_type="ip",  # awsvpc tasks register by IP
        vpc_id=args.vpc_id,
        deregistration_delay=30,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            enabled=True, path=cfg.health_check_path, protocol="HTTP", matcher="200-399",
            interval=15, timeout=5, healthy_threshold=2, unhealthy_threshold=3,
        ),
        tags=ctx.tags(COMPONENT),
        opts=child(load_balancer),
    )
    certificate_arn = _certificate(api, load_balancer) if cfg.domain else None
    listener = aws.lb.Listener(
        f"{name}-listener",
        load_balancer_arn=load_balancer.arn,
        port=cfg.listener_port,
        protocol="HTTPS" if certificate_arn is not None else "HTTP",
        certificate_arn=certificate_arn,
        ssl_policy=TLS_POLICY if certificate_arn is not None else None,
        default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)],
        tags=ctx.tags(COMPONENT),
        opts=child(load_balancer),
    )
    acl = api.web_acl(rate_limit=cfg.waf_rate_limit)
    aws.wafv2.WebAclAssociation(f"{name}-waf-alb", resource_arn=load_balancer.arn, web_acl_arn=acl.arn, opts=child(acl))
    vpc_origin = aws.cloudfront.VpcOrigin(
        f"{name}-vpc-origin",
        vpc_origin_endpoint_config=aws.cloudfront.VpcOriginVpcOriginEndpointConfigArgs(
            name=f"{ctx.name_prefix}-api",
            arn=load_balancer.arn,
            http_port=80,
            https_port=443,
            origin_protocol_policy="https-only" if cfg.domain else "http-only",
            origin_ssl_protocols=aws.cloudfront.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs(
                items=["TLSv1.2"], quantity=1
            ),
        ),
        tags=ctx.tags(COMPONENT),
        # CloudFront deploys a VPC origin in up to 15 minutes
        opts=child(api, depends_on=[listener], custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m", delete="30m")),
    )

    logs = log_group(f"{name}-logs", ctx, COMPONENT, api, retention_days=args.log_retention_days, kms_key_arn=args.logs_key.arn)
    execution_role, task_role = _roles(api, logs)
    cluster = aws.ecs.Cluster(
        f"{name}-cluster",
        settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enhanced")],  # ECS.12
        tags=ctx.tags(COMPONENT),
        opts=child(api),
    )
    task = aws.ecs.TaskDefinition(
        f"{name}-task",
        family=f"{ctx.name_prefix}-api",
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu=str(cfg.cpu),
        memory=str(cfg.memory),
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(operating_system_family="LINUX", cpu_architecture="X86_64"),
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        # the root filesystems are read-only (ECS.5); the app gets a writable, task-scoped /tmp
        volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=TMP_VOLUME)],
        container_definitions=_containers(api, logs.name),
        # every change registers a new revision; the circuit breaker rolls back to the previous one, which must
        # stay registered, so Pulumi leaves old revisions in place
        skip_destroy=True,
        tags=ctx.tags(COMPONENT),
        opts=child(api),
    )
    service = aws.ecs.Service(
        f"{name}-svc",
        cluster=cluster.arn,
        task_definition=task.arn,
        launch_type="FARGATE",
        platform_version="LATEST",  # ECS.10
        desired_count=cfg.min_instances,
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
            subnets=args.private_subnet_ids, security_groups=[args.app_security_group_id], assign_public_ip=False  # ECS.2
        ),
        load_balancers=[
            aws.ecs.ServiceLoadBalancerArgs(target_group_arn=target_group.arn, container_name=CONTAINER, container_port=cfg.port)
        ],
        health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
        deployment_minimum_healthy_percent=100,  # new tasks are healthy before old ones stop
        deployment_maximum_percent=200,
        availability_zone_rebalancing="ENABLED",
        # ECS Exec needs a writable root filesystem for its agent (aws/containers-roadmap#1359), which ECS.5 forbids
        enable_execute_command=False,
        enable_ecs_managed_tags=True,
        propagate_tags="SERVICE",
        wait_for_steady_state=True,
        tags=ctx.tags(COMPONENT),
        opts=child(
            api,
            # a target group must belong to a load balancer (through the listener) before a service registers into it;
            # the roles' policies outlive the service on delete (else it hangs in DRAINING)
            depends_on=[listener, *execution_role.ready, *task_role.ready],
            ignore_changes=["desiredCount"],  # Application Auto Scaling owns it after the first deploy
            custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m", delete="30m"),
        ),
    )
    _scaling(api, cluster, service, load_balancer, target_group)
    # CloudFront switches to this origin only once the service is steady (healthy targets), so a migration from
    # another platform keeps serving from the old origin until then; Pulumi deletes the old one last
    host = pulumi.Output.from_input(cfg.domain) if cfg.domain else load_balancer.dns_name
    domain = pulumi.Output.all(host, service.id).apply(lambda values: str(values[0]))
    return EcsPlatform(
        domain=domain,
        execution_role=execution_role,
        cluster=cluster,
        service=service,
        load_balancer=load_balancer,
        target_group=target_group,
        vpc_origin=vpc_origin,
        log_group=logs,
    )


def _access_log_bucket(api: Api) -> HardenedBucket:
    args, name = api.args, api.resource_name
    ctx = args.ctx
    elb_account = ELB_LOG_ACCOUNTS.get(ctx.region)
    principal = {"AWS": f"arn:{ctx.partition}:iam::{elb_account}:root"} if elb_account else {"Service": ELB_LOG_DELIVERY}
    expiry = [LifecycleRule("expire-logs", expire_days=args.log_retention_days, noncurrent_expire_days=30)]
    # S3.9: the access-log bucket's own server access logs go to a destination that is not logged itself
    server_logs = hardened_bucket(
        f"{name}-alb-logs-access",
        ctx,
        COMPONENT,
        api,
        encryption=BucketEncryption(sse_s3_reason="S3 server access logging only delivers to SSE-S3 buckets"),
        lifecycle=expiry,
        defer_policy=True,
    )
    bucket = hardened_bucket(
        f"{name}-alb-logs",
        ctx,
        COMPONENT,
        api,
        encryption=BucketEncryption(sse_s3_reason="ELB access logs support only SSE-S3 on the destination bucket"),
        lifecycle=expiry,
        access_log_bucket=server_logs.name,
        access_log_prefix="s3/alb-logs/",
        defer_policy=True,
    )
    server_logs.attach_policy(
        [
            {
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(server_logs.arn, "/s3/alb-logs/*"),
                "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account_id}, "ArnLike": {"aws:SourceArn": bucket.arn}},
            }
        ]
    )
    bucket.attach_policy(
        [
            {
                "Sid": "ElbAccessLogs",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(bucket.arn, f"/{ACCESS_LOG_PREFIX}/AWSLogs/", ctx.account_id, "/*"),
            }
        ]
    )
    return bucket


def _certificate(api: Api, load_balancer: aws.lb.LoadBalancer) -> pulumi.Output[str]:
    """A DNS-validated regional certificate for api.domain, and the name's alias to the internal load balancer
    (it resolves to private addresses; only CloudFront's VPC-origin interfaces can connect)."""
    args, name = api.args, api.resource_name
    ctx, cfg = args.ctx, args.settings
    certificate_arn = dns_validated_certificate(
        name, domain=cfg.domain, zone_id=cfg.hosted_zone_id, tags=ctx.tags(COMPONENT, name=cfg.domain), parent=api
    )
    aws.route53.Record(
        f"{name}-origin-alias",
        zone_id=cfg.hosted_zone_id,
        name=cfg.domain,
        type="A",
        aliases=[aws.route53.RecordAliasArgs(name=load_balancer.dns_name, zone_id=load_balancer.zone_id, evaluate_target_health=True)],
        opts=child(api),
    )
    return certificate_arn


def _roles(api: Api, logs: aws.cloudwatch.LogGroup) -> tuple[ServiceRole, ServiceRole]:
    args, name = api.args, api.resource_name
    ctx = args.ctx
    task_trust = service_trust(ctx, ["ecs-tasks.amazonaws.com"], ctx.arn("ecs", "*"))
    execution = service_role(
        f"{name}-execution",
        ctx,
        COMPONENT,
        api,
        services=["ecs-tasks.amazonaws.com"],
        trust_policy=task_trust,
        description="ECS starts the API tasks: image pull, container logs, database secret injection",
        statements=[
            *api.pull_statements(),
            allow("ContainerLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(logs.arn, ":log-stream:*")),
            *api.secret_statements(),
        ],
    )
    task = service_role(
        f"{name}-task",
        ctx,
        COMPONENT,
        api,
        services=["ecs-tasks.amazonaws.com"],
        trust_policy=task_trust,
        description="The API application and its trace collector on ECS: database secret and X-Ray only",
        statements=api.app_statements(),
    )
    return execution, task


def _containers(api: Api, log_group_name: pulumi.Output[str]) -> pulumi.Output[str]:
    args = api.args
    ctx, cfg = args.ctx, args.settings

    def logging(prefix: str) -> dict[str, Any]:
        return {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group_name, "awslogs-region": ctx.region, "awslogs-stream-prefix": prefix},
        }

    # OpenTelemetry SDKs read these: traces go to the sidecar, under the name the X-Ray group filters on
    environment = {**api.environment, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317",
                   "OTEL_SERVICE_NAME": trace_service_name(ctx)}
    app: dict[str, Any] = {
        "name": CONTAINER,
        "image": api.image,
        "essential": True,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "portMappings": [{"containerPort": cfg.port, "protocol": "tcp", "name": "http"}],
        "environment": [{"name": key, "value": value} for key, value in sorted(environment.items())],
        # the whole RDS secret JSON (username, password) in one variable, by ARN, as on App Runner
        "secrets": [{"name": "DB_SECRET", "valueFrom": args.database.secret_arn}],
        "mountPoints": [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}],
        "dependsOn": [{"containerName": COLLECTOR, "condition": "START"}],
        "logConfiguration": logging(CONTAINER),
    }
    collector: dict[str, Any] = {
        "name": COLLECTOR,
        "image": COLLECTOR_IMAGE,
        "essential": True,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "command": [f"--config={COLLECTOR_CONFIG}"],
        "logConfiguration": logging("otel"),
    }
    return pulumi.Output.json_dumps([app, collector])


def _scaling(
    api: Api,
    cluster: aws.ecs.Cluster,
    service: aws.ecs.Service,
    load_balancer: aws.lb.LoadBalancer,
    target_group: aws.lb.TargetGroup,
) -> None:
    """Target tracking between api.minInstances and api.maxInstances on requests per task and on CPU (the service-
    linked role AWSServiceRoleForApplicationAutoScaling_ECSService is created by Application Auto Scaling)."""
    args, name = api.args, api.resource_name
    ctx, cfg = args.ctx, args.settings
    target = aws.appautoscaling.Target(
        f"{name}-scaling",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
        min_capacity=cfg.min_instances,
        max_capacity=cfg.max_instances,
        tags=ctx.tags(COMPONENT),
        opts=child(service),
    )
    tracking = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
    metric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
    policies: dict[str, tuple[float, str, Optional[pulumi.Output[str]]]] = {
        # App Runner's concurrency bound, as requests per task per minute
        "requests": (float(cfg.max_concurrency * 60), "ALBRequestCountPerTarget",
                     pulumi.Output.concat(load_balancer.arn_suffix, "/", target_group.arn_suffix)),
        "cpu": (CPU_TARGET_PERCENT, "ECSServiceAverageCPUUtilization", None),
    }
    for key, (value, metric_type, label) in policies.items():
        aws.appautoscaling.Policy(
            f"{name}-scale-{key}",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=tracking(
                target_value=value,
                predefined_metric_specification=metric(predefined_metric_type=metric_type, resource_label=label),
                scale_in_cooldown=300,
                scale_out_cooldown=60,
            ),
            opts=child(target),
        )
