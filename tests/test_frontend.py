"""Frontend: private S3 origin through OAC, CloudFront, WAF in us-east-1, /api/* to the API; both stacks, with and
without a custom domain."""

from __future__ import annotations

from typing import Any

import pytest

from offline import UNKNOWN, Capture, Resource
from tests.conftest import capture_for, policy, statements
from tests.frontend_harness import API_DOMAIN, VERIFY_SECRET, frontend_capture

DOMAIN = "app.vitality.example"
ZONE = "Z0123456789ABCDEFGHIJ"
CUSTOM_DOMAIN = {"vitality:frontend.domain": DOMAIN, "vitality:frontend.hostedZoneId": ZONE}
EDGE = "us-east-1"
SECRET_SIG = "4dabf18193072939515e22adb298388d"

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
BUCKET = "aws:s3/bucket:Bucket"


def plain(value: Any) -> Any:
    """Inputs with secrets unwrapped (the engine keeps Pulumi's secret envelope)."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@pytest.fixture(params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=["default-domain", "custom-domain"])
def variant(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fe(stack: str, variant: str) -> Capture:
    """The whole program (Frontend wired to the real Api)."""
    return capture_for(stack, overrides=CUSTOM_DOMAIN if variant == "custom-domain" else None)


@pytest.fixture
def component(stack: str, variant: str) -> Capture:
    """The Frontend alone, on a stand-in ApiOrigin."""
    return frontend_capture(stack, overrides=CUSTOM_DOMAIN if variant == "custom-domain" else None)


def frontend_resources(capture: Capture) -> list[Resource]:
    component = capture.one("vitality:platform:Frontend")
    return list(capture.descendants(component.urn))


def bucket(capture: Capture, suffix: str) -> Resource:
    return next(r for r in frontend_resources(capture) if r.type == BUCKET and r.name.endswith(suffix))


def of_bucket(capture: Capture, typ: str, b: Resource) -> Resource:
    return next(r for r in capture.of_type(typ) if r.inputs.get("bucket") == b.id)


def web_acl(capture: Capture) -> Resource:
    (acl,) = [r for r in capture.of_type(WEB_ACL) if r.inputs.get("scope") == "CLOUDFRONT"]
    return acl


def distribution(capture: Capture) -> Resource:
    return capture.one(DISTRIBUTION)


def behaviors(capture: Capture) -> list[dict[str, Any]]:
    d = plain(distribution(capture).inputs)
    return [d["defaultCacheBehavior"], *d.get("orderedCacheBehaviors", [])]


def origin(capture: Capture, origin_id: str) -> dict[str, Any]:
    return next(o for o in plain(distribution(capture).inputs)["origins"] if o["originId"] == origin_id)


# --------------------------------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["-site", "-logs"])
def test_buckets_are_not_public_in_any_way(fe: Capture, suffix: str) -> None:
    b = bucket(fe, suffix)
    block = of_bucket(fe, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", b).inputs
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[flag] is True, flag
    ownership = of_bucket(fe, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", b).inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    assert not [r for r in fe.resources if r.type.startswith("aws:s3/bucketAcl")]
    assert "website" not in b.inputs
    for s in statements(policy(of_bucket(fe, "aws:s3/bucketPolicy:BucketPolicy", b))):
        if s["Effect"] == "Allow":
            assert s["Principal"] != "*" and "AWS" not in s["Principal"], s
            assert "Service" in s["Principal"] and "Condition" in s, s


@pytest.mark.parametrize("suffix", ["-site", "-logs"])
def test_bucket_policies_deny_insecure_transport(fe: Capture, suffix: str) -> None:
    b = bucket(fe, suffix)
    found = {s["Sid"]: s for s in statements(policy(of_bucket(fe, "aws:s3/bucketPolicy:BucketPolicy", b)))}
    deny = found["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {b.outputs["arn"], b.outputs["arn"] + "/*"}


def test_site_policy_grants_reads_only_to_this_distribution(fe: Capture) -> None:
    site = bucket(fe, "-site")
    allows = [s for s in statements(policy(of_bucket(fe, "aws:s3/bucketPolicy:BucketPolicy", site))) if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (grant,) = allows
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    assert grant["Resource"] == site.outputs["arn"] + "/*"
    assert grant["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution(fe).outputs["arn"]}}


def test_site_bucket_uses_a_key_only_this_distribution_may_decrypt_with(fe: Capture) -> None:
    site = bucket(fe, "-site")
    rule = of_bucket(fe, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", site).inputs["rules"][0]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms" and rule["bucketKeyEnabled"] is True
    key = fe.resolve(default["kmsMasterKeyId"])
    assert key is not None and key.type == "aws:kms/key:Key" and key.inputs["enableKeyRotation"] is True
    assert fe.component_of(key).type == "vitality:platform:Frontend"
    key_policy = next(r for r in fe.of_type("aws:kms/keyPolicy:KeyPolicy") if r.inputs["keyId"] == key.outputs["keyId"])
    cloudfront = [s for s in statements(policy(key_policy)) if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}]
    assert cloudfront == [
        {
            "Sid": "CloudFrontOacDecrypt",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution(fe).outputs["arn"]}},
        }
    ]
    # the key policy is managed in one place only
    assert "policy" not in key.inputs


def test_site_bucket_versioning_lifecycle_and_access_logs(fe: Capture) -> None:
    site, logs = bucket(fe, "-site"), bucket(fe, "-logs")
    assert of_bucket(fe, "aws:s3/bucketVersioning:BucketVersioning", site).inputs["versioningConfiguration"]["status"] == "Enabled"
    (rule,) = of_bucket(fe, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", site).inputs["rules"]
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
    assert "expiration" not in rule  # the live site never expires
    logging = of_bucket(fe, "aws:s3/bucketLogging:BucketLogging", site).inputs
    assert logging["targetBucket"] == logs.id and logging["targetPrefix"] == "s3/site/"


def test_log_bucket_sse_s3_retention_and_writers(fe: Capture) -> None:
    logs, site = bucket(fe, "-logs"), bucket(fe, "-site")
    rule = of_bucket(fe, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", logs).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}  # S3 access logs refuse SSE-KMS
    retention = {"dev": 30, "prod": 365}[fe.stack]
    (rule,) = of_bucket(fe, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", logs).inputs["rules"]
    assert rule["expiration"]["days"] == retention
    found = {s["Sid"]: s for s in statements(policy(of_bucket(fe, "aws:s3/bucketPolicy:BucketPolicy", logs)))}
    access = found["S3ServerAccessLogs"]
    assert access["Principal"] == {"Service": "logging.s3.amazonaws.com"} and access["Action"] == "s3:PutObject"
    assert access["Resource"] == logs.outputs["arn"] + "/s3/site/*"
    assert access["Condition"]["ArnLike"] == {"aws:SourceArn": site.outputs["arn"]}
    assert access["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    source = fe.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    for sid in ("CloudFrontLogDeliveryWrite", "CloudFrontLogDeliveryAclCheck"):
        s = found[sid]
        assert s["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
        assert s["Condition"]["ArnLike"] == {"aws:SourceArn": source.outputs["arn"]}
        assert s["Condition"]["StringEquals"]["aws:SourceAccount"] == "111122223333"
    assert found["CloudFrontLogDeliveryWrite"]["Resource"] == logs.outputs["arn"] + "/cloudfront/*"


def test_buckets_and_key_are_protected_in_prod_and_force_destroyable_only_in_dev(fe: Capture) -> None:
    prod = fe.stack == "prod"
    for suffix in ("-site", "-logs"):
        b = bucket(fe, suffix)
        assert b.protect is prod and b.inputs["forceDestroy"] is (not prod)
    key = next(r for r in frontend_resources(fe) if r.type == "aws:kms/key:Key")
    assert key.protect is prod


def test_every_taggable_frontend_resource_is_tagged(fe: Capture) -> None:
    untaggable = ("Policy", "Logging", "Configuration", "Block", "Controls", "Versioning", "Alias", "Record", "Validation",
                  "AccessControl", "ResponseHeadersPolicy", "KeyPolicy")
    for r in frontend_resources(fe):
        if r.custom and not r.type.endswith(untaggable):
            assert r.tags.get("Component") == "frontend" and r.tags.get("Environment") == fe.stack, r.name


# --------------------------------------------------------------------------------------------------
# Distribution
# --------------------------------------------------------------------------------------------------


def test_every_cache_behavior_redirects_to_https(fe: Capture) -> None:
    found = behaviors(fe)
    assert len(found) == 2
    assert {b["viewerProtocolPolicy"] for b in found} == {"redirect-to-https"}


def test_distribution_basics(fe: Capture) -> None:
    d = plain(distribution(fe).inputs)
    assert d["enabled"] is True and d["defaultRootObject"] == "index.html"
    assert d["httpVersion"] == "http2and3" and d["isIpv6Enabled"] is True
    assert d["priceClass"] == {"dev": "PriceClass_100", "prod": "PriceClass_All"}[fe.stack]
    assert all(b["compress"] is True for b in behaviors(fe))
    assert "loggingConfig" not in d  # legacy logging needs bucket ACLs (see v2 delivery below)
    assert "customErrorResponses" not in d  # would turn API errors into 200 index.html
    assert d["webAclId"] == web_acl(fe).outputs["arn"]


def test_s3_origin_uses_origin_access_control(fe: Capture) -> None:
    site = origin(fe, "site")
    assert site["domainName"] == bucket(fe, "-site").outputs["bucketRegionalDomainName"]
    assert "s3OriginConfig" not in site or site["s3OriginConfig"].get("originAccessIdentity") in ("", None)
    oac = fe.resolve(site["originAccessControlId"])
    assert oac is not None and oac.inputs == {
        "description": oac.inputs["description"],
        "originAccessControlOriginType": "s3",
        "signingBehavior": "always",
        "signingProtocol": "sigv4",
        **({"name": oac.inputs["name"]} if "name" in oac.inputs else {}),
    }
    default = behaviors(fe)[0]
    assert default["targetOriginId"] == "site"
    assert default["cachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"


def test_api_origin_is_the_vpc_origin_with_the_origin_verify_secret(fe: Capture) -> None:
    api = origin(fe, "api")  # ecs is both stacks' platform
    vpc_origin = fe.one("aws:cloudfront/vpcOrigin:VpcOrigin")
    assert api["vpcOriginConfig"] == {"vpcOriginId": vpc_origin.id, "originReadTimeout": 30, "originKeepaliveTimeout": 5}
    assert api["domainName"] == fe.one("aws:lb/loadBalancer:LoadBalancer").outputs["dnsName"]
    assert "customOriginConfig" not in api
    secret = fe.one("random:index/randomPassword:RandomPassword")
    assert api["customHeaders"] == [{"name": "X-Origin-Verify", "value": secret.outputs["result"]}]
    origins = distribution(fe).inputs["origins"]
    assert isinstance(origins, dict) and SECRET_SIG in origins, "the origin-verify secret must stay a secret"


def test_api_origin_on_apprunner_is_https_only() -> None:
    fe = capture_for("dev", overrides={"vitality:api.platform": "apprunner"})
    api = origin(fe, "api")
    assert api["domainName"] == fe.one("aws:apprunner/service:Service").outputs["serviceUrl"]
    config = api["customOriginConfig"]
    assert config["originProtocolPolicy"] == "https-only"
    assert config["originSslProtocols"] == ["TLSv1.2"]
    assert "vpcOriginConfig" not in api


def test_component_needs_only_the_api_origin_view(component: Capture) -> None:
    assert not component.of_type("aws:apprunner/service:Service")
    api = origin(component, "api")
    assert api["domainName"] == API_DOMAIN
    assert api["customHeaders"] == [{"name": "X-Origin-Verify", "value": VERIFY_SECRET}]
    assert {b["viewerProtocolPolicy"] for b in behaviors(component)} == {"redirect-to-https"}


def test_api_behavior_is_uncached_and_forwards_everything_but_host(fe: Capture) -> None:
    (api,) = [b for b in behaviors(fe) if b.get("pathPattern") == "/api/*"]
    assert api["targetOriginId"] == "api"
    assert api["cachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert api["originRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # Managed-AllViewerExceptHostHeader
    assert set(api["allowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    assert "functionAssociations" not in api  # API responses (errors too) pass through untouched


def test_spa_rewrite_runs_only_on_the_default_behavior(fe: Capture) -> None:
    default = behaviors(fe)[0]
    (association,) = default["functionAssociations"]
    assert association["eventType"] == "viewer-request"
    function = fe.resolve(association["functionArn"])
    assert function is not None and function.inputs["runtime"] == "cloudfront-js-2.0" and function.inputs["publish"] is True
    code = function.inputs["code"]
    assert "request.uri = '/index.html'" in code and "indexOf('.')" in code


def test_security_headers(fe: Capture) -> None:
    (policy_id,) = {b["responseHeadersPolicyId"] for b in behaviors(fe)}
    headers = fe.resolve(policy_id)
    assert headers is not None
    config = headers.inputs["securityHeadersConfig"]
    hsts = config["strictTransportSecurity"]
    assert hsts["accessControlMaxAgeSec"] >= 31536000 and hsts["includeSubdomains"] is True and hsts["override"] is True
    assert config["contentTypeOptions"]["override"] is True
    assert config["frameOptions"]["frameOption"] == "DENY"
    assert config["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    directives = dict(
        ([*d.split(" ", 1), ""])[:2] for d in config["contentSecurityPolicy"]["contentSecurityPolicy"].split("; ")
    )
    connect = directives["connect-src"].split()
    assert sorted(connect) == sorted(
        ["'self'", "https://dataplane.rum.us-west-2.amazonaws.com", "https://cognito-identity.us-west-2.amazonaws.com"]
    )
    assert "https://client.rum.us-east-1.amazonaws.com" in directives["script-src"].split()
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]


def test_cloudfront_access_logs_use_v2_delivery_to_the_log_bucket(fe: Capture) -> None:
    source = fe.one("aws:cloudwatch/logDeliverySource:LogDeliverySource").inputs
    assert source["logType"] == "ACCESS_LOGS" and source["region"] == EDGE
    assert source["resourceArn"] == distribution(fe).outputs["arn"]
    destination = fe.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    assert destination.inputs["deliveryDestinationType"] == "S3" and destination.inputs["region"] == EDGE
    target = destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
    assert target == bucket(fe, "-logs").outputs["arn"] + "/cloudfront"
    delivery = fe.one("aws:cloudwatch/logDelivery:LogDelivery")
    assert delivery.inputs["deliveryDestinationArn"] == destination.outputs["arn"]
    assert delivery.inputs["deliverySourceName"] == fe.one("aws:cloudwatch/logDeliverySource:LogDeliverySource").outputs["name"]
    logs_policy = of_bucket(fe, "aws:s3/bucketPolicy:BucketPolicy", bucket(fe, "-logs"))
    assert logs_policy.urn in delivery.dependencies


# --------------------------------------------------------------------------------------------------
# TLS and DNS
# --------------------------------------------------------------------------------------------------


def test_viewer_certificate(fe: Capture, variant: str) -> None:
    d = plain(distribution(fe).inputs)
    certificate = d["viewerCertificate"]
    if variant == "default-domain":
        assert certificate == {"cloudfrontDefaultCertificate": True}
        assert "aliases" not in d
        assert not fe.of_type("aws:acm/certificate:Certificate") and not fe.of_type("aws:route53/record:Record")
        assert fe.outputs["frontendUrl"] == "https://" + distribution(fe).outputs["domainName"]
        return
    assert d["aliases"] == [DOMAIN]
    assert certificate["sslSupportMethod"] == "sni-only"
    assert certificate["minimumProtocolVersion"] == "TLSv1.2_2021"
    cert = fe.one("aws:acm/certificate:Certificate")
    assert cert.inputs["region"] == EDGE and cert.inputs["validationMethod"] == "DNS" and cert.inputs["domainName"] == DOMAIN
    validation = fe.one("aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["region"] == EDGE and validation.inputs["certificateArn"] == cert.outputs["arn"]
    assert certificate["acmCertificateArn"] == cert.outputs["arn"]
    assert validation.urn in distribution(fe).dependencies  # CloudFront only accepts an issued certificate
    record = fe.named(f"vitality-{fe.stack}-web-cert-validation")
    option = cert.outputs["domainValidationOptions"][0]
    assert record.inputs["zoneId"] == ZONE and record.inputs["type"] == "CNAME"
    assert record.inputs["name"] == option["resourceRecordName"] and record.inputs["records"] == [option["resourceRecordValue"]]
    assert validation.inputs["validationRecordFqdns"] == [record.outputs["fqdn"]]
    assert fe.outputs["frontendUrl"] == f"https://{DOMAIN}"


def test_alias_records_for_ipv4_and_ipv6(fe: Capture, variant: str) -> None:
    records = {r.inputs["type"]: r.inputs for r in fe.of_type("aws:route53/record:Record") if r.inputs.get("aliases")}
    if variant == "default-domain":
        assert records == {}
        return
    assert set(records) == {"A", "AAAA"}
    for record in records.values():
        assert record["zoneId"] == ZONE and record["name"] == DOMAIN
        assert record["aliases"] == [
            {"name": distribution(fe).outputs["domainName"], "zoneId": "Z2FDTNDATAQYW2", "evaluateTargetHealth": False}
        ]


def test_newer_viewer_tls_policy_from_config() -> None:
    fe = capture_for("dev", overrides={**CUSTOM_DOMAIN, "vitality:frontend.minimumProtocolVersion": "TLSv1.3_2025"})
    assert distribution(fe).inputs["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.3_2025"


# --------------------------------------------------------------------------------------------------
# WAF
# --------------------------------------------------------------------------------------------------


def rules(capture: Capture) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in web_acl(capture).inputs["rules"]}


def test_web_acl_is_cloudfront_scope_in_us_east_1(fe: Capture) -> None:
    acl = web_acl(fe)
    assert acl.inputs["scope"] == "CLOUDFRONT" and acl.inputs["region"] == EDGE
    assert acl.inputs["defaultAction"] == {"allow": {}}
    assert acl.outputs["arn"].startswith(f"arn:aws:wafv2:{EDGE}:111122223333:global/webacl/")
    assert acl.inputs["visibilityConfig"]["cloudwatchMetricsEnabled"] is True


def test_default_rules_and_metrics(fe: Capture) -> None:
    found = rules(fe)
    assert list(found) == ["ip-reputation", "rate-limit", "common-rules", "known-bad-inputs"]
    priorities = [r["priority"] for r in found.values()]
    assert priorities == sorted(set(priorities))
    for rule in found.values():
        vis = rule["visibilityConfig"]
        assert vis["cloudwatchMetricsEnabled"] is True and vis["sampledRequestsEnabled"] is True
        assert vis["metricName"] == f"vitality-{fe.stack}-frontend-{rule['name']}"
    groups = {name: found[name]["statement"]["managedRuleGroupStatement"] for name in ("ip-reputation", "common-rules", "known-bad-inputs")}
    assert {g["name"] for g in groups.values()} == {
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    }
    assert all(g["vendorName"] == "AWS" and found[n]["overrideAction"] == {"none": {}} for n, g in groups.items())
    # configured in both stack files: API bodies may exceed the common rule set's 8 KB limit
    assert groups["common-rules"]["ruleActionOverrides"] == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
    assert "ruleActionOverrides" not in groups["known-bad-inputs"]
    rate = found["rate-limit"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": {"dev": 1000, "prod": 2000}[fe.stack],
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
    }
    assert not fe.of_type("aws:wafv2/ipSet:IpSet")


def test_ip_sets_geo_blocking_and_overrides_from_config() -> None:
    fe = capture_for(
        "prod",
        overrides={
            "vitality:frontend.allowedIpCidrs": ["203.0.113.0/24", "2001:db8::/32"],
            "vitality:frontend.blockedIpCidrs": ["198.51.100.0/24"],
            "vitality:frontend.geoBlockCountries": ["KP", "IR"],
            "vitality:frontend.wafRateLimit": 500,
            "vitality:frontend.wafRateWindowSeconds": 60,
            "vitality:frontend.wafRuleOverrides": {"AWSManagedRulesKnownBadInputsRuleSet": {"Host_localhost_HEADER": "count"}},
        },
    )
    sets = {r.name.rsplit("-", 2)[-2] + "-" + r.inputs["ipAddressVersion"]: r for r in fe.of_type("aws:wafv2/ipSet:IpSet")}
    assert set(sets) == {"allowed-IPV4", "allowed-IPV6", "blocked-IPV4"}
    for ip_set in sets.values():
        assert ip_set.inputs["scope"] == "CLOUDFRONT" and ip_set.inputs["region"] == EDGE
    assert sets["allowed-IPV4"].inputs["addresses"] == ["203.0.113.0/24"]
    assert sets["allowed-IPV6"].inputs["addresses"] == ["2001:db8::/32"]
    found = rules(fe)
    assert list(found) == ["blocked-ips", "allowed-ips-only", "geo-block", "ip-reputation", "rate-limit", "common-rules", "known-bad-inputs"]
    assert found["blocked-ips"]["action"] == {"block": {}}
    assert found["blocked-ips"]["statement"] == {"ipSetReferenceStatement": {"arn": sets["blocked-IPV4"].outputs["arn"]}}
    allowed = found["allowed-ips-only"]
    assert allowed["action"] == {"block": {}}
    assert allowed["statement"]["notStatement"]["statement"]["orStatement"]["statements"] == [
        {"ipSetReferenceStatement": {"arn": sets["allowed-IPV4"].outputs["arn"]}},
        {"ipSetReferenceStatement": {"arn": sets["allowed-IPV6"].outputs["arn"]}},
    ]
    assert found["geo-block"]["statement"] == {"geoMatchStatement": {"countryCodes": ["KP", "IR"]}}
    assert found["rate-limit"]["statement"]["rateBasedStatement"]["limit"] == 500
    assert found["rate-limit"]["statement"]["rateBasedStatement"]["evaluationWindowSec"] == 60
    overrides = found["known-bad-inputs"]["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert overrides == [{"name": "Host_localhost_HEADER", "actionToUse": {"count": {}}}]
    # the stack file's override is replaced, not merged (the whole object was set)
    assert "ruleActionOverrides" not in found["common-rules"]["statement"]["managedRuleGroupStatement"]
    for rule in found.values():
        assert rule["visibilityConfig"]["cloudwatchMetricsEnabled"] is True


def test_waf_logs_to_an_encrypted_us_east_1_log_group(fe: Capture) -> None:
    (logging,) = [
        r.inputs
        for r in fe.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
        if r.inputs["resourceArn"] == web_acl(fe).outputs["arn"]
    ]
    assert logging["region"] == EDGE and logging["resourceArn"] == web_acl(fe).outputs["arn"]
    (destination,) = logging["logDestinationConfigs"]
    group = fe.resolve(destination)
    assert group is not None and group.type == "aws:cloudwatch/logGroup:LogGroup"
    assert group.inputs["name"] == f"aws-waf-logs-vitality-{fe.stack}-frontend"
    assert group.inputs["region"] == EDGE
    assert group.inputs["retentionInDays"] == {"dev": 30, "prod": 365}[fe.stack]
    key = fe.resolve(group.inputs["kmsKeyId"])
    assert key is not None and key.inputs.get("region") == EDGE and key.name.endswith("-edge-logs")
    assert group.protect is (fe.stack == "prod")
    assert logging["loggingFilter"] == {
        "defaultBehavior": "DROP",
        "filters": [
            {
                "behavior": "KEEP",
                "requirement": "MEETS_ANY",
                "conditions": [{"actionCondition": {"action": "BLOCK"}}, {"actionCondition": {"action": "COUNT"}}],
            }
        ],
    }
    assert logging["redactedFields"] == [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}]


# --------------------------------------------------------------------------------------------------
# Interface
# --------------------------------------------------------------------------------------------------


def test_outputs(fe: Capture) -> None:
    d = distribution(fe)
    assert fe.outputs["distributionId"] == d.id
    assert fe.outputs["webAclArn"] == web_acl(fe).outputs["arn"]
    assert fe.outputs["siteBucketName"] == bucket(fe, "-site").outputs["bucket"]
    assert fe.outputs["frontendUrl"].startswith("https://")


@pytest.mark.parametrize("overrides", [None, CUSTOM_DOMAIN], ids=["default-domain", "custom-domain"])
def test_preview_with_unknown_outputs(stack: str, overrides: Any) -> None:
    fe = capture_for(stack, preview=True, overrides=overrides)
    assert fe.one(DISTRIBUTION).inputs["defaultRootObject"] == "index.html"
    for key in ("distributionId", "webAclArn", "siteBucketName"):
        assert fe.outputs[key] == UNKNOWN, key
    expected = f"https://{DOMAIN}" if overrides else UNKNOWN
    assert fe.outputs["frontendUrl"] == expected


def test_targets_for_observability(component: Capture, variant: str) -> None:
    fe = component
    targets = fe.outputs["frontendTargets"]
    d, acl = distribution(fe), web_acl(fe)
    assert targets["distributionId"] == d.id
    assert targets["distributionDomain"] == d.outputs["domainName"]
    assert targets["siteDomain"] == (DOMAIN if variant == "custom-domain" else d.outputs["domainName"])
    assert targets["url"] == fe.outputs["frontendUrl"] == "https://" + targets["siteDomain"]
    assert targets["webAclName"] == acl.outputs["name"]
    assert targets["webAclMetricName"] == acl.inputs["visibilityConfig"]["metricName"]
    assert targets["wafLogGroupName"] == f"aws-waf-logs-vitality-{fe.stack}-frontend"
