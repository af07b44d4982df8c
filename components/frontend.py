"""Frontend: the web application from a private S3 bucket through CloudFront, WAF at the edge, the API behind /api/*.

| piece | where | why |
|---|---|---|
| site bucket | stack region | private (BPA x4, no ACLs), SSE-KMS with a dedicated key only this distribution may use to decrypt, versioned, read only through OAC by this distribution |
| log bucket | stack region | S3 server access logs of the site bucket and CloudFront access logs (v2 log delivery); SSE-S3 because S3 server access logging cannot write to an SSE-KMS bucket |
| distribution | global | OAC to S3, `/api/*` to the API (ecs: its CloudFront VPC origin; apprunner: TLS 1.2) with the origin-verify secret, SPA routing by a viewer-request function, security headers, WAF |
| web ACL, IP sets, WAF log group, certificate | us-east-1 | CloudFront only accepts CLOUDFRONT-scope WAF and ACM certificates from us-east-1 |
| v2 access-log delivery | us-east-1 | CloudFront's log delivery source lives in us-east-1; the destination is the log bucket |

The cycles OAC creates (the distribution needs the bucket; the bucket policy and the key policy need the
distribution's ARN) are broken by creating both policies after the distribution, in this component.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_aws.wafv2 as waf

from .common import (
    EDGE_REGION,
    ApiOrigin,
    BucketEncryption,
    FrontendTargets,
    HardenedBucket,
    LifecycleRule,
    StackContext,
    Statement,
    account_administration,
    child,
    dns_validated_certificate,
    hardened_bucket,
    kms_key,
    policy_json,
    waf_logging,
)
from .encryption import KeyRef
from .settings import FrontendSettings

COMPONENT = "frontend"

# AWS managed CloudFront policies, by their documented, account-independent ids (a lookup would need AWS).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

SITE_ORIGIN_ID = "site"
API_ORIGIN_ID = "api"
API_PATH = "/api/*"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
RUM_CLIENT_SOURCE = "https://client.rum.us-east-1.amazonaws.com"  # where the CloudWatch RUM web client is served

S3_ACCESS_LOG_PREFIX = "s3/site/"
CLOUDFRONT_LOG_PREFIX = "cloudfront"

# Fixed WAF priorities, so that turning an optional rule on or off never renumbers the others.
PRIORITY = {
    "blocked-ips": 10,
    "allowed-ips-only": 20,
    "geo-block": 30,
    "ip-reputation": 40,
    "rate-limit": 50,
    "common-rules": 60,
    "known-bad-inputs": 70,
}
MANAGED_RULES = (
    ("ip-reputation", "AWSManagedRulesAmazonIpReputationList"),
    ("common-rules", "AWSManagedRulesCommonRuleSet"),
    ("known-bad-inputs", "AWSManagedRulesKnownBadInputsRuleSet"),
)

# Unknown client-side routes (no file extension) get the SPA shell. Only the default behavior runs it, so
# /api/* responses, errors included, reach the browser unchanged, and a missing asset stays an error.
SPA_REWRITE = """\
function handler(event) {
    var request = event.request;
    var last = request.uri.split('/').pop();
    if (last === '' || last.indexOf('.') === -1) {
        request.uri = '/index.html';
    }
    return request;
}
"""


@dataclass(frozen=True)
class FrontendArgs:
    ctx: StackContext
    settings: FrontendSettings
    api: ApiOrigin
    edge_logs_key: KeyRef  # us-east-1 key for the WAF log group
    log_retention_days: int  # WAF log group and the log bucket's expiry


class Frontend(pulumi.ComponentResource):
    targets: FrontendTargets
    url: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    site_bucket_name: pulumi.Output[str]
    log_bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: FrontendArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Frontend", name, None, opts)
        ctx, s = args.ctx, args.settings
        self._ctx, self._name = ctx, name

        logs = hardened_bucket(
            f"{name}-logs",
            ctx,
            COMPONENT,
            self,
            encryption=BucketEncryption(
                sse_s3_reason="S3 server access logging only delivers to buckets whose default encryption is SSE-S3"
            ),
            lifecycle=[LifecycleRule("expire-logs", expire_days=args.log_retention_days, noncurrent_expire_days=30)],
            defer_policy=True,
        )
        # the policy names the distribution, which needs the bucket: aws.kms.KeyPolicy sets it below
        site_key = kms_key(f"{name}-site-key", ctx, COMPONENT, self, domain="frontend",
                           description="site bucket objects, decryptable by this distribution only",
                           alias=f"alias/{ctx.name_prefix}-frontend-site", statements=None)
        site = hardened_bucket(
            f"{name}-site",
            ctx,
            COMPONENT,
            self,
            encryption=BucketEncryption(kms_key_arn=site_key.arn),
            lifecycle=[LifecycleRule("old-versions", noncurrent_expire_days=30)],
            access_log_bucket=logs.name,
            access_log_prefix=S3_ACCESS_LOG_PREFIX,
            defer_policy=True,
        )

        acl, acl_metric, waf_log_group = self._web_acl(s, args)
        # settings require frontend.hostedZoneId whenever frontend.domain is set
        certificate_arn = self._certificate(s.domain, s.hosted_zone_id) if s.domain and s.hosted_zone_id else None

        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            description=f"{ctx.name_prefix} site bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child(self),
        )
        spa = aws.cloudfront.Function(
            f"{name}-spa",
            runtime="cloudfront-js-2.0",
            comment="Serve index.html for client-side routes",
            code=SPA_REWRITE,
            publish=True,
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        headers = self._response_headers()
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment=f"{ctx.name_prefix} web frontend",
            default_root_object="index.html",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=s.price_class,
            aliases=[s.domain] if s.domain else None,
            web_acl_id=acl.arn,
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=SITE_ORIGIN_ID,
                    domain_name=site.bucket.bucket_regional_domain_name,
                    origin_access_control_id=oac.id,
                ),
                _api_origin(args.api),
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=SITE_ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=CACHING_OPTIMIZED,
                response_headers_policy_id=headers.id,
                function_associations=[
                    aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs(
                        event_type="viewer-request", function_arn=spa.arn
                    )
                ],
            ),
            ordered_cache_behaviors=[
                aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                    path_pattern=API_PATH,
                    target_origin_id=API_ORIGIN_ID,
                    viewer_protocol_policy="redirect-to-https",
                    allowed_methods=ALL_METHODS,
                    cached_methods=["GET", "HEAD"],
                    compress=True,
                    cache_policy_id=CACHING_DISABLED,
                    origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy_id=headers.id,
                )
            ],
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                # country blocking is done by WAF (geoBlockCountries), where it is logged and measured
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none", locations=[])
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version=s.minimum_protocol_version,
            )
            if certificate_arn is not None
            # documented exception (docs/frontend.md): *.cloudfront.net, CloudFront's own certificate and TLS policy
            else aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
            tags=ctx.tags(COMPONENT),
            opts=child(self, depends_on=list(site.ready)),
        )

        site.attach_policy([self._oac_read(site.arn, distribution.arn)])
        aws.kms.KeyPolicy(
            f"{name}-site-key-policy",
            key_id=site_key.key_id,
            bypass_policy_lockout_safety_check=False,
            policy=policy_json(_site_key_statements(ctx, distribution.arn)),
            opts=child(site_key),
        )
        self._access_logs(logs, site, distribution)

        if s.domain:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-alias-{record_type.lower()}",
                    zone_id=s.hosted_zone_id,
                    name=s.domain,
                    type=record_type,
                    aliases=[
                        aws.route53.RecordAliasArgs(
                            name=distribution.domain_name,
                            zone_id=distribution.hosted_zone_id,
                            evaluate_target_health=False,
                        )
                    ],
                    opts=child(self),
                )

        site_domain = pulumi.Output.from_input(s.domain) if s.domain else distribution.domain_name
        self.url = pulumi.Output.concat("https://", site_domain)
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.web_acl_arn = acl.arn
        self.site_bucket_name = site.name
        self.log_bucket_name = logs.name
        self.targets = FrontendTargets(
            distribution_id=distribution.id,
            distribution_domain=distribution.domain_name,
            site_domain=site_domain,
            url=self.url,
            web_acl_name=acl.name,
            web_acl_metric_name=acl_metric,
            waf_log_group_name=waf_log_group.name,
        )
        self.register_outputs(
            {
                "url": self.url,
                "distributionId": self.distribution_id,
                "webAclArn": self.web_acl_arn,
                "siteBucketName": self.site_bucket_name,
                "logBucketName": self.log_bucket_name,
            }
        )

    # ----------------------------------------------------------------------------------------------
    # Bucket policies and access logs
    # ----------------------------------------------------------------------------------------------

    def _oac_read(self, bucket_arn: pulumi.Output[str], distribution_arn: pulumi.Output[str]) -> Statement:
        """S3.2/S3.3: the only read grant is CloudFront acting for this one distribution (OAC)."""
        return {
            "Sid": "CloudFrontOacRead",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": pulumi.Output.concat(bucket_arn, "/*"),
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        }

    def _access_logs(self, logs: HardenedBucket, site: HardenedBucket, distribution: aws.cloudfront.Distribution) -> None:
        """S3 server access logs of the site bucket and CloudFront v2 access logs, both into the log bucket.

        CloudFront's legacy logging (`logging_config`) writes through bucket ACLs, which S3.12 (BucketOwnerEnforced)
        forbids; v2 log delivery (CloudWatch Logs vended logs) writes through the bucket policy instead."""
        ctx, name = self._ctx, self._name
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-cdn-logs",
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            region=EDGE_REGION,
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        logs.attach_policy(
            [
                {
                    "Sid": "S3ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(logs.arn, f"/{S3_ACCESS_LOG_PREFIX}*"),
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": ctx.account_id},
                        "ArnLike": {"aws:SourceArn": site.arn},
                    },
                },
                {
                    "Sid": "CloudFrontLogDeliveryWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(logs.arn, f"/{CLOUDFRONT_LOG_PREFIX}/*"),
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": ctx.account_id, "s3:x-amz-acl": "bucket-owner-full-control"},
                        "ArnLike": {"aws:SourceArn": source.arn},
                    },
                },
                {
                    "Sid": "CloudFrontLogDeliveryAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                    "Resource": logs.arn,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": ctx.account_id},
                        "ArnLike": {"aws:SourceArn": source.arn},
                    },
                },
            ]
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-cdn-logs",
            delivery_destination_type="S3",
            output_format="parquet",
            delivery_destination_configuration=aws.cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
                destination_resource_arn=pulumi.Output.concat(logs.arn, f"/{CLOUDFRONT_LOG_PREFIX}")
            ),
            region=EDGE_REGION,
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-cdn-logs",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            s3_delivery_configurations=[
                aws.cloudwatch.LogDeliveryS3DeliveryConfigurationArgs(
                    suffix_path="{DistributionId}/{yyyy}/{MM}/{dd}/{HH}", enable_hive_compatible_path=False
                )
            ],
            region=EDGE_REGION,
            tags=ctx.tags(COMPONENT),
            opts=child(self, depends_on=list(logs.ready)),
        )

    # ----------------------------------------------------------------------------------------------
    # Viewer TLS and response headers
    # ----------------------------------------------------------------------------------------------

    def _certificate(self, domain: str, zone_id: str) -> pulumi.Output[str]:
        """A DNS-validated us-east-1 certificate for the custom domain; its ARN once validation completed."""
        return dns_validated_certificate(
            self._name,
            domain=domain,
            zone_id=zone_id,
            tags=self._ctx.tags(COMPONENT, name=domain),
            parent=self,
            region=EDGE_REGION,
        )

    def _response_headers(self) -> aws.cloudfront.ResponseHeadersPolicy:
        ctx = self._ctx
        region = ctx.region
        connect = " ".join(
            [
                "'self'",
                f"https://dataplane.rum.{region}.amazonaws.com",
                # the RUM client's enhanced Cognito flow never calls STS
                f"https://cognito-identity.{region}.amazonaws.com",
            ]
        )
        csp = "; ".join(
            [
                "default-src 'self'",
                f"script-src 'self' {RUM_CLIENT_SOURCE}",
                f"connect-src {connect}",
                "img-src 'self' data:",
                "style-src 'self'",
                "font-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
                "upgrade-insecure-requests",
            ]
        )
        sec = aws.cloudfront
        return aws.cloudfront.ResponseHeadersPolicy(
            f"{self._name}-headers",
            comment=f"{ctx.name_prefix} security headers",
            security_headers_config=sec.ResponseHeadersPolicySecurityHeadersConfigArgs(
                strict_transport_security=sec.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=63072000, include_subdomains=True, preload=False, override=True
                ),
                content_type_options=sec.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(override=True),
                frame_options=sec.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True
                ),
                referrer_policy=sec.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
                content_security_policy=sec.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                    content_security_policy=csp, override=True
                ),
            ),
            opts=child(self),
        )

    # ----------------------------------------------------------------------------------------------
    # WAF
    # ----------------------------------------------------------------------------------------------

    def _web_acl(self, s: FrontendSettings, args: FrontendArgs) -> tuple[waf.WebAcl, str, aws.cloudwatch.LogGroup]:
        ctx, name = self._ctx, self._name
        metric_prefix = f"{ctx.name_prefix}-frontend"
        rules: list[waf.WebAclRuleArgs] = []

        def visibility(rule: str) -> waf.WebAclRuleVisibilityConfigArgs:
            return waf.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, sampled_requests_enabled=True, metric_name=f"{metric_prefix}-{rule}"
            )

        def block(rule: str, statement: waf.WebAclRuleStatementArgs) -> waf.WebAclRuleArgs:
            return waf.WebAclRuleArgs(
                name=rule,
                priority=PRIORITY[rule],
                action=waf.WebAclRuleActionArgs(block=waf.WebAclRuleActionBlockArgs()),
                statement=statement,
                visibility_config=visibility(rule),
            )

        if s.blocked_ip_cidrs:
            rules.append(block("blocked-ips", self._ip_sets_match("blocked", s.blocked_ip_cidrs)))
        if s.allowed_ip_cidrs:
            rules.append(
                block(
                    "allowed-ips-only",
                    waf.WebAclRuleStatementArgs(
                        not_statement=waf.WebAclRuleStatementNotStatementArgs(
                            statement=self._ip_sets_match("allowed", s.allowed_ip_cidrs)
                        )
                    ),
                )
            )
        if s.geo_block_countries:
            rules.append(
                block(
                    "geo-block",
                    waf.WebAclRuleStatementArgs(
                        geo_match_statement=waf.WebAclRuleStatementGeoMatchStatementArgs(
                            country_codes=list(s.geo_block_countries)
                        )
                    ),
                )
            )
        rules.append(
            block(
                "rate-limit",
                waf.WebAclRuleStatementArgs(
                    rate_based_statement=waf.WebAclRuleStatementRateBasedStatementArgs(
                        limit=s.waf_rate_limit, aggregate_key_type="IP", evaluation_window_sec=s.waf_rate_window_seconds
                    )
                ),
            )
        )
        for rule, group in MANAGED_RULES:
            overrides = s.waf_rule_overrides.get(group, {})
            rules.append(
                waf.WebAclRuleArgs(
                    name=rule,
                    priority=PRIORITY[rule],
                    override_action=waf.WebAclRuleOverrideActionArgs(none=waf.WebAclRuleOverrideActionNoneArgs()),
                    statement=waf.WebAclRuleStatementArgs(
                        managed_rule_group_statement=waf.WebAclRuleStatementManagedRuleGroupStatementArgs(
                            vendor_name="AWS",
                            name=group,
                            rule_action_overrides=[_override(rule_name, action) for rule_name, action in sorted(overrides.items())]
                            or None,
                        )
                    ),
                    visibility_config=visibility(rule),
                )
            )
        rules.sort(key=lambda r: r.priority)  # type: ignore[arg-type, return-value]

        acl = waf.WebAcl(
            f"{name}-waf",
            scope="CLOUDFRONT",
            region=EDGE_REGION,
            description=f"{ctx.name_prefix} web frontend - CloudFront",
            default_action=waf.WebAclDefaultActionArgs(allow=waf.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=waf.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, sampled_requests_enabled=True, metric_name=metric_prefix
            ),
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        # allowed requests are in the CloudFront access logs; WAF logs keep what WAF acted on
        logs = waf_logging(name, ctx, COMPONENT, self, acl=acl, suffix="frontend", kms_key_arn=args.edge_logs_key.arn,
                           retention_days=args.log_retention_days, keep_actions=["BLOCK", "COUNT"], region=EDGE_REGION)
        return acl, metric_prefix, logs

    def _ip_sets_match(self, purpose: str, cidrs: tuple[str, ...]) -> waf.WebAclRuleStatementArgs:
        """A statement matching any of the networks: one us-east-1 IP set per address family that occurs."""
        ctx, name = self._ctx, self._name
        by_family = {
            family: [c for c in cidrs if (":" in c) == (family == "IPV6")] for family in ("IPV4", "IPV6")
        }
        statements = [
            waf.WebAclRuleStatementArgs(
                ip_set_reference_statement=waf.WebAclRuleStatementIpSetReferenceStatementArgs(
                    arn=waf.IpSet(
                        f"{name}-{purpose}-{family.lower()}",
                        scope="CLOUDFRONT",
                        region=EDGE_REGION,
                        ip_address_version=family,
                        addresses=addresses,
                        description=f"{ctx.name_prefix} frontend {purpose} networks, {family}",
                        tags=ctx.tags(COMPONENT),
                        opts=child(self),
                    ).arn
                )
            )
            for family, addresses in by_family.items()
            if addresses
        ]
        if len(statements) == 1:
            return statements[0]
        return waf.WebAclRuleStatementArgs(or_statement=waf.WebAclRuleStatementOrStatementArgs(statements=statements))


def _api_origin(api: ApiOrigin) -> aws.cloudfront.DistributionOriginArgs:
    """The `/api/*` origin: the API's VPC origin (ecs: its protocol and TLS policy live on the VpcOrigin), or the
    public App Runner URL over TLS 1.2. Both carry the origin-verify header the API's web ACL requires."""
    header = [aws.cloudfront.DistributionOriginCustomHeaderArgs(name=api.verify_header_name, value=api.verify_header_value)]
    if api.vpc_origin_id is not None:
        return aws.cloudfront.DistributionOriginArgs(
            origin_id=API_ORIGIN_ID,
            domain_name=api.domain,
            vpc_origin_config=aws.cloudfront.DistributionOriginVpcOriginConfigArgs(
                vpc_origin_id=api.vpc_origin_id, origin_read_timeout=30, origin_keepalive_timeout=5
            ),
            custom_headers=header,
        )
    return aws.cloudfront.DistributionOriginArgs(
        origin_id=API_ORIGIN_ID,
        domain_name=api.domain,
        custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
            http_port=80,
            https_port=443,
            origin_protocol_policy="https-only",
            origin_ssl_protocols=["TLSv1.2"],
            origin_read_timeout=30,
            origin_keepalive_timeout=5,
        ),
        custom_headers=header,
    )


def _override(rule: str, action: str) -> waf.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs:
    prefix = "WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUse"
    action_args = getattr(waf, f"{prefix}{action.capitalize()}Args")()
    return waf.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
        name=rule, action_to_use=getattr(waf, f"{prefix}Args")(**{action: action_args})
    )


def _site_key_statements(ctx: StackContext, distribution_arn: pulumi.Output[str]) -> list[Statement]:
    return [
        # the account administers the key and grants publishers (aws s3 sync) use of it through IAM
        account_administration(ctx),
        {
            "Sid": "CloudFrontOacDecrypt",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        },
    ]
