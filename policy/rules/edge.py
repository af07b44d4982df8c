"""Edge rules: CloudFront distributions and origin access controls, the WAF web ACL and its logging
(CloudFront.*, WAF.*)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..framework import (
    ADVISORY,
    Res,
    StackView,
    as_list,
    dig,
    text,
    truthy,
)
from .shared import (
    BUCKETS,
    DISTRIBUTION,
    LOG_DELIVERY,
    LOG_DELIVERY_DESTINATION,
    LOG_DELIVERY_SOURCE,
    LOG_GROUP,
    OAC,
    VPC_ORIGIN,
    WAF_LOGGING,
    WEB_ACL,
    Findings,
    resource_rule,
    stack_rule,
)


def _origins(res: Res) -> list[Any]:
    return as_list(res.get("origins"))


def _is_s3_origin(origin: Any) -> bool:
    domain = text(dig(origin, "domainName"))
    return dig(origin, "customOriginConfig") is None and (".s3." in domain or domain.endswith(".s3.amazonaws.com")
                                                         or dig(origin, "s3OriginConfig") is not None
                                                         or bool(dig(origin, "originAccessControlId")))


def _custom_cert(res: Res) -> bool:
    cert = res.get("viewerCertificate")
    return bool(text(dig(cert, "acmCertificateArn")) or text(dig(cert, "iamCertificateId")))


@resource_rule(
    "cloudfront-default-root-object",
    types=(DISTRIBUTION,),
    controls=("CloudFront.1",),
    severity="high",
    tsc=("CC6.1",),
    description="Distributions with an S3 origin set a default root object.",
    remediation="Set default_root_object=\"index.html\".",
)
def _cf_root(res: Res) -> Iterator[str]:
    if any(_is_s3_origin(o) for o in _origins(res)) and not text(res.get("defaultRootObject")):
        yield "no default_root_object"


@resource_rule(
    "cloudfront-viewer-https",
    types=(DISTRIBUTION,),
    controls=("CloudFront.3",),
    severity="medium",
    tsc=("CC6.7",),
    description="Every cache behavior redirects viewers to HTTPS or requires it.",
    remediation="Set viewer_protocol_policy=\"redirect-to-https\" on the default and every ordered behavior.",
)
def _cf_https(res: Res) -> Iterator[str]:
    behaviors = [("default", res.get("defaultCacheBehavior"))] + [
        (text(dig(b, "pathPattern")) or "ordered", b) for b in as_list(res.get("orderedCacheBehaviors"))
    ]
    for label, behavior in behaviors:
        if text(dig(behavior, "viewerProtocolPolicy")) not in ("redirect-to-https", "https-only"):
            yield f"behavior {label} allows plain HTTP"


@resource_rule(
    "cloudfront-origin-failover",
    types=(DISTRIBUTION,),
    controls=("CloudFront.4",),
    severity="low",
    tsc=("A1.2",),
    enforcement=ADVISORY,
    description="Distributions have an origin group for failover (advisory: needs a replica origin).",
    remediation="Add origin_groups with two members and target the group from the behaviors.",
)
def _cf_failover(res: Res) -> Iterator[str]:
    groups = as_list(res.get("originGroups"))
    if not groups:
        yield "no origin group"
    for group in groups:
        name = text(dig(group, "originId"))
        if len(as_list(dig(group, "members"))) < 2:
            yield f"origin group {name} has fewer than two members"
        if not as_list(dig(group, "failoverCriteria", "statusCodes")):
            yield f"origin group {name} has no failover status codes"


@stack_rule(
    "cloudfront-access-logging",
    types=(DISTRIBUTION,),
    controls=("CloudFront.5",),
    severity="medium",
    tsc=("CC7.2",),
    description="Distributions log viewer requests: legacy standard logging, or v2 log delivery, an ACCESS_LOGS "
    "delivery source with a delivery to a destination (Security Hub counts only the legacy kind; see "
    "docs/compliance.md).",
    remediation="Set logging_config, or add cloudwatch.LogDeliverySource(resource_arn=distribution.arn, "
    "log_type=\"ACCESS_LOGS\") with a LogDelivery.",
)
def _cf_logging(stack: StackView) -> Findings:
    for dist in stack.of(DISTRIBUTION):
        if text(dig(dist.get("loggingConfig"), "bucket")):
            continue
        sources = [s for s in stack.referrers(dist, (LOG_DELIVERY_SOURCE,), "resourceArn")
                   if text(s.get("logType")) == "ACCESS_LOGS"]
        if not sources:
            yield dist, "no access logging"
            continue
        # a delivery source alone sends nothing: a LogDelivery must connect it to a destination
        delivered = [d for source in sources for d in stack.referrers(source, (LOG_DELIVERY,), "deliverySourceName")
                     if stack.ref(d, "deliveryDestinationArn", (LOG_DELIVERY_DESTINATION,)) is not None]
        if not delivered:
            yield dist, "the access-log delivery source has no LogDelivery to a destination (logs go nowhere)"


@stack_rule(
    "cloudfront-waf",
    types=(DISTRIBUTION,),
    controls=("CloudFront.6",),
    severity="medium",
    tsc=("CC6.6", "CC7.1"),
    description="Every distribution is associated with a CLOUDFRONT-scope WAFv2 web ACL.",
    remediation="Set web_acl_id=<wafv2 WebAcl ARN> (scope CLOUDFRONT, region us-east-1).",
)
def _cf_waf(stack: StackView) -> Findings:
    for dist in stack.of(DISTRIBUTION):
        acl = stack.ref(dist, "webAclId", (WEB_ACL,))
        if acl is None:
            try:
                declared = text(dist.get("webAclId"))
            except UnknownValueError:  # preview: an unknown id still names a WAF
                declared = "unknown"
            if not declared:
                yield dist, "no web_acl_id"
        elif text(acl.get("scope")) != "CLOUDFRONT":
            yield dist, f"web ACL {acl.name} has scope {acl.get('scope')!r}, not CLOUDFRONT"


@resource_rule(
    "cloudfront-custom-certificate",
    types=(DISTRIBUTION,),
    controls=("CloudFront.7",),
    severity="medium",
    tsc=("CC6.7",),
    description="Distributions serve a custom ACM certificate (requires a custom domain).",
    remediation="Set vitality:frontend.domain (and hostedZoneId) so the frontend issues an ACM certificate in us-east-1.",
)
def _cf_cert(res: Res) -> Iterator[str]:
    if not _custom_cert(res) or truthy(dig(res.get("viewerCertificate"), "cloudfrontDefaultCertificate")):
        yield "uses the default *.cloudfront.net certificate"


@resource_rule(
    "cloudfront-sni",
    types=(DISTRIBUTION,),
    controls=("CloudFront.8",),
    severity="low",
    tsc=("CC6.7",),
    description="Distributions with a custom certificate serve it with SNI (not dedicated IPs).",
    remediation="Set viewer_certificate.ssl_support_method=\"sni-only\" (needs a custom domain).",
)
def _cf_sni(res: Res) -> Iterator[str]:
    if text(dig(res.get("viewerCertificate"), "sslSupportMethod")) != "sni-only":
        yield "ssl_support_method is not sni-only"


@resource_rule(
    "cloudfront-origin-https",
    types=(DISTRIBUTION,),
    controls=("CloudFront.9", "CloudFront.10"),
    severity="medium",
    tsc=("CC6.7",),
    description="Custom origins are reached over HTTPS with TLSv1.2 only.",
    remediation="Set custom_origin_config.origin_protocol_policy=\"https-only\" and origin_ssl_protocols=[\"TLSv1.2\"].",
)
def _cf_origin_tls(res: Res) -> Iterator[str]:
    for origin in _origins(res):
        config = dig(origin, "customOriginConfig")
        if config is None:
            continue
        origin_id = text(dig(origin, "originId"))
        if text(dig(config, "originProtocolPolicy")) != "https-only":
            yield f"origin {origin_id} protocol policy {dig(config, 'originProtocolPolicy')!r}"
        weak = [p for p in as_list(dig(config, "originSslProtocols")) if p != "TLSv1.2"]
        if weak or not as_list(dig(config, "originSslProtocols")):
            yield f"origin {origin_id} allows {weak or 'unspecified protocols'}"


@resource_rule(
    "cloudfront-vpc-origin-https",
    types=(VPC_ORIGIN,),
    controls=("CloudFront.9",),
    severity="medium",
    tsc=("CC6.7",),
    description="CloudFront VPC origins reach their load balancer over HTTPS with TLSv1.2 only (CloudFront.9's "
    "origin encryption; a VPC origin carries its protocol itself, not the distribution).",
    remediation="Set api.domain and api.hostedZoneId: the listener gets a certificate for that name and the VPC origin "
    "origin_protocol_policy=\"https-only\" with origin_ssl_protocols [\"TLSv1.2\"].",
)
def _vpc_origin_tls(res: Res) -> Iterator[str]:
    config = res.get("vpcOriginEndpointConfig")
    if text(dig(config, "originProtocolPolicy")) != "https-only":
        yield f"origin protocol policy {dig(config, 'originProtocolPolicy')!r}"
    protocols = as_list(dig(config, "originSslProtocols", "items"))
    if not protocols or any(p != "TLSv1.2" for p in protocols):
        yield f"origin TLS protocols {protocols or 'unspecified'}"


@stack_rule(
    "cloudfront-s3-origin-exists",
    types=(DISTRIBUTION,),
    controls=("CloudFront.12",),
    severity="high",
    tsc=("CC6.1",),
    description="S3 origins point at buckets this program manages (no dangling origins a third party could claim).",
    remediation="Use bucket.bucket_regional_domain_name of a bucket in the stack as the origin domain.",
)
def _cf_s3_exists(stack: StackView) -> Findings:
    domains: set[str] = set()
    for bucket in stack.of(*BUCKETS):
        for key in ("bucketRegionalDomainName", "bucketDomainName"):
            if text(bucket.get(key)):
                domains.add(text(bucket.get(key)))
    for dist in stack.of(DISTRIBUTION):
        for origin in _origins(dist):
            domain = text(dig(origin, "domainName"))
            if _is_s3_origin(origin) and domain not in domains:
                yield dist, f"S3 origin {domain or '?'} is not a bucket of this stack"


@resource_rule(
    "cloudfront-origin-access-control",
    types=(DISTRIBUTION,),
    controls=("CloudFront.13",),
    severity="medium",
    tsc=("CC6.1",),
    description="S3 origins use origin access control (not OAI, not public buckets).",
    remediation="Set origin_access_control_id=oac.id and leave s3_origin_config.origin_access_identity empty.",
)
def _cf_oac(res: Res) -> Iterator[str]:
    for origin in _origins(res):
        if not _is_s3_origin(origin):
            continue
        if not text(dig(origin, "originAccessControlId")):
            yield f"S3 origin {text(dig(origin, 'originId'))} has no origin access control"
        if text(dig(origin, "s3OriginConfig", "originAccessIdentity")):
            yield f"S3 origin {text(dig(origin, 'originId'))} uses a legacy origin access identity"


@resource_rule(
    "cloudfront-oac-signs-requests",
    types=(OAC,),
    controls=("CloudFront.13",),
    severity="medium",
    tsc=("CC6.1",),
    description="Origin access controls for S3 always sign requests with SigV4.",
    remediation="Set origin_access_control_origin_type=\"s3\", signing_behavior=\"always\", signing_protocol=\"sigv4\".",
)
def _oac(res: Res) -> Iterator[str]:
    if text(res.get("signingBehavior")) != "always":
        yield f"signing_behavior is {res.get('signingBehavior')!r}"
    if text(res.get("signingProtocol")) != "sigv4":
        yield f"signing_protocol is {res.get('signingProtocol')!r}"


@resource_rule(
    "cloudfront-viewer-tls-policy",
    types=(DISTRIBUTION,),
    controls=("CloudFront.15",),
    severity="medium",
    tsc=("CC6.7",),
    description="Distributions with a custom certificate require TLSv1.2_2021 or newer (provider default: TLSv1).",
    remediation="Set viewer_certificate.minimum_protocol_version=\"TLSv1.2_2021\" (or a 2025 policy).",
)
def _cf_tls(res: Res) -> Iterator[str]:
    if not _custom_cert(res):
        return
    version = text(dig(res.get("viewerCertificate"), "minimumProtocolVersion")) or "TLSv1"
    if version not in ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"):
        yield f"minimum_protocol_version is {version}"


@resource_rule(
    "waf-web-acl-has-rules",
    types=(WEB_ACL,),
    controls=("WAF.10",),
    severity="medium",
    tsc=("CC6.6",),
    description="Web ACLs contain at least one rule or rule group.",
    remediation="Add the AWS managed rule groups (common, known bad inputs, IP reputation) and a rate limit.",
)
def _waf_rules(res: Res) -> Iterator[str]:
    if not as_list(res.get("rules")) and not text(res.get("ruleJson")):
        yield "the web ACL has no rules"


@resource_rule(
    "waf-rule-metrics",
    types=(WEB_ACL,),
    controls=("WAF.12",),
    severity="medium",
    tsc=("CC7.2",),
    description="The web ACL and each of its rules publish CloudWatch metrics.",
    remediation="Set visibility_config.cloudwatch_metrics_enabled=True on the ACL and every rule.",
)
def _waf_metrics(res: Res) -> Iterator[str]:
    if not truthy(dig(res.get("visibilityConfig"), "cloudwatchMetricsEnabled")):
        yield "the web ACL has CloudWatch metrics off"
    for rule in as_list(res.get("rules")):
        if not truthy(dig(rule, "visibilityConfig", "cloudwatchMetricsEnabled")):
            yield f"rule {text(dig(rule, 'name'))} has CloudWatch metrics off"


@stack_rule(
    "waf-web-acl-logging",
    types=(WEB_ACL,),
    controls=("WAF.11",),
    severity="low",
    tsc=("CC7.2", "CC7.3"),
    description="Every web ACL logs to a destination named aws-waf-logs-*.",
    remediation="Add wafv2.WebAclLoggingConfiguration(resource_arn=acl.arn, log_destination_configs=[<aws-waf-logs-* "
    "log group ARN>]) in the ACL's region.",
)
def _waf_logging(stack: StackView) -> Findings:
    for acl in stack.of(WEB_ACL):
        configs = stack.referrers(acl, (WAF_LOGGING,), "resourceArn")
        if not configs:
            yield acl, "no logging configuration"
        for config in configs:
            for dest in stack.refs(config, "logDestinationConfigs", (LOG_GROUP,)):
                if not text(dest.get("name")).startswith("aws-waf-logs-"):
                    yield acl, f"log group {dest.name} is not named aws-waf-logs-*"
