"""Violating variants: CloudFront distribution (origins included: they travel as a secret), OAC, WAF."""

from __future__ import annotations

from typing import Any

from policy.rules.shared import DISTRIBUTION, LOG_DELIVERY, LOG_GROUP, OAC, VPC_ORIGIN, WAF_LOGGING, WEB_ACL

from .core import APPRUNNER, Mutant, items, variant

LOG_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
BOTH = ("dev", "prod")
CUSTOM_CERT = {"acmCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/c", "sslSupportMethod": "sni-only",
               "minimumProtocolVersion": "TLSv1.2_2021", "cloudfrontDefaultCertificate": False}


def _cdn(m: Mutant) -> Any:
    return m.get(DISTRIBUTION)


def _origin(origin_id: str, change: Any) -> Any:
    def edit(props: dict[str, Any]) -> None:
        change(next(o for o in items(props, "origins") if o["originId"] == origin_id))

    return edit


@variant("cloudfront-default-root-object", "default root object removed", "removed", BOTH)
def _root(m: Mutant) -> str:
    return m.drop(_cdn(m), "defaultRootObject")


@variant("cloudfront-viewer-https", "/api/* behaviour allows plain HTTP", "partial", BOTH)
def _viewer_ordered(m: Mutant) -> str:
    return m.edit(_cdn(m), lambda p: p["orderedCacheBehaviors"][0].update(viewerProtocolPolicy="allow-all"))


@variant("cloudfront-viewer-https", "default behaviour allows plain HTTP", "value")
def _viewer_default(m: Mutant) -> str:
    return m.set(_cdn(m), "defaultCacheBehavior.viewerProtocolPolicy", "allow-all")


@variant("cloudfront-origin-failover", "origin group with a single member", "partial", BOTH)
def _failover_single(m: Mutant) -> str:
    return m.set(_cdn(m), "originGroups", [{"originId": "group", "members": [{"originId": "site"}],
                                             "failoverCriteria": {"statusCodes": [500, 502, 503, 504]}}])


@variant("cloudfront-origin-failover", "origin group without failover criteria", "removed")
def _failover_criteria(m: Mutant) -> str:
    return m.set(_cdn(m), "originGroups", [{"originId": "group",
                                             "members": [{"originId": "site"}, {"originId": "api"}]}])


LOGGING = "cloudfront-access-logging"


@variant(LOGGING, "log delivery source without a delivery (logs go nowhere)", "removed", BOTH)
def _delivery_removed(m: Mutant) -> str:
    m.remove(m.get(LOG_DELIVERY))
    return _cdn(m).name


@variant(LOGGING, "log delivery source removed", "removed")
def _source_removed(m: Mutant) -> str:
    m.remove(m.get(LOG_SOURCE))
    return _cdn(m).name


@variant(LOGGING, "delivery source for another log type", "value")
def _source_wrong_type(m: Mutant) -> str:
    m.set(m.get(LOG_SOURCE), "logType", "CONNECTION_LOGS")
    return _cdn(m).name


@variant("cloudfront-waf", "web ACL association removed", "removed", BOTH)
def _waf_removed(m: Mutant) -> str:
    return m.drop(_cdn(m), "webAclId")


@variant("cloudfront-waf", "associated with the regional API web ACL", "sibling")
def _waf_regional(m: Mutant) -> str:
    return m.set(_cdn(m), "webAclId", m.get(WEB_ACL, "api-waf").outputs["arn"])


@variant("cloudfront-custom-certificate", "certificate flag flipped without a certificate", "value", BOTH)
def _cert_flag(m: Mutant) -> str:
    return m.set(_cdn(m), "viewerCertificate.cloudfrontDefaultCertificate", False)


@variant("cloudfront-custom-certificate", "viewer certificate removed", "removed")
def _cert_removed(m: Mutant) -> str:
    return m.drop(_cdn(m), "viewerCertificate")


@variant("cloudfront-sni", "custom certificate on dedicated IPs", "value", BOTH)
def _sni_vip(m: Mutant) -> str:
    return m.set(_cdn(m), "viewerCertificate", {**CUSTOM_CERT, "sslSupportMethod": "vip"})


ORIGIN_TLS = "cloudfront-origin-https"


@variant(ORIGIN_TLS, "API origin over plain HTTP", "value", BOTH, topology=APPRUNNER)
def _origin_http(m: Mutant) -> str:
    return m.edit(_cdn(m), _origin("api", lambda o: o["customOriginConfig"].update(originProtocolPolicy="http-only")))


