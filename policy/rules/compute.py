"""Compute rules: ECR repositories and registry scanning, App Runner services and VPC connectors (ECR.*,
AppRunner.*)."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import (
    Res,
    StackView,
    as_list,
    dig,
    number,
    text,
    truthy,
)
from .shared import (
    APPRUNNER,
    CONNECTOR,
    ECR_LIFECYCLE,
    ECR_REPO,
    ECR_SCANNING,
    IGW,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOC,
    SUBNET,
    WORLD,
    Findings,
    resource_rule,
    stack_rule,
)


def _registry_scans_everything(stack: StackView) -> bool:
    for config in stack.of(ECR_SCANNING):
        for rule in as_list(config.get("rules")):
            filters = [text(dig(f, "filter")) for f in as_list(dig(rule, "repositoryFilters"))]
            if "*" in filters and text(dig(rule, "scanFrequency")) in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"):
                return True
    return False


@stack_rule(
    "ecr-image-scanning",
    types=(ECR_REPO,),
    controls=("ECR.1",),
    severity="high",
    tsc=("CC7.1",),
    description="Every repository scans images on push, or the registry scans every repository (enhanced scanning).",
    remediation="Set image_scanning_configuration.scan_on_push=True, or add RegistryScanningConfiguration with a "
    "`*` filter.",
)
def _ecr_scan(stack: StackView) -> Findings:
    registry = _registry_scans_everything(stack)
    for repo in stack.of(ECR_REPO):
        if not registry and not truthy(dig(repo.get("imageScanningConfiguration"), "scanOnPush")):
            yield repo, "images are not scanned on push"


@resource_rule(
    "ecr-tag-immutability",
    types=(ECR_REPO,),
    controls=("ECR.2",),
    severity="medium",
    tsc=("CC8.1",),
    description="Repositories make tags immutable (IMMUTABLE_WITH_EXCLUSION keeps named moving tags mutable; provider "
    "default: MUTABLE).",
    remediation="Set image_tag_mutability=\"IMMUTABLE\" or \"IMMUTABLE_WITH_EXCLUSION\" with exclusion filters.",
)
def _ecr_immutable(res: Res) -> Iterator[str]:
    mode = text(res.get("imageTagMutability")) or "MUTABLE"
    if mode not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield f"image_tag_mutability is {mode}"


@stack_rule(
    "ecr-lifecycle-policy",
    types=(ECR_REPO,),
    controls=("ECR.3",),
    severity="medium",
    tsc=("CC8.1",),
    description="Every repository has a lifecycle policy.",
    remediation="Add ecr.LifecyclePolicy(repository=repo.name, policy=...).",
)
def _ecr_lifecycle(stack: StackView) -> Findings:
    for repo in stack.of(ECR_REPO):
        if not stack.referrers(repo, (ECR_LIFECYCLE,), "repository"):
            yield repo, "no lifecycle policy"


@resource_rule(
    "ecr-kms-encryption",
    types=(ECR_REPO,),
    controls=("ECR.5",),
    severity="medium",
    tsc=("CC6.1",),
    description="Repositories are encrypted with a customer-managed KMS key (default: AES256).",
    remediation="Set encryption_configurations=[{encryption_type: \"KMS\", kms_key: <data key ARN>}] (immutable).",
)
def _ecr_kms(res: Res) -> Iterator[str]:
    configs = as_list(res.get("encryptionConfigurations"))
    if not any(text(dig(c, "encryptionType")) == "KMS" and text(dig(c, "kmsKey")) for c in configs):
        yield "not encrypted with a customer-managed key"


@resource_rule(
    "apprunner-vpc-egress",
    types=(APPRUNNER,),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    references=("Config apprunner-service-in-vpc",),
    description="App Runner services send egress through a VPC connector.",
    remediation="Set network_configuration.egress_configuration={egress_type: \"VPC\", vpc_connector_arn: ...}.",
)
def _ar_vpc(res: Res) -> Iterator[str]:
    egress = dig(res.get("networkConfiguration"), "egressConfiguration")
    if text(dig(egress, "egressType")) != "VPC" or not text(dig(egress, "vpcConnectorArn")):
        yield "egress does not go through a VPC connector"


@resource_rule(
    "apprunner-private-ingress",
    types=(APPRUNNER,),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    references=("Config apprunner-service-no-public-access",),
    description="App Runner services are not publicly reachable (a public service fronted by CloudFront needs a "
    "documented exception).",
    remediation="Set ingress_configuration.is_publicly_accessible=False with a VpcIngressConnection, or record an "
    "exception in policy/exceptions.yaml explaining the CloudFront origin-verify header.",
)
def _ar_ingress(res: Res) -> Iterator[str]:
    if truthy(dig(res.get("networkConfiguration"), "ingressConfiguration", "isPubliclyAccessible"), default=True):
        yield "the service URL is publicly accessible"


@resource_rule(
    "apprunner-observability",
    types=(APPRUNNER,),
    controls=(),
    severity="low",
    tsc=("CC7.2",),
    references=("Config apprunner-service-observability-enabled",),
    description="App Runner services have tracing (observability configuration) enabled.",
    remediation="Set observability_configuration={observability_enabled: True, observability_configuration_arn: ...}.",
)
def _ar_observability(res: Res) -> Iterator[str]:
    config = res.get("observabilityConfiguration")
    if not truthy(dig(config, "observabilityEnabled")) or not text(dig(config, "observabilityConfigurationArn")):
        yield "observability is not enabled"


@resource_rule(
    "apprunner-cmk-and-health-check",
    types=(APPRUNNER,),
    controls=(),
    severity="low",
    tsc=("CC6.1", "A1.2"),
    references=("Config apprunner-service-max-unhealthy-threshold",),
    description="App Runner services encrypt with a customer-managed key and replace unhealthy instances after at "
    "most 5 failed checks.",
    remediation="Set encryption_configuration.kms_key and health_check_configuration.unhealthy_threshold <= 5.",
)
def _ar_cmk(res: Res) -> Iterator[str]:
    if not text(dig(res.get("encryptionConfiguration"), "kmsKey")):
        yield "no customer-managed encryption key"
    if number(dig(res.get("healthCheckConfiguration"), "unhealthyThreshold"), 5) > 5:
        yield "unhealthy_threshold above 5"


@stack_rule(
    "apprunner-connector-private-subnets",
    types=(CONNECTOR,),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    references=("reference/compliance-controls.md §1.9 App Runner hygiene",),
    description="VPC connectors use private subnets (egress through NAT, no internet-gateway default route).",
    remediation="Pass the network's private subnet ids to the VPC connector.",
)
def _connector(stack: StackView) -> Findings:
    for connector in stack.of(CONNECTOR):
        for subnet in stack.refs(connector, "subnets", (SUBNET,)):
            if _igw_routed(stack, subnet):
                yield connector, f"subnet {subnet.name} routes to an internet gateway"


def _igw_routed(stack: StackView, subnet: Res) -> bool:
    for assoc in stack.referrers(subnet, (RT_ASSOC,), "subnetId"):
        table = stack.ref(assoc, "routeTableId", (ROUTE_TABLE,))
        if table is None:
            continue
        for route in stack.referrers(table, (ROUTE,), "routeTableId"):
            if route.get("destinationCidrBlock") in WORLD and (
                text(route.get("gatewayId")).startswith("igw-") or stack.resolve(route.get("gatewayId"), (IGW,))
            ):
                return True
    return False
