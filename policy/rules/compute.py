"""Compute rules: ECR repositories and registry scanning, App Runner services and VPC connectors, ECS clusters,
services and task definitions, and the Application Load Balancer in front of them (ECR.*, AppRunner.*, ECS.*,
ELB.*)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Optional

from ..framework import (
    ADVISORY,
    Res,
    StackView,
    as_list,
    dig,
    number,
    text,
    truthy,
)
from .shared import (
    ACL_ASSOCIATION,
    APPRUNNER,
    CONNECTOR,
    DISTRIBUTION,
    ECR_LIFECYCLE,
    ECR_REPO,
    ECR_SCANNING,
    ECS_CLUSTER,
    ECS_SERVICE,
    LISTENER,
    LOAD_BALANCER,
    SUBNET,
    TASK_DEFINITION,
    VPC_ORIGIN,
    WAF_ASSOCIATION,
    WEB_ACL,
    Findings,
    igw_routed,
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
    description="Repositories make tags immutable (IMMUTABLE_WITH_EXCLUSION keeps named moving tags mutable, never "
    "every tag through a `*` filter; provider default: MUTABLE).",
    remediation="Set image_tag_mutability=\"IMMUTABLE\" or \"IMMUTABLE_WITH_EXCLUSION\" with exclusion filters.",
)
def _ecr_immutable(res: Res) -> Iterator[str]:
    mode = text(res.get("imageTagMutability")) or "MUTABLE"
    if mode not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield f"image_tag_mutability is {mode}"
    elif mode == "IMMUTABLE_WITH_EXCLUSION":
        # an exclusion filter made of wildcards alone (`*`, `**`) matches every tag: nothing stays immutable
        catch_all = [text(dig(f, "filter")) for f in as_list(res.get("imageTagMutabilityExclusionFilters"))
                     if text(dig(f, "filter")) and not text(dig(f, "filter")).strip("*")]
        if catch_all:
            yield f"the exclusion filter {catch_all} keeps every tag mutable"


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
            if igw_routed(stack, subnet):
                yield connector, f"subnet {subnet.name} routes to an internet gateway"


# --------------------------------------------------------------------------------------------------
# The origin protection the API relies on where CloudFront is not its only network path (compensating controls
# of the API exceptions: advisory on their own, mandatory through policy-exceptions-hold)
# --------------------------------------------------------------------------------------------------

ORIGIN_VERIFY_HEADER = "x-origin-verify"


def _origin_subjects(stack: StackView) -> list[Res]:
    """What CloudFront's API origin reaches: a publicly reachable App Runner service, or a load balancer a VPC
    origin targets."""
    public = [s for s in stack.of(APPRUNNER)
              if truthy(dig(s.get("networkConfiguration"), "ingressConfiguration", "isPubliclyAccessible"), default=True)]
    targets = {text(dig(o.get("vpcOriginEndpointConfig"), "arn")) for o in stack.of(VPC_ORIGIN)}
    balancers = [lb for lb in stack.of(LOAD_BALANCER) if targets & set(lb.addresses())]
    return public + balancers


def _subject_acls(stack: StackView, subject: Res) -> list[Res]:
    """The web ACLs associated with the subject (WebAclAssociation resource_arn -> the subject)."""
    return [acl for assoc in stack.referrers(subject, (ACL_ASSOCIATION,), "resourceArn")
            for acl in stack.refs(assoc, "webAclArn", (WEB_ACL,))]


def _managed_groups(acl: Res) -> list[str]:
    return [text(dig(r, "statement", "managedRuleGroupStatement", "name")) for r in as_list(acl.get("rules"))
            if text(dig(r, "statement", "managedRuleGroupStatement", "vendorName")) == "AWS"]


@stack_rule(
    "api-origin-web-acl",
    types=(APPRUNNER, LOAD_BALANCER),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    enforcement=ADVISORY,
    references=("Config apprunner-service-no-public-access (compensating control)", "AWS WAF developer guide"),
    description="The API CloudFront reaches (a public App Runner service, or the load balancer of a VPC origin) has a "
    "REGIONAL WAF web ACL associated that runs AWS managed rule groups.",
    remediation="Associate the API web ACL (wafv2.WebAclAssociation(resource_arn=<service or load balancer>.arn, "
    "web_acl_arn=acl.arn)) with the AWS managed common and known-bad-inputs rule groups.",
)
def _api_web_acl(stack: StackView) -> Findings:
    for subject in _origin_subjects(stack):
        acls = _subject_acls(stack, subject)
        if not acls:
            yield subject, "no web ACL is associated"
        for acl in acls:
            if text(acl.get("scope")) != "REGIONAL":
                yield subject, f"web ACL {acl.name} has scope {acl.get('scope')!r}, not REGIONAL"
            if not _managed_groups(acl):
                yield subject, f"web ACL {acl.name} runs no AWS managed rule group"


def _origin_secrets(stack: StackView) -> set[str]:
    """The X-Origin-Verify values CloudFront origins send."""
    return {text(dig(h, "value")) for dist in stack.of(DISTRIBUTION) for origin in as_list(dist.get("origins"))
            for h in as_list(dig(origin, "customHeaders")) if text(dig(h, "name")).lower() == ORIGIN_VERIFY_HEADER}


def _header_gate(acl: Res) -> tuple[Optional[Any], str]:
    """The web ACL's origin-verify rule and its searchString, or why there is none that gates every request first:
    the lowest-priority rule blocks a request unless its x-origin-verify header matches exactly."""
    rules = sorted(as_list(acl.get("rules")), key=lambda r: number(dig(r, "priority"), 0))
    for position, rule in enumerate(rules):
        match = dig(rule, "statement", "notStatement", "statement", "byteMatchStatement")
        if text(dig(match, "fieldToMatch", "singleHeader", "name")).lower() != ORIGIN_VERIFY_HEADER:
            continue
        if dig(rule, "action", "block") is None:
            return None, f"the {ORIGIN_VERIFY_HEADER} rule of {acl.name} does not block"
        if text(dig(match, "positionalConstraint")) != "EXACTLY":
            return None, f"the {ORIGIN_VERIFY_HEADER} rule of {acl.name} does not match the secret exactly"
        if position:
            return None, f"the {ORIGIN_VERIFY_HEADER} rule of {acl.name} runs after {position} other rule(s)"
        return rule, text(dig(match, "searchString"))
    return None, f"web ACL {acl.name} has no rule blocking requests without the {ORIGIN_VERIFY_HEADER} secret"


@stack_rule(
    "api-origin-verify-header",
    types=(APPRUNNER, LOAD_BALANCER),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    enforcement=ADVISORY,
    references=("CloudFront developer guide: restricting access to custom origins with a custom header",),
    description="The web ACL of the API CloudFront reaches first blocks every request whose X-Origin-Verify header "
    "is not exactly the secret a CloudFront origin of the stack sends, so only CloudFront gets through.",
    remediation="Give the API web ACL, as its first rule, a block of NOT byte-match EXACTLY on the x-origin-verify "
    "header with the same random secret the distribution's API origin sends as a custom header.",
)
def _api_origin_verify(stack: StackView) -> Findings:
    secrets = _origin_secrets(stack)
    for subject in _origin_subjects(stack):
        acls = _subject_acls(stack, subject)
        if not acls:
            yield subject, "no web ACL is associated to check the origin-verify header"
        for acl in acls:
            rule, detail = _header_gate(acl)
            if rule is None:
                yield subject, detail
            elif not secrets:
                yield subject, "no CloudFront origin of the stack sends the X-Origin-Verify header"
            elif detail not in secrets:
                yield subject, f"web ACL {acl.name} checks a value no CloudFront origin sends"


# --------------------------------------------------------------------------------------------------
# ECS and its Application Load Balancer (the API on api.platform ecs)
# --------------------------------------------------------------------------------------------------

# Environment names ECS.8 treats as credentials in plain text
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA")


def _application_lb(res: Res) -> bool:
    return text(res.get("loadBalancerType")) in ("", "application")


@resource_rule(
    "alb-hardening",
    types=(LOAD_BALANCER,),
    controls=("ELB.4", "ELB.5", "ELB.12"),
    severity="medium",
    tsc=("CC6.6", "CC7.2"),
    description="Application Load Balancers drop invalid header fields, use defensive or strictest desync "
    "mitigation and write access logs.",
    remediation="Set drop_invalid_header_fields=True, desync_mitigation_mode=\"strictest\" and "
    "access_logs={bucket: ..., enabled: True}.",
)
def _alb_hardening(res: Res) -> Iterator[str]:
    if not _application_lb(res):
        return
    if not truthy(res.get("dropInvalidHeaderFields")):
        yield "drop_invalid_header_fields is not true"
    if text(res.get("desyncMitigationMode")) not in ("", "defensive", "strictest"):
        yield f"desync_mitigation_mode is {res.get('desyncMitigationMode')!r}"
    logs = res.get("accessLogs")
    if not truthy(dig(logs, "enabled")) or not text(dig(logs, "bucket")):
        yield "access logs are not enabled"


@resource_rule(
    "alb-deletion-protection",
    types=(LOAD_BALANCER,),
    controls=("ELB.6",),
    severity="medium",
    tsc=("A1.2",),
    description="Production load balancers have deletion protection enabled.",
    remediation="Set enable_deletion_protection=True.",
)
def _alb_deletion(res: Res) -> Iterator[str]:
    if not truthy(res.get("enableDeletionProtection")):
        yield "deletion protection is off"


@resource_rule(
    "alb-http-redirect",
    types=(LISTENER,),
    controls=("ELB.1",),
    severity="medium",
    tsc=("CC6.7",),
    description="HTTP listeners of Application Load Balancers only redirect to HTTPS.",
    remediation="Serve HTTPS (a certificate for the origin name, api.domain) and make any HTTP listener's default "
    "action a redirect with protocol HTTPS.",
)
def _alb_redirect(res: Res) -> Iterator[str]:
    if text(res.get("protocol")) != "HTTP":
        return
    for action in as_list(res.get("defaultActions")):
        if text(dig(action, "type")) != "redirect" or text(dig(action, "redirect", "protocol")) != "HTTPS":
            yield f"HTTP listener action {dig(action, 'type')!r} does not redirect to HTTPS"


@stack_rule(
    "alb-waf-associated",
    types=(LOAD_BALANCER,),
    controls=("ELB.16",),
    severity="medium",
    tsc=("CC6.6",),
    description="Application Load Balancers are associated with a WAF web ACL.",
    remediation="Create an aws.wafv2.WebAclAssociation with resource_arn=<load balancer>.arn.",
)
def _alb_waf(stack: StackView) -> Findings:
    for lb in stack.of(LOAD_BALANCER):
        if _application_lb(lb) and not stack.referrers(lb, (WAF_ASSOCIATION,), "resourceArn"):
            yield lb, "no web ACL is associated"


@resource_rule(
    "ecs-cluster-container-insights",
    types=(ECS_CLUSTER,),
    controls=("ECS.12",),
    severity="low",
    tsc=("CC7.2",),
    description="ECS clusters have Container Insights enabled.",
    remediation="Set settings=[{name: \"containerInsights\", value: \"enhanced\"}].",
)
def _ecs_insights(res: Res) -> Iterator[str]:
    values = {text(dig(s, "name")): text(dig(s, "value")) for s in as_list(res.get("settings"))}
    if values.get("containerInsights") not in ("enabled", "enhanced"):
        yield "Container Insights is not enabled"


@resource_rule(
    "ecs-service-private-and-current",
    types=(ECS_SERVICE,),
    controls=("ECS.2", "ECS.10"),
    severity="high",
    tsc=("CC6.6", "CC7.1"),
    description="ECS services get no public IP and Fargate services run the latest platform version.",
    remediation="Set network_configuration.assign_public_ip=False and platform_version=\"LATEST\" (or leave it unset).",
)
def _ecs_service(res: Res) -> Iterator[str]:
    if truthy(dig(res.get("networkConfiguration"), "assignPublicIp")):
        yield "tasks get a public IP"
    version = text(res.get("platformVersion"))
    if text(res.get("launchType")) == "FARGATE" and version not in ("", "LATEST"):
        yield f"platform version pinned to {version}"


@resource_rule(
    "ecs-task-definition-hardening",
    types=(TASK_DEFINITION,),
    controls=("ECS.4", "ECS.5", "ECS.8", "ECS.9"),
    severity="high",
    tsc=("CC6.1", "CC6.8", "CC7.2"),
    description="Containers are not privileged, have read-only root filesystems, keep credentials out of plain "
    "environment variables and log through a log configuration.",
    remediation="Set privileged false, readonlyRootFilesystem true (mount a volume where the image must write), move "
    "credentials to secrets and give every container a logConfiguration.",
)
def _task_definition(res: Res) -> Iterator[str]:
    raw = res.get("containerDefinitions")
    try:
        containers = json.loads(raw) if isinstance(raw, str) else as_list(raw)
    except ValueError:
        yield "container definitions are not valid JSON"
        return
    for container in containers:
        name = text(dig(container, "name"))
        if truthy(dig(container, "privileged")):
            yield f"container {name} is privileged"
        if not truthy(dig(container, "readonlyRootFilesystem")):
            yield f"container {name} has a writable root filesystem"
        plain = [text(dig(e, "name")) for e in as_list(dig(container, "environment"))
                 if text(dig(e, "name")) in CREDENTIAL_VARIABLES]
        if plain:
            yield f"container {name} has credentials in environment variables {plain}"
        if not text(dig(container, "logConfiguration", "logDriver")):
            yield f"container {name} has no log configuration"