@variant(ORIGIN_TLS, "API origin also allows TLSv1.1", "partial", BOTH, topology=APPRUNNER)
def _origin_tls11(m: Mutant) -> str:
    return m.edit(_cdn(m), _origin("api", lambda o: o["customOriginConfig"].update(
        originSslProtocols=["TLSv1.1", "TLSv1.2"])))


@variant(ORIGIN_TLS, "API origin matches the viewer protocol", "value", topology=APPRUNNER)
def _origin_match(m: Mutant) -> str:
    return m.edit(_cdn(m), _origin("api", lambda o: o["customOriginConfig"].update(
        originProtocolPolicy="match-viewer")))


@variant("cloudfront-s3-origin-exists", "S3 origin of a bucket outside the stack", "value", BOTH)
def _dangling(m: Mutant) -> str:
    return m.edit(_cdn(m), _origin("site", lambda o: o.update(domainName="squatted.s3.us-west-2.amazonaws.com")))


@variant("cloudfront-origin-access-control", "S3 origin without OAC", "removed", BOTH)
def _oac_removed(m: Mutant) -> str:
    return m.edit(_cdn(m), _origin("site", lambda o: o.pop("originAccessControlId")))


@variant("cloudfront-origin-access-control", "legacy origin access identity", "sibling")
def _oai(m: Mutant) -> str:
    return m.edit(_cdn(m), _origin("site", lambda o: o.update(
        s3OriginConfig={"originAccessIdentity": "origin-access-identity/cloudfront/E1"})))


@variant("cloudfront-oac-signs-requests", "OAC never signs", "value", BOTH)
def _oac_never(m: Mutant) -> str:
    return m.set(m.get(OAC), "signingBehavior", "never")


@variant("cloudfront-oac-signs-requests", "OAC passes client signatures through", "value")
def _oac_no_override(m: Mutant) -> str:
    return m.set(m.get(OAC), "signingBehavior", "no-override")


@variant("cloudfront-viewer-tls-policy", "custom certificate with TLSv1", "value", BOTH)
def _viewer_tls1(m: Mutant) -> str:
    return m.set(_cdn(m), "viewerCertificate", {**CUSTOM_CERT, "minimumProtocolVersion": "TLSv1"})


@variant("cloudfront-viewer-tls-policy", "custom certificate with the provider default policy", "removed")
def _viewer_tls_default(m: Mutant) -> str:
    cert = {k: v for k, v in CUSTOM_CERT.items() if k != "minimumProtocolVersion"}
    return m.set(_cdn(m), "viewerCertificate", cert)


@variant("waf-web-acl-has-rules", "web ACL without rules", "removed", BOTH)
def _acl_empty(m: Mutant) -> str:
    return m.set(m.get(WEB_ACL, "web-waf"), "rules", [])


@variant("waf-rule-metrics", "a rule without CloudWatch metrics", "partial", BOTH)
def _rule_metrics(m: Mutant) -> str:
    return m.edit(m.get(WEB_ACL, "api-waf"), lambda p: p["rules"][1]["visibilityConfig"].update(
        cloudwatchMetricsEnabled=False))


@variant("waf-rule-metrics", "the web ACL without CloudWatch metrics", "value")
def _acl_metrics(m: Mutant) -> str:
    return m.set(m.get(WEB_ACL, "web-waf"), "visibilityConfig.cloudwatchMetricsEnabled", False)


@variant("waf-web-acl-logging", "logging configuration removed", "removed", BOTH)
def _waf_logging_removed(m: Mutant) -> str:
    m.remove(m.get(WAF_LOGGING, "web-waf-logging"))
    return m.get(WEB_ACL, "web-waf").name


@variant("waf-web-acl-logging", "log group not named aws-waf-logs-*", "value")
def _waf_log_name(m: Mutant) -> str:
    m.set(m.get(LOG_GROUP, "api-waf-logs"), "name", "waf-logs-api")
    return m.get(WEB_ACL, "api-waf").name




@variant("cloudfront-vpc-origin-https", "VPC origin allows TLSv1.1", "partial", BOTH)
def _vpc_origin_tls11(m: Mutant) -> str:
    return m.set(m.get(VPC_ORIGIN, "api-vpc-origin"), "vpcOriginEndpointConfig.originSslProtocols",
                 {"items": ["TLSv1.1", "TLSv1.2"], "quantity": 2})


@variant("cloudfront-vpc-origin-https", "VPC origin matches the viewer protocol", "value")
def _vpc_origin_match(m: Mutant) -> str:
    return m.set(m.get(VPC_ORIGIN, "api-vpc-origin"), "vpcOriginEndpointConfig.originProtocolPolicy", "match-viewer")
