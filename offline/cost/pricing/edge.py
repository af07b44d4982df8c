"""Edge pricing: CloudFront (transfer, requests, functions, extra metrics), WAF web ACLs and rules,
Route 53 hosted zones; free certificates and policies."""

from __future__ import annotations

import json

from ...engine import Resource
from ..model import Charge, Context, Pricer, flat


def _distribution(r: Resource, ctx: Context) -> list[Charge]:
    return [
        Charge("data transfer out (GB)", "cloudfront.data_out_gb", 0.0, ctx.usage["cdn_data_out_gb"]),
        Charge("HTTPS requests", "cloudfront.https_requests_10k", 0.0, ctx.usage["cdn_requests"]),
    ]


def _cloudfront_function(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("invocations (one per viewer request)", "cloudfront.function_million", 0.0, ctx.usage["cdn_requests"])]


def _monitoring_subscription(r: Resource, ctx: Context) -> list[Charge]:
    return [flat("8 additional distribution metrics", "cloudwatch.metric_month", 8)]


def _web_acl(r: Resource, ctx: Context) -> list[Charge]:
    rules = r.inputs.get("rules") or []
    requests = ctx.usage["cdn_requests"] if r.inputs.get("scope") == "CLOUDFRONT" else ctx.usage["api_requests"]
    charges = [
        flat("web ACL", "waf.web_acl_month", 1),
        flat(f"{len(rules)} rules / rule groups", "waf.rule_month", len(rules)),
        Charge(f"requests inspected ({'viewer' if r.inputs.get('scope') == 'CLOUDFRONT' else 'API'} requests)", "waf.requests_million", 0.0, requests),
    ]
    if "AWSManagedRulesBotControlRuleSet" in json.dumps(rules):
        charges.append(flat("Bot Control subscription", "waf.bot_control_month", 1))
    return charges


def _waf_rule(r: Resource, ctx: Context) -> list[Charge]:
    return [flat("rule / rule group", "waf.rule_month", 1)]


def _hosted_zone(r: Resource, ctx: Context) -> list[Charge]:
    return [flat("hosted zone", "route53.hosted_zone_month", 1), Charge("standard queries", "route53.queries_million", 0.0, ctx.usage["route53_queries"])]


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:cloudfront/function:Function": _cloudfront_function,
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": _monitoring_subscription,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclRule:WebAclRule": _waf_rule,
    "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation": _waf_rule,
    "aws:route53/zone:Zone": _hosted_zone,
}

# Types with no charge of their own, and why.
FREE: dict[str, str] = {
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "no charge for validation",
    "aws:route53/record:Record": "records are free; alias queries to CloudFront are free (the zone bills other queries)",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "no charge for origin access control",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "no charge for policies",
    "aws:cloudfront/cachePolicy:CachePolicy": "no charge for policies",
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": "no charge for policies",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "billed on the web ACL",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "billed as log ingestion on the WAF log group",
    "aws:wafv2/ipSet:IpSet": "IP sets are free (the rule that references one is billed)",
    "aws:wafv2/regexPatternSet:RegexPatternSet": "pattern sets are free (the rule that references one is billed)",
}
