"""Compute rules: ECR repositories and registry scanning, App Runner services and VPC connectors (ECR.*,
AppRunner.*)."""

from __future__ import annotations

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
    LOAD_BALANCER,
    SUBNET,
    VPC_ORIGIN,
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
