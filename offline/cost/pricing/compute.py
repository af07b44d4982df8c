"""Compute pricing: the API's platform (ECS Fargate tasks behind an Application Load Balancer, or App Runner) and
the ECR registry with Inspector scanning."""

from __future__ import annotations

import re
from typing import Any

from ...engine import Resource
from ..model import HOURS, Charge, Context, Pricer, flat, known


def _size(value: Any, default: float, unit: str) -> float:
    """App Runner/ECS sizes: "1024" (CPU units or MiB), "1 vCPU", "2 GB", "0.5 vCPU" -> vCPU or GB."""
    if not known(value):
        return default
    text = str(value).strip()
    match = re.match(r"[0-9.]+", text)
    number = float(match.group(0)) if match else default
    return number if unit.lower() in text.lower() else number / 1024


def _api_minimum(ctx: Context) -> int:
    api = ctx.capture.config.values.get("vitality:api") or {}
    return int(api.get("minInstances", 1))


def _apprunner_service(r: Resource, ctx: Context) -> list[Charge]:
    config = r.inputs.get("instanceConfiguration") or {}
    vcpu, memory = _size(config.get("cpu"), 1.0, "vCPU"), _size(config.get("memory"), 2.0, "GB")
    scaling = ctx.resolve(r.inputs.get("autoScalingConfigurationArn"), "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion")
    minimum = int(scaling.inputs.get("minSize", 1)) if scaling is not None else _api_minimum(ctx)
    active = min(float(HOURS), ctx.usage["api_active_hours"])
    active_hours = minimum * active + ctx.usage["api_extra_instance_hours"]
    charges = [
        Charge(f"{minimum} provisioned x {memory:g} GB memory", "apprunner.provisioned_gb_hour", minimum * memory * HOURS, minimum * memory * (HOURS - active)),
        Charge(f"active vCPU ({vcpu:g} vCPU per instance)", "apprunner.active_vcpu_hour", 0.0, vcpu * active_hours),
        Charge("active memory", "apprunner.active_gb_hour", 0.0, memory * active_hours),
    ]
    source = r.inputs.get("sourceConfiguration") or {}
    if source.get("autoDeploymentsEnabled"):
        charges.append(flat("automatic deployments", "apprunner.auto_deployment_month", 1))
    return charges


def _ecs_service(r: Resource, ctx: Context) -> list[Charge]:
    """Fargate bills the task size (every container of the task, the collector sidecar included) per second."""
    task = ctx.resolve(r.inputs.get("taskDefinition"), "aws:ecs/taskDefinition:TaskDefinition")
    size = task.inputs if task is not None else {}
    vcpu, memory = _size(size.get("cpu"), 1.0, "vCPU"), _size(size.get("memory"), 2.0, "GB")
    desired = r.inputs.get("desiredCount")
    minimum = int(desired) if known(desired) and desired is not None else _api_minimum(ctx)
    task_hours = (minimum * HOURS, minimum * HOURS + ctx.usage["api_extra_instance_hours"])
    return [
        Charge(f"Fargate vCPU ({minimum} task(s) x {vcpu:g} vCPU)", "fargate.vcpu_hour", vcpu * task_hours[0], vcpu * task_hours[1]),
        Charge(f"Fargate memory ({memory:g} GB per task)", "fargate.gb_hour", memory * task_hours[0], memory * task_hours[1]),
    ]


def _vpc_origin(r: Resource, ctx: Context) -> list[Charge]:
    """A VPC origin has no price of its own, and origin fetches from an AWS origin (the ALB) are free; what
    CloudFront forwards to the origin (API request bodies) is billed as data transfer out to origin."""
    return [Charge("requests forwarded to the API origin (GB)", "cloudfront.to_origin_gb", 0.0, ctx.usage["api_request_gb"])]


def _load_balancer(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("loadBalancerType", "application") != "application":
        return [flat(f"{r.inputs.get('loadBalancerType')} load balancer", f"elb.{r.inputs.get('loadBalancerType')}_hour", HOURS)]
    return [flat(f"Application Load Balancer, {HOURS} h", "elb.alb_hour", HOURS),
            Charge("load balancer capacity units", "elb.alb_lcu_hour", 0.0, ctx.usage["alb_lcu"] * HOURS)]


def _ecr_repository(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("image storage (GB-month)", "ecr.storage_gb_month", *ctx.share("ecr_storage_gb", ctx.of_types(r.type)))]


def _ecr_scanning(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("scanType") != "ENHANCED":
        return []  # basic scanning is free
    return [
        Charge("images scanned on push", "inspector.ecr_initial_scan", 0.0, ctx.usage["ecr_images_scanned"]),
        Charge("continuous re-scans", "inspector.ecr_rescan", ctx.idle("ecr_image_rescans"), ctx.usage["ecr_image_rescans"]),
    ]


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:apprunner/service:Service": _apprunner_service,
    "aws:ecs/service:Service": _ecs_service,
    "aws:cloudfront/vpcOrigin:VpcOrigin": _vpc_origin,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": _ecr_scanning,
}

# Types with no charge of their own, and why.
FREE: dict[str, str] = {
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "no charge for lifecycle policies",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "no charge for repository policies",
    "aws:ecr/registryPolicy:RegistryPolicy": "no charge for registry policies",
    "aws:apprunner/vpcConnector:VpcConnector": "no charge for the connector; its traffic is billed on NAT and endpoints",
    "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion": "configuration (instances are "
    "billed on the service)",
    "aws:ecs/cluster:Cluster": "no charge for the cluster (Fargate tasks are billed on the service)",
    "aws:ecs/taskDefinition:TaskDefinition": "no charge for task definitions (the service's tasks are billed)",
    "aws:lb/targetGroup:TargetGroup": "billed as part of the load balancer (hours and LCUs)",
    "aws:lb/listener:Listener": "billed as part of the load balancer (hours and LCUs)",
    "aws:appautoscaling/target:Target": "Application Auto Scaling is free",
    "aws:appautoscaling/policy:Policy": "Application Auto Scaling is free (its alarms are created by AWS)",
    "aws:lambda/permission:Permission": "no charge for permissions",
}
