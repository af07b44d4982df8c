"""Every policy rule, on a resource set that violates it and one that satisfies it, through the same
pulumi_policy objects and the same capture -> CrossGuard adapter the offline check uses.

Each case is built from `offline.engine.Resource` records shaped like the capture (engine camelCase inputs, ids
and ARNs in the outputs, Pulumi options), so a rule is exercised exactly as in `python -m offline check`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Optional

import pytest

from offline.engine import Resource
from policy import rules as R
from policy.evaluate import Evaluation, evaluate, resource_args, stack_args
from policy.framework import TODAY, Compensating, ExceptionFileError, PolicyException, StackView, parse_exceptions

ENV_TAGS = {"Project": "vitality", "Component": "test", "ManagedBy": "pulumi"}


def res(typ: str, name: str, props: Optional[dict] = None, *, id: Optional[str] = None, arn: Optional[str] = None,
        protect: bool = False, env: str = "dev", deps: Optional[dict[str, list[Resource]]] = None,
        outputs: Optional[dict] = None) -> Resource:
    inputs = {"tags": {**ENV_TAGS, "Environment": env}, **(props or {})}
    id_ = id or f"{name}-id"
    return Resource(
        urn=f"urn:pulumi:{env}::vitality::{typ}::{name}",
        type=typ,
        name=name,
        custom=True,
        parent=None,
        provider="",
        protect=protect,
        retain_on_delete=False,
        delete_before_replace=False,
        dependencies=[],
        property_dependencies={k: [d.urn for d in v] for k, v in (deps or {}).items()},
        ignore_changes=[],
        additional_secret_outputs=[],
        inputs=inputs,
        outputs={**inputs, "id": id_, "arn": arn or f"arn:aws:test:us-west-2:111122223333:{name}", **(outputs or {})},
        id=id_,
    )


def run(rule: R.Rule, resources: list[Resource], stack: str = "dev", preview: bool = False) -> Evaluation:
    capture = SimpleNamespace(stack=stack, preview=preview, resources=resources)
    return evaluate(capture, [rule])


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# ------------------------------------------------------------------------------------------------
# Builders for resource families
# ------------------------------------------------------------------------------------------------

ALLOW_ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
              "Action": "kms:*", "Resource": "*"}


def bucket_set(name: str = "logs", env: str = "dev", *, skip: tuple[str, ...] = (), **overrides: Any) -> list[Resource]:
    """A bucket with every sub-resource hardened_bucket creates; `skip` drops some, overrides replace props."""
    bucket_id = f"{name}-bucket-1234567"
    arn = f"arn:aws:s3:::{bucket_id}"
    bucket = res(R.BUCKET, name, overrides.pop("bucket", {}), id=bucket_id, arn=arn, env=env,
                 outputs={"bucket": bucket_id, "bucketRegionalDomainName": f"{bucket_id}.s3.us-west-2.amazonaws.com"})
    parts = {
        "bpa": (R.BPA[0], {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
                           "restrictPublicBuckets": True}),
        "policy": (R.BUCKET_POLICY[0], {"policy": doc({
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})}),
        "ownership": (R.OWNERSHIP[0], {"rule": {"objectOwnership": "BucketOwnerEnforced"}}),
        "sse": (R.SSE[0], {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms",
                                                                             "kmsMasterKeyId": "arn:aws:kms:k"}}]}),
        "versioning": (R.VERSIONING[0], {"versioningConfiguration": {"status": "Enabled"}}),
        "lifecycle": (R.LIFECYCLE[0], {"rules": [{"id": "r", "status": "Enabled",
                                                  "noncurrentVersionExpiration": {"noncurrentDays": 90}}]}),
        "logging": (R.LOGGING[0], {"targetBucket": "access-logs-bucket", "targetPrefix": "s3/"}),
        "replication": (R.REPLICATION[0], {"rules": [{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::dr"}}]}),
        "notification": (R.NOTIFICATION[0], {"eventbridge": True}),
        "lock": (R.OBJECT_LOCK[0], {"objectLockEnabled": "Enabled"}),
    }
    found = [bucket]
    for key, (typ, props) in parts.items():
        if key in skip:
            continue
        found.append(res(typ, f"{name}-{key}", {"bucket": bucket_id, **props, **overrides.get(key, {})}, env=env))
    return found


def vpc_set(env: str = "dev", *, flow: Optional[str] = "ALL", default_sg: Optional[dict] = None,
            endpoints: tuple[str, ...] = ()) -> list[Resource]:
    vpc = res(R.VPC, "vpc", {"cidrBlock": "10.0.0.0/16"}, id="vpc-1", env=env)
    found = [vpc]
    if flow:
        found.append(res(R.FLOW_LOG, "flow", {"vpcId": "vpc-1", "trafficType": flow}, env=env))
    if default_sg is not None:
        found.append(res(R.DEFAULT_SG, "default-sg", {"vpcId": "vpc-1", **default_sg}, env=env))
    for service in endpoints:
        found.append(res(R.ENDPOINT, f"ep-{service}", {"vpcId": "vpc-1", "serviceName": f"com.amazonaws.us-west-2.{service}",
                                                        "vpcEndpointType": "Interface"}, env=env))
    return found


def routed_subnets(*, database_route: Optional[dict] = None, associate: bool = True) -> list[Resource]:
    igw = res(R.IGW, "igw", {"vpcId": "vpc-1"}, id="igw-1")
    subnet = res(R.SUBNET, "db-a", {"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24"}, id="subnet-db-a")
    table = res(R.ROUTE_TABLE, "db-rt", {"vpcId": "vpc-1"}, id="rtb-db")
    found = [igw, subnet, table, res(R.RDS_SUBNETS, "db-group", {"subnetIds": ["subnet-db-a"]}, id="db-group")]
    if associate:
        found.append(res(R.RT_ASSOC, "db-a-assoc", {"subnetId": "subnet-db-a", "routeTableId": "rtb-db"}))
    if database_route:
        found.append(res(R.ROUTE, "db-default", {"routeTableId": "rtb-db", **database_route}))
    return found


def trail(**props: Any) -> dict:
    return {"isMultiRegionTrail": True, "includeGlobalServiceEvents": True, "enableLogFileValidation": True,
            "kmsKeyId": "arn:aws:kms:k", "cloudWatchLogsGroupArn": "arn:aws:logs:lg:*",
            "cloudWatchLogsRoleArn": "arn:aws:iam::1:role/r", "s3BucketName": "audit-bucket-1234567", **props}


def distribution(**props: Any) -> dict:
    base = {
        "defaultRootObject": "index.html",
        "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https", "targetOriginId": "site"},
        "orderedCacheBehaviors": [{"pathPattern": "/api/*", "viewerProtocolPolicy": "https-only", "targetOriginId": "api"}],
        "origins": [
            {"originId": "site", "domainName": "site-bucket-1234567.s3.us-west-2.amazonaws.com",
             "originAccessControlId": "oac-1"},
            {"originId": "api", "domainName": "api.example.com",
             "customOriginConfig": {"originProtocolPolicy": "https-only", "originSslProtocols": ["TLSv1.2"],
                                    "httpPort": 80, "httpsPort": 443}},
        ],
        "viewerCertificate": {"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/c", "sslSupportMethod": "sni-only",
                              "minimumProtocolVersion": "TLSv1.2_2021"},
        "originGroups": [{"originId": "group", "members": [{"originId": "site"}, {"originId": "replica"}],
                          "failoverCriteria": {"statusCodes": [500, 502, 503, 504]}}],
        "loggingConfig": {"bucket": "cf-logs.s3.amazonaws.com"},
        "webAclId": "arn:aws:wafv2:us-east-1:1:global/webacl/acl/1",
    }
    base.update(props)
    return base


def web_acl(**props: Any) -> dict:
    return {"scope": "CLOUDFRONT", "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "acl",
                                                        "sampledRequestsEnabled": True},
            "rules": [{"name": "common", "priority": 1,
                       "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "common",
                                            "sampledRequestsEnabled": True}}], **props}


def apprunner(**props: Any) -> dict:
    base = {
        "networkConfiguration": {"egressConfiguration": {"egressType": "VPC", "vpcConnectorArn": "arn:connector"},
                                 "ingressConfiguration": {"isPubliclyAccessible": False}},
        "observabilityConfiguration": {"observabilityEnabled": True, "observabilityConfigurationArn": "arn:obs"},
        "encryptionConfiguration": {"kmsKey": "arn:aws:kms:k"},
        "healthCheckConfiguration": {"unhealthyThreshold": 3},
    }
    base.update(props)
    return base


def cluster(**props: Any) -> dict:
    return {"engine": "aurora-postgresql", "storageEncrypted": True, "kmsKeyId": "arn:aws:kms:k",
            "deletionProtection": True, "finalSnapshotIdentifier": "final", "iamDatabaseAuthenticationEnabled": True,
            "backupRetentionPeriod": 7, "copyTagsToSnapshot": True, "enabledCloudwatchLogsExports": ["postgresql"],
            "masterUsername": "app_admin", "manageMasterUserPassword": True, "masterUserSecretKmsKeyId": "arn:aws:kms:k",
            **props}


def instance(**props: Any) -> dict:
    return {"clusterIdentifier": "cluster-id", "instanceClass": "db.serverless", "monitoringInterval": 60,
            "monitoringRoleArn": "arn:aws:iam::1:role/mon", "copyTagsToSnapshot": True, **props}


def baseline(skip: tuple[str, ...] = ()) -> list[Resource]:
    pieces = {
        "recorder": (R.RECORDER, {"roleArn": f"arn:aws:iam::1:role/{R.CONFIG_SLR}"}),
        "status": (R.RECORDER_STATUS, {"isEnabled": True}),
        "channel": (R.DELIVERY_CHANNEL, {"s3BucketName": "config-bucket"}),
        "hub": (R.HUB, {"enableDefaultStandards": False}),
        "fsbp": (R.HUB_STANDARD, {"standardsArn": "arn:aws:securityhub:us-west-2::standards/aws-foundational-security-best-practices/v/1.0.0"}),
        "cis": (R.HUB_STANDARD, {"standardsArn": "arn:aws:securityhub:us-west-2::standards/cis-aws-foundations-benchmark/v/3.0.0"}),
        "detector": (R.DETECTOR, {"enable": True}),
        "trail": (R.TRAIL, trail()),
        "analyzer": (R.ANALYZER, {"type": "ACCOUNT"}),
        "password": (R.PASSWORD_POLICY, {}),
        "ebs": (R.EBS_DEFAULT, {"enabled": True}),
        "s3bpa": (R.ACCOUNT_BPA, {}),
        "support": (R.ROLE_ATTACH, {"role": "support", "policyArn": "arn:aws:iam::aws:policy/AWSSupportAccess"}),
        "contact": (R.CONTACT, {"alternateContactType": "SECURITY"}),
        "vpc-bpa": (R.VPC_BPA, {"internetGatewayBlockMode": "block-ingress"}),
    }
    return [res(t, k, p, env="prod") for k, (t, p) in pieces.items() if k not in skip]


ORIGIN_SECRET = "0123456789abcdef0123456789abcdef"


def protected_service(*, associate: bool = True, secret: str = ORIGIN_SECRET, exception: bool = False) -> list[Resource]:
    """A public App Runner service behind a regional web ACL that first blocks requests without the origin secret
    the distribution's API origin sends (the apprunner-private-ingress exception's compensating controls)."""
    service = res(R.APPRUNNER, "vitality-dev-api-svc" if exception else "api-svc", apprunner(networkConfiguration={"ingressConfiguration": {
        "isPubliclyAccessible": True}}), arn="arn:aws:apprunner:us-west-2:1:service/api/1")
    acl = res(R.WEB_ACL, "api-waf", web_acl(scope="REGIONAL", rules=[
        {"name": "require-origin-header", "priority": 0, "action": {"block": {}}, "statement": {"notStatement": {
            "statement": {"byteMatchStatement": {"positionalConstraint": "EXACTLY", "searchString": secret,
                                                 "fieldToMatch": {"singleHeader": {"name": "x-origin-verify"}}}}}},
         "visibilityConfig": {"cloudwatchMetricsEnabled": True}},
        {"name": "common", "priority": 1, "statement": {"managedRuleGroupStatement": {
            "vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}}, "visibilityConfig": {
            "cloudwatchMetricsEnabled": True}}]), arn="arn:aws:wafv2:us-west-2:1:regional/webacl/api/1")
    origins = distribution()["origins"]
    origins[1] = {**origins[1], "customHeaders": [{"name": "X-Origin-Verify", "value": ORIGIN_SECRET}]}
    found = [service, acl, res(R.DISTRIBUTION, "cdn", distribution(origins=origins))]
    if associate:
        found.append(res(R.ACL_ASSOCIATION, "api-waf-service", {"resourceArn": service.outputs["arn"],
                                                                "webAclArn": acl.outputs["arn"]}))
    return found


# ------------------------------------------------------------------------------------------------
# Cases: rule name -> (violating resources, satisfying resources[, stack])
# ------------------------------------------------------------------------------------------------

Case = tuple[Callable[[], list[Resource]], Callable[[], list[Resource]]]


def one(typ: str, bad: dict, good: dict, env: str = "dev", **kw: Any) -> Case:
    return (lambda: [res(typ, "subject", bad, env=env, **kw)], lambda: [res(typ, "subject", good, env=env, **kw)])


def bucket_case(bad: dict) -> Case:
    return (lambda: bucket_set(**bad), lambda: bucket_set())


CASES: dict[str, Case] = {
    "security-group-no-world-ingress": one(
        R.SG_INGRESS, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        {"cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}),
    "security-group-no-world-admin-ports": one(
        R.SG, {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]},
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]}),
    "default-security-group-no-rules": one(
        R.DEFAULT_SG, {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
        {"ingress": [], "egress": []}),
    "vpc-default-security-group-managed": (lambda: vpc_set(), lambda: vpc_set(default_sg={"ingress": [], "egress": []})),
    "vpc-flow-logs-enabled": (lambda: vpc_set(flow="ACCEPT"), lambda: vpc_set(flow="REJECT")),
    "vpc-ecr-interface-endpoints": (lambda: vpc_set("prod", endpoints=("ecr.api",)),
                                    lambda: vpc_set("prod", endpoints=("ecr.api", "ecr.dkr"))),
    "vpc-ec2-ssm-interface-endpoints": (lambda: vpc_set(endpoints=("ec2", "ssm")),
                                        lambda: vpc_set(endpoints=("ec2", "ssm", "ssm-contacts", "ssm-incidents"))),
    "subnet-no-public-ip-on-launch": one(R.SUBNET, {"mapPublicIpOnLaunch": True}, {"cidrBlock": "10.0.0.0/24"}),
    "network-acl-no-world-admin-ports": one(
        R.NACL_RULE, {"egress": False, "ruleAction": "allow", "cidrBlock": "0.0.0.0/0", "protocol": "-1",
                      "fromPort": 0, "toPort": 0},
        {"egress": False, "ruleAction": "allow", "cidrBlock": "0.0.0.0/0", "protocol": "tcp", "fromPort": 443,
         "toPort": 443}),
    "database-subnets-no-internet-route": (
        lambda: routed_subnets(database_route={"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}),
        lambda: routed_subnets(database_route={"destinationCidrBlock": "10.1.0.0/16", "vpcPeeringConnectionId": "pcx"})),
    "vpc-block-public-access-mode": one(R.VPC_BPA, {"internetGatewayBlockMode": "block-bidirectional"},
                                        {"internetGatewayBlockMode": "block-ingress"}),
    "vpc-block-public-access-exclusions": (
        lambda: [*routed_subnets(), res(R.LOAD_BALANCER, "alb", {"subnets": ["subnet-db-a"]}, arn="arn:alb"),
                 res(R.VPC_ORIGIN, "origin", {"vpcOriginEndpointConfig": {"arn": "arn:alb"}})],
        lambda: [*routed_subnets(), res(R.LOAD_BALANCER, "alb", {"subnets": ["subnet-db-a"]}, arn="arn:alb"),
                 res(R.VPC_ORIGIN, "origin", {"vpcOriginEndpointConfig": {"arn": "arn:alb"}}),
                 res(R.BPA_EXCLUSION, "exclusion", {"subnetId": "subnet-db-a",
                                                    "internetGatewayExclusionMode": "allow-bidirectional"})]),
    "rds-cluster-encrypted-cmk": one(R.RDS_CLUSTER, cluster(storageEncrypted=None), cluster()),
    "rds-cluster-deletion-protection": one(R.RDS_CLUSTER, cluster(deletionProtection=None), cluster(), env="prod"),
    "rds-cluster-iam-auth": one(R.RDS_CLUSTER, cluster(iamDatabaseAuthenticationEnabled=False), cluster()),
    "rds-cluster-backup-retention": one(R.RDS_CLUSTER, cluster(backupRetentionPeriod=None), cluster()),
    "rds-cluster-copy-tags-to-snapshot": one(R.RDS_CLUSTER, cluster(copyTagsToSnapshot=None), cluster()),
    "rds-cluster-log-exports": one(R.RDS_CLUSTER, cluster(enabledCloudwatchLogsExports=["iam-db-auth-error"]), cluster()),
    "rds-cluster-custom-admin-username": one(R.RDS_CLUSTER, cluster(masterUsername="postgres"), cluster()),
    "rds-cluster-managed-secret-cmk": one(R.RDS_CLUSTER, cluster(masterUserSecretKmsKeyId=None), cluster()),
    "rds-cluster-auto-minor-upgrade": one(R.RDS_CLUSTER, cluster(autoMinorVersionUpgrade=False), cluster()),
    "rds-instance-not-public": one(R.RDS_INSTANCE, instance(publiclyAccessible=True), instance()),
    "rds-instance-auto-minor-upgrade": one(R.RDS_INSTANCE, instance(autoMinorVersionUpgrade="false"), instance()),
    "rds-instance-enhanced-monitoring": one(R.RDS_INSTANCE, instance(monitoringInterval=None), instance()),
    "rds-instance-copy-tags-to-snapshot": one(R.RDS_INSTANCE, instance(copyTagsToSnapshot=False), instance()),
    "rds-performance-insights-cmk": one(R.RDS_INSTANCE, instance(performanceInsightsEnabled=True),
                                        instance(performanceInsightsEnabled=True, performanceInsightsKmsKeyId="arn:k")),
    "rds-cluster-multi-az": (
        lambda: [res(R.RDS_CLUSTER, "db", cluster(), id="cluster-id", env="prod"),
                 res(R.RDS_INSTANCE, "writer", instance(), env="prod")],
        lambda: [res(R.RDS_CLUSTER, "db", cluster(), id="cluster-id", env="prod"),
                 res(R.RDS_INSTANCE, "writer", instance(availabilityZone="us-west-2a"), env="prod"),
                 res(R.RDS_INSTANCE, "reader", instance(availabilityZone="us-west-2b"), env="prod")]),
    "rds-event-subscriptions-cover-critical-events": (
        lambda: [res(R.RDS_EVENTS, "cluster-events", {"sourceType": "db-cluster", "eventCategories": ["failure"]})],
        lambda: [res(R.RDS_EVENTS, f"{s}-events", {"sourceType": s, "sourceIds": [f"{s}-1"]}) for s in R.RDS_EVENT_COVERAGE]),
    "kms-key-rotation": one(R.KMS_KEY, {"description": "k"}, {"enableKeyRotation": True}),
    "kms-key-not-public": one(
        R.KMS_KEY, {"policy": doc(ALLOW_ROOT, {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"},
                                               "Action": "kms:Decrypt", "Resource": "*"})},
        {"policy": doc(ALLOW_ROOT, {"Sid": "Svc", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                                    "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}})}),
    "iam-no-kms-decrypt-on-all-keys": one(
        R.ROLE_POLICY, {"policy": doc({"Effect": "Allow", "Action": ["kms:Decrypt*"], "Resource": "*"})},
        {"policy": doc({"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "arn:aws:kms:us-west-2:1:key/k"})}),
    "iam-no-admin-policy": one(
        R.IAM_POLICY, {"policy": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}},
        {"policy": {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}}),
    "iam-no-service-wildcard-actions": one(
        R.ROLE, {"inlinePolicies": [{"name": "p", "policy": doc({"Effect": "Allow", "Action": "S3:*", "Resource": "arn:b"})}]},
        {"inlinePolicies": [{"name": "p", "policy": doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:b"},
                                                        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"})}]}),
    "iam-no-user-policies": one(R.POLICY_ATTACH, {"users": ["alice"], "policyArn": "arn:p"},
                                {"roles": ["app"], "policyArn": "arn:p"}),
    "iam-no-long-lived-credentials": (lambda: [res(R.ACCESS_KEY, "key", {"user": "ci"})],
                                      lambda: [res(R.ROLE_ATTACH, "ci", {"role": "ci", "policyArn": "arn:p"})]),
    "iam-no-cloudshell-full-access": one(R.ROLE_ATTACH, {"role": "r", "policyArn": R.CLOUDSHELL},
                                         {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    "iam-role-trust-scoped": one(
        R.ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": "tasks.apprunner.amazonaws.com"},
                                          "Action": "sts:AssumeRole"})},
        {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": ["tasks.apprunner.amazonaws.com"]},
                                  "Action": "sts:AssumeRole",
                                  "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
                                 {"Effect": "Allow", "Principal": {"Federated": "arn:oidc"},
                                  "Action": "sts:AssumeRoleWithWebIdentity",
                                  "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/r:*"}}})}),
    "iam-password-policy-strong": one(
        R.PASSWORD_POLICY, {"minimumPasswordLength": 14, "requireUppercaseCharacters": True},
        {"minimumPasswordLength": 14, "passwordReusePrevention": 24, "requireUppercaseCharacters": True,
         "requireLowercaseCharacters": True, "requireNumbers": True, "requireSymbols": True}),
    "secret-encrypted-with-cmk": one(R.SECRET, {"description": "s"}, {"kmsKeyId": "arn:aws:kms:k"}),
    "secret-rotation-enabled": (
        lambda: [res(R.SECRET, "s", {}, id="secret-arn"),
                 res(R.SECRET_ROTATION, "rot", {"secretId": "secret-arn", "rotationRules": {"automaticallyAfterDays": 180}})],
        lambda: [res(R.SECRET, "s", {}, id="secret-arn"),
                 res(R.SECRET_ROTATION, "rot", {"secretId": "secret-arn", "rotationRules": {"automaticallyAfterDays": 30}})]),
    "s3-bucket-public-access-blocked": bucket_case({"bpa": {"restrictPublicBuckets": False}}),
    "s3-bucket-tls-only": bucket_case({"policy": {"policy": doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                                 "Resource": "*", "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}})}}),
    "s3-bucket-acls-disabled": bucket_case({"ownership": {"rule": {"objectOwnership": "ObjectWriter"}}}),
    "s3-bucket-access-logging": bucket_case({"skip": ("logging",)}),
    "s3-bucket-lifecycle": bucket_case({"lifecycle": {"rules": [{"id": "r", "status": "Enabled",
                                                                 "expiration": {"days": 30}}]}}),
    "s3-bucket-versioning": bucket_case({"versioning": {"versioningConfiguration": {"status": "Suspended"}}}),
    "s3-bucket-default-encryption": bucket_case({"skip": ("sse",)}),
    "s3-bucket-kms-encryption": bucket_case({"sse": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}}),
    "s3-bucket-replication": bucket_case({"skip": ("replication",)}),
    "s3-bucket-event-notifications": bucket_case({"skip": ("notification",)}),
    "s3-bucket-object-lock": bucket_case({"skip": ("lock",)}),
    "s3-bucket-policy-not-public": one(
        R.BUCKET_POLICY[0], {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:b/*"})},
        {"policy": doc({"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                        "Resource": "arn:b/*", "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::1:distribution/D"}}})}),
    "s3-bucket-policy-no-admin-grants": one(
        R.BUCKET_POLICY[0], {"policy": doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999:root"},
                                            "Action": "s3:PutBucketPolicy", "Resource": "arn:b"})},
        {"policy": doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999:root"}, "Action": "s3:GetObject",
                        "Resource": "arn:b/*"})}),
    "s3-account-public-access-block": one(
        R.ACCOUNT_BPA, {"blockPublicAcls": True, "blockPublicPolicy": True},
        {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}),
    "cloudfront-default-root-object": one(R.DISTRIBUTION, distribution(defaultRootObject=""), distribution()),
    "cloudfront-viewer-https": one(
        R.DISTRIBUTION,
        distribution(orderedCacheBehaviors=[{"pathPattern": "/api/*", "viewerProtocolPolicy": "allow-all"}]),
        distribution()),
    "cloudfront-origin-failover": one(R.DISTRIBUTION, distribution(originGroups=[]), distribution()),
    "cloudfront-access-logging": (
        lambda: [res(R.DISTRIBUTION, "cdn", distribution(loggingConfig=None), id="E1", arn="arn:aws:cloudfront::1:distribution/E1")],
        lambda: [res(R.DISTRIBUTION, "cdn", distribution(loggingConfig=None), id="E1", arn="arn:aws:cloudfront::1:distribution/E1"),
                 res(R.LOG_DELIVERY_SOURCE, "cdn-logs", {"resourceArn": "arn:aws:cloudfront::1:distribution/E1",
                                                         "logType": "ACCESS_LOGS", "name": "cdn-logs-src"}),
                 res(R.LOG_DELIVERY_DESTINATION, "cdn-logs-dest", {"deliveryDestinationType": "S3"},
                     arn="arn:aws:logs:us-east-1:1:delivery-destination:cdn-logs-dest"),
                 res(R.LOG_DELIVERY, "cdn-delivery", {"deliverySourceName": "cdn-logs-src",
                                                      "deliveryDestinationArn": "arn:aws:logs:us-east-1:1:delivery-destination:cdn-logs-dest"})]),
    "cloudfront-waf": (
        lambda: [res(R.DISTRIBUTION, "cdn", distribution(webAclId="arn:regional-acl")),
                 res(R.WEB_ACL, "acl", web_acl(scope="REGIONAL"), arn="arn:regional-acl")],
        lambda: [res(R.DISTRIBUTION, "cdn", distribution(webAclId="arn:edge-acl")),
                 res(R.WEB_ACL, "acl", web_acl(), arn="arn:edge-acl")]),
    "cloudfront-custom-certificate": one(
        R.DISTRIBUTION, distribution(viewerCertificate={"cloudfrontDefaultCertificate": True}), distribution()),
    "cloudfront-sni": one(
        R.DISTRIBUTION, distribution(viewerCertificate={"acmCertificateArn": "arn:acm", "sslSupportMethod": "vip",
                                                        "minimumProtocolVersion": "TLSv1.2_2021"}), distribution()),
    "cloudfront-origin-https": one(
        R.DISTRIBUTION, distribution(origins=[{"originId": "api", "domainName": "api.example.com",
                                               "customOriginConfig": {"originProtocolPolicy": "match-viewer",
                                                                      "originSslProtocols": ["TLSv1", "TLSv1.2"]}}]),
        distribution()),
    "cloudfront-s3-origin-exists": (
        lambda: [res(R.DISTRIBUTION, "cdn", distribution()), *bucket_set("other")],
        lambda: [res(R.DISTRIBUTION, "cdn", distribution()), *bucket_set("site")]),
    "cloudfront-origin-access-control": one(
        R.DISTRIBUTION, distribution(origins=[{"originId": "site", "domainName": "site-bucket-1234567.s3.us-west-2.amazonaws.com",
                                               "s3OriginConfig": {"originAccessIdentity": "origin-access-identity/cloudfront/E"}}]),
        distribution()),
    "cloudfront-oac-signs-requests": one(
        R.OAC, {"originAccessControlOriginType": "s3", "signingBehavior": "no-override", "signingProtocol": "sigv4"},
        {"originAccessControlOriginType": "s3", "signingBehavior": "always", "signingProtocol": "sigv4"}),
    "cloudfront-viewer-tls-policy": one(
        R.DISTRIBUTION, distribution(viewerCertificate={"acmCertificateArn": "arn:acm", "sslSupportMethod": "sni-only"}),
        distribution()),
    "waf-web-acl-has-rules": one(R.WEB_ACL, web_acl(rules=[]), web_acl()),
    "waf-rule-metrics": one(
        R.WEB_ACL, web_acl(rules=[{"name": "r", "visibilityConfig": {"cloudwatchMetricsEnabled": False}}]), web_acl()),
    "waf-web-acl-logging": (
        lambda: [res(R.WEB_ACL, "acl", web_acl(), arn="arn:acl"),
                 res(R.LOG_GROUP, "waf-logs", {"name": "waf-logs"}, arn="arn:lg"),
                 res(R.WAF_LOGGING, "acl-logging", {"resourceArn": "arn:acl", "logDestinationConfigs": ["arn:lg"]})],
        lambda: [res(R.WEB_ACL, "acl", web_acl(), arn="arn:acl"),
                 res(R.LOG_GROUP, "waf-logs", {"name": "aws-waf-logs-vitality"}, arn="arn:lg"),
                 res(R.WAF_LOGGING, "acl-logging", {"resourceArn": "arn:acl", "logDestinationConfigs": ["arn:lg"]})]),
    "ecr-image-scanning": (
        lambda: [res(R.ECR_REPO, "repo", {"imageScanningConfiguration": {"scanOnPush": False}})],
        lambda: [res(R.ECR_REPO, "repo", {}),
                 res(R.ECR_SCANNING, "scan", {"scanType": "ENHANCED", "rules": [
                     {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]})]),
    "ecr-tag-immutability": one(R.ECR_REPO, {}, {"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"}),
    "ecr-lifecycle-policy": (
        lambda: [res(R.ECR_REPO, "repo", {}, id="vitality-api")],
        lambda: [res(R.ECR_REPO, "repo", {}, id="vitality-api"),
                 res(R.ECR_LIFECYCLE, "repo-lifecycle", {"repository": "vitality-api", "policy": "{}"})]),
    "ecr-kms-encryption": one(R.ECR_REPO, {"encryptionConfigurations": [{"encryptionType": "AES256"}]},
                              {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:k"}]}),
    "apprunner-vpc-egress": one(R.APPRUNNER, apprunner(networkConfiguration={"egressConfiguration": {"egressType": "DEFAULT"}}),
                                apprunner()),
    "apprunner-private-ingress": one(
        R.APPRUNNER, apprunner(networkConfiguration={"egressConfiguration": {"egressType": "VPC", "vpcConnectorArn": "arn:c"}}),
        apprunner()),
    "apprunner-observability": one(R.APPRUNNER, apprunner(observabilityConfiguration=None), apprunner()),
    "apprunner-cmk-and-health-check": one(R.APPRUNNER, apprunner(healthCheckConfiguration={"unhealthyThreshold": 10}),
                                          apprunner()),
    "apprunner-connector-private-subnets": (
        lambda: [*routed_subnets(database_route={"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}), res(R.CONNECTOR, "connector", {"subnets": ["subnet-db-a"]})],
        lambda: [*routed_subnets(database_route={"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}), res(R.CONNECTOR, "connector", {"subnets": ["subnet-db-a"]})]),
    "api-origin-web-acl": (
        lambda: protected_service(associate=False), lambda: protected_service()),
    "api-origin-verify-header": (
        lambda: protected_service(secret="something-else"), lambda: protected_service()),
    "policy-exceptions-hold": (
        lambda: protected_service(associate=False, exception=True), lambda: protected_service(exception=True)),
    "alb-hardening": one(
        R.LOAD_BALANCER, {"loadBalancerType": "application", "dropInvalidHeaderFields": False, "desyncMitigationMode": "monitor"},
        {"loadBalancerType": "application", "dropInvalidHeaderFields": True, "desyncMitigationMode": "strictest",
         "accessLogs": {"bucket": "alb-logs-1234567", "enabled": True}}),
    "alb-deletion-protection": one(R.LOAD_BALANCER, {"enableDeletionProtection": False}, {"enableDeletionProtection": True},
                                   env="prod"),
    "alb-http-redirect": one(
        R.LISTENER, {"protocol": "HTTP", "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]},
        {"protocol": "HTTP", "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443",
                                                                                  "statusCode": "HTTP_301"}}]}),
    "alb-waf-associated": (
        lambda: [res(R.LOAD_BALANCER, "alb", {"loadBalancerType": "application"}, arn="arn:aws:elasticloadbalancing:lb/app/a/1")],
        lambda: [res(R.LOAD_BALANCER, "alb", {"loadBalancerType": "application"}, arn="arn:aws:elasticloadbalancing:lb/app/a/1"),
                 res(R.WAF_ASSOCIATION, "alb-waf", {"resourceArn": "arn:aws:elasticloadbalancing:lb/app/a/1",
                                                    "webAclArn": "arn:acl"})]),
    "cloudfront-vpc-origin-https": one(
        R.VPC_ORIGIN, {"vpcOriginEndpointConfig": {"originProtocolPolicy": "http-only",
                                                   "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1}}},
        {"vpcOriginEndpointConfig": {"originProtocolPolicy": "https-only",
                                     "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1}}}),
    "ecs-cluster-container-insights": one(R.ECS_CLUSTER, {"settings": [{"name": "containerInsights", "value": "disabled"}]},
                                          {"settings": [{"name": "containerInsights", "value": "enhanced"}]}),
    "ecs-service-private-and-current": one(
        R.ECS_SERVICE, {"launchType": "FARGATE", "platformVersion": "1.3.0", "networkConfiguration": {"assignPublicIp": True}},
        {"launchType": "FARGATE", "platformVersion": "LATEST", "networkConfiguration": {"assignPublicIp": False}}),
    "ecs-task-definition-hardening": one(
        R.TASK_DEFINITION,
        {"containerDefinitions": json.dumps([{"name": "api", "privileged": True,
                                              "environment": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "x"}]}])},
        {"containerDefinitions": json.dumps([{"name": "api", "readonlyRootFilesystem": True,
                                              "logConfiguration": {"logDriver": "awslogs"}}])}),
    "log-group-retention": one(R.LOG_GROUP, {"retentionInDays": 30, "kmsKeyId": "k"},
                               {"retentionInDays": 365, "kmsKeyId": "k"}, env="prod"),
    "log-group-kms": one(R.LOG_GROUP, {"retentionInDays": 30}, {"retentionInDays": 30, "kmsKeyId": "arn:k"}),
    "alarm-notifies-topic": (
        lambda: [res(R.TOPIC, "topic", {}, arn="arn:aws:sns:us-west-2:1:t"),
                 res(R.METRIC_ALARM, "alarm", {"alarmActions": ["arn:aws:sns:us-west-2:1:elsewhere"]})],
        lambda: [res(R.TOPIC, "topic", {}, arn="arn:aws:sns:us-west-2:1:t"),
                 res(R.METRIC_ALARM, "alarm", {"alarmActions": ["arn:aws:sns:us-west-2:1:t"]}),
                 res(R.COMPOSITE_ALARM, "composite", {"alarmActions": ["arn:aws:sns:us-west-2:1:t"]})]),
    "alarm-actions-enabled": one(R.METRIC_ALARM, {"actionsEnabled": False}, {"alarmActions": ["arn:t"]}),
    "sns-topic-kms": one(R.TOPIC, {"kmsMasterKeyId": "alias/aws/sns"}, {"kmsMasterKeyId": "arn:aws:kms:k"}),
    "sns-topic-policy-not-public": one(
        R.TOPIC_POLICY, {"policy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish", "Resource": "t"})},
        {"policy": doc({"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "SNS:Publish",
                        "Resource": "t", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
                       {"Effect": "Deny", "Principal": "*", "Action": "SNS:Publish", "Resource": "t"})}),
    "cloudtrail-multi-region-management-events": one(
        R.TRAIL, trail(isMultiRegionTrail=None),
        trail(advancedEventSelectors=[{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}])),
    "cloudtrail-kms-validation-cloudwatch": one(R.TRAIL, trail(enableLogFileValidation=None), trail()),
    "cloudtrail-s3-data-events": one(
        R.TRAIL, trail(advancedEventSelectors=[{"fieldSelectors": [
            {"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "readOnly", "equals": ["false"]}]}]),
        trail(advancedEventSelectors=[{"fieldSelectors": [
            {"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}])),
    "cloudtrail-bucket-private-and-logged": (
        lambda: [res(R.TRAIL, "trail", trail()), *bucket_set("audit", skip=("logging",))],
        lambda: [res(R.TRAIL, "trail", trail()), *bucket_set("audit")]),
    "config-recorder-all-resources": one(
        R.RECORDER, {"roleArn": "arn:aws:iam::1:role/config-role", "recordingGroup": {"allSupported": True}},
        {"roleArn": f"arn:aws:iam::1:role/{R.CONFIG_SLR}",
         "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}}),
    "config-recorder-enabled": one(R.RECORDER_STATUS, {"isEnabled": False}, {"isEnabled": True}),
    "securityhub-no-default-standards": one(R.HUB, {}, {"enableDefaultStandards": False,
                                                        "controlFindingGenerator": "SECURITY_CONTROL"}),
    "guardduty-detector-enabled": one(R.DETECTOR, {"enable": False}, {}),
    "guardduty-workload-protections": (
        lambda: [res(R.DETECTOR, "gd", {}, id="det-1"),
                 res(R.DETECTOR_FEATURE, "s3", {"detectorId": "det-1", "name": "S3_DATA_EVENTS", "status": "ENABLED"}),
                 res(R.DETECTOR_FEATURE, "rds", {"detectorId": "det-1", "name": "RDS_LOGIN_EVENTS", "status": "DISABLED"})],
        lambda: [res(R.DETECTOR, "gd", {}, id="det-1")] + [
            res(R.DETECTOR_FEATURE, f, {"detectorId": "det-1", "name": f, "status": "ENABLED"})
            for f in ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS")]),
    "guardduty-all-protection-plans": (
        lambda: [res(R.DETECTOR, "gd", {}, id="det-1")],
        lambda: [res(R.DETECTOR, "gd", {}, id="det-1")] + [
            res(R.DETECTOR_FEATURE, f, {"detectorId": "det-1", "name": f, "status": "ENABLED"})
            for f in ("EKS_AUDIT_LOGS", "LAMBDA_NETWORK_LOGS", "EBS_MALWARE_PROTECTION", "RUNTIME_MONITORING")]),
    "ebs-default-encryption": one(R.EBS_DEFAULT, {"enabled": False}, {}),
    "account-baseline-complete": (lambda: baseline(skip=("cis", "support")), lambda: baseline()),
    "account-security-contact": one(R.CONTACT, {"alternateContactType": "SECURITY", "name": "Sec"},
                                    {"alternateContactType": "SECURITY", "name": "Sec", "emailAddress": "s@x",
                                     "phoneNumber": "+1", "title": "CISO"}),
    "prod-stateful-resources-protected": (
        lambda: [res(R.ECR_REPO, "repo", {"forceDelete": True}, env="prod", protect=True)],
        lambda: [res(R.ECR_REPO, "repo", {"forceDelete": False}, env="prod", protect=True)]),
    "required-tags": (
        lambda: [dataclasses.replace(res(R.VPC, "vpc"), inputs={"tags": {"Project": "vitality"}})],
        lambda: [res(R.VPC, "vpc")]),
}


# Rules whose subjects must not exist at all: compliance is their absence.
ABSENCE_RULES = {"iam-no-long-lived-credentials"}


def _stack(resources: list[Resource]) -> str:
    return resources[0].urn.split(":")[2]


@pytest.mark.parametrize("rule", R.RULES, ids=lambda r: r.name)
def test_rule_fails_on_a_violating_resource_and_passes_a_compliant_one(rule: R.Rule) -> None:
    assert rule.name in CASES, f"rule {rule.name} has no test case"
    bad, good = (make() for make in CASES[rule.name])
    failing = run(rule, bad, _stack(bad))
    assert failing.violations, f"{rule.name} did not flag {[r.name for r in bad]}"
    assert all(v.rule is rule for v in failing.violations)
    passing = run(rule, good, _stack(good))
    assert passing.violations == [], [v.message for v in passing.violations]
    if rule.name not in ABSENCE_RULES:
        assert passing.passed[rule.name], f"{rule.name} passed nothing: it did not examine its subjects"


def test_every_case_names_a_rule() -> None:
    assert set(CASES) == set(R.RULES_BY_NAME)


@pytest.mark.parametrize("rule", [r for r in R.RULES if r.prod_only], ids=lambda r: r.name)
def test_prod_only_rules_do_not_apply_to_dev(rule: R.Rule) -> None:
    bad = CASES[rule.name][0]()
    dev = [dataclasses.replace(r, urn=r.urn.replace(":prod::", ":dev::"),
                               inputs={**r.inputs, "tags": {**r.inputs["tags"], "Environment": "dev"}},
                               outputs={**r.outputs, "tags": {**r.inputs["tags"], "Environment": "dev"}}) for r in bad]
    result = run(rule, dev, "dev")
    assert result.violations == [] and rule in result.not_applicable


def test_stateful_rule_reads_protect_from_the_capture_options() -> None:
    rule = R.RULES_BY_NAME["prod-stateful-resources-protected"]
    unprotected = run(rule, [res(R.KMS_KEY, "key", {}, env="prod", protect=False)], "prod")
    assert [v.message for v in unprotected.violations] == ["not protected (pulumi protect)"]
    assert run(rule, [res(R.KMS_KEY, "key", {}, env="prod", protect=True)], "prod").violations == []


def test_log_retention_is_stricter_in_prod() -> None:
    rule = R.RULES_BY_NAME["log-group-retention"]
    assert run(rule, [res(R.LOG_GROUP, "lg", {"retentionInDays": 30})]).violations == []
    assert run(rule, [res(R.LOG_GROUP, "lg", {})]).violations  # never expire is not a retention choice


def test_sg_rules_read_every_rule_shape() -> None:
    rule = R.RULES_BY_NAME["security-group-no-world-admin-ports"]
    shapes = [
        res(R.SG_RULE, "legacy", {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}),
        res(R.SG_INGRESS, "v6", {"cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389}),
        res(R.SG, "inline", {"ingress": [{"protocol": "tcp", "fromPort": 5000, "toPort": 6000, "ipv6CidrBlocks": ["::/0"]}]}),
    ]
    assert sorted(v.resource for v in run(rule, shapes).violations) == ["inline", "legacy", "v6"]
    egress = res(R.SG_RULE, "egress", {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]})
    assert run(rule, [egress]).violations == []


def test_database_subnet_without_association_uses_the_unmanaged_main_table() -> None:
    rule = R.RULES_BY_NAME["database-subnets-no-internet-route"]
    messages = [v.message for v in run(rule, routed_subnets(associate=False)).violations]
    assert messages and "main route table" in messages[0]


def test_stack_rules_resolve_references_through_property_dependencies_when_ids_are_unknown() -> None:
    """pulumi preview: the VPC id is unknown, but the flow log's vpcId dependency still names the VPC."""
    rule = R.RULES_BY_NAME["vpc-flow-logs-enabled"]
    vpc = res(R.VPC, "vpc", {}, id="")
    flow = res(R.FLOW_LOG, "flow", {"vpcId": "<computed>", "trafficType": "ALL"}, deps={"vpcId": [vpc]})
    assert run(rule, [vpc, flow], preview=True).violations == []
    orphan = res(R.FLOW_LOG, "flow", {"vpcId": "<computed>", "trafficType": "ALL"})
    assert run(rule, [vpc, orphan], preview=True).violations


def test_resource_rule_reading_an_unknown_value_is_skipped_like_crossguard() -> None:
    rule = R.RULES_BY_NAME["log-group-kms"]
    result = run(rule, [res(R.LOG_GROUP, "lg", {"kmsKeyId": "<computed>"})], preview=True)
    assert result.violations == [] and result.passed["log-group-kms"] == []
    assert result.skipped and "kmsKeyId" in result.skipped[0][1]


def test_adapter_hands_crossguard_shaped_arguments() -> None:
    resources = [res(R.KMS_KEY, "key", {"enableKeyRotation": True}, protect=True)]
    capture = SimpleNamespace(stack="dev", preview=False, resources=resources)
    args = resource_args(capture, resources[0])
    assert args.resource_type == R.KMS_KEY and args.name == "key" and args.opts.protect is True
    assert args.props["enableKeyRotation"] is True
    view = StackView(stack_args(capture))
    assert view.stack == "dev" and view.environment == "dev"
    assert view.resolve("key-id") is view.resources[0] and view.resolve(resources[0].outputs["arn"]) is view.resources[0]


# ------------------------------------------------------------------------------------------------
# Exceptions: honoured only for the exact finding, while its conditions and review date hold
# ------------------------------------------------------------------------------------------------

RULE_NAME = "cloudfront-custom-certificate"
REVIEW = datetime.date(2027, 5, 31)
FINDING = "uses the default *.cloudfront.net certificate"
HTTPS = (Compensating("cloudfront-viewer-https", "viewers on HTTPS"),)


def _exception(rule: str = RULE_NAME, resource: str = "vitality-dev-cdn", finding: str = FINDING, *,
               review: datetime.date = REVIEW, where: tuple = (), **scope: str) -> PolicyException:
    scope = scope or {"environment": "dev"}
    return PolicyException(rule, resource, "reason", review, finding, where=where, compensating=HTTPS, **scope)


def _excepted_rule(*exceptions: PolicyException) -> R.Rule:
    return dataclasses.replace(R.RULES_BY_NAME[RULE_NAME], exceptions=exceptions)


def _cdn(env: str = "dev", **certificate: Any) -> list[Resource]:
    return [res(R.DISTRIBUTION, "vitality-dev-cdn",
                distribution(viewerCertificate=certificate or {"cloudfrontDefaultCertificate": True}), env=env)]


def test_exact_exception_suppresses_and_is_reported_as_excepted() -> None:
    exception = _exception()
    result = run(_excepted_rule(exception), _cdn())
    assert result.violations == []
    assert [(f.resource, f.exception) for f in result.excepted] == [("vitality-dev-cdn", exception)]
    assert run(_excepted_rule(_exception(stack="dev")), _cdn()).violations == []
    pinned = _exception(where=(("viewerCertificate.cloudfrontDefaultCertificate", True),))
    assert run(_excepted_rule(pinned), _cdn()).violations == []


@pytest.mark.parametrize(
    "near_miss",
    [
        _exception("cloudfront-sni"),
        _exception(resource="vitality-dev-cdn-2"),
        _exception(resource="vitality-dev"),
        _exception(resource="Vitality-Dev-Cdn"),
        _exception(environment="prod"),
        _exception(stack="staging"),
        _exception(finding="uses the default certificate"),
        _exception(finding=FINDING.upper()),
        _exception(where=(("viewerCertificate.cloudfrontDefaultCertificate", False),)),
        _exception(where=(("viewerCertificate.minimumProtocolVersion", "TLSv1.2_2021"),)),
    ],
    ids=["rule", "resource", "prefix", "case", "environment", "stack", "other-finding", "finding-case",
         "where-value", "where-missing"],
)
def test_near_miss_exception_does_not_suppress(near_miss: PolicyException) -> None:
    result = run(_excepted_rule(near_miss), _cdn())
    assert [v.resource for v in result.violations] == ["vitality-dev-cdn"]
    assert result.excepted == []


def test_exception_in_prod_does_not_leak_into_dev() -> None:
    prod_only = _exception(environment="prod")
    assert run(_excepted_rule(prod_only), _cdn("prod"), "prod").violations == []
    assert run(_excepted_rule(prod_only), _cdn("dev")).violations


def test_expired_exception_no_longer_suppresses() -> None:
    expired = _exception(review=datetime.date(2026, 11, 30))
    token = TODAY.set(datetime.date(2026, 12, 1))
    try:
        result = run(_excepted_rule(expired), _cdn())
    finally:
        TODAY.reset(token)
    assert [v.message for v in result.violations] == [
        f"{FINDING} (its exception was due for review on 2026-11-30 and no longer applies)"]


def test_exception_file_entries_are_validated() -> None:
    entry = {"rule": RULE_NAME, "environment": "dev", "resource": "cdn", "finding": FINDING, "reason": "r",
             "review": "2027-01-31", "where": {"viewerCertificate.cloudfrontDefaultCertificate": True},
             "compensating": [{"rule": "cloudfront-viewer-https", "why": "viewers on HTTPS"}]}
    parsed = parse_exceptions({"exceptions": [entry]})[0]
    assert parsed.review == datetime.date(2027, 1, 31) and parsed.finding == FINDING
    assert parsed.where == (("viewerCertificate.cloudfrontDefaultCertificate", True),)
    assert parsed.compensating == (Compensating("cloudfront-viewer-https", "viewers on HTTPS"),)
    assert parse_exceptions(None) == ()

    def without(*keys: str, **extra: Any) -> dict:
        return {**{k: v for k, v in entry.items() if k not in keys}, **extra}

    broken = [
        without("environment"),  # no scope
        without(stack="dev"),  # both scopes
        without("reason"),
        without("finding"),  # the old format: rule and resource only
        without("compensating"),
        without(compensating=[]),
        without(compensating=[{"rule": "cloudfront-viewer-https"}]),
        without(review="soon"),
        without(where=["viewerCertificate"]),
        without(expires="x"),
    ]
    for bad in broken:
        with pytest.raises(ExceptionFileError):
            parse_exceptions({"exceptions": [bad]})


def test_tls_deny_accepts_a_json_boolean_condition() -> None:
    rule = R.RULES_BY_NAME["s3-bucket-tls-only"]
    arn = "arn:aws:s3:::logs-bucket-1234567"
    policy = {"policy": {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:*"],
                                        "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": False}}}]}}
    assert run(rule, bucket_set(policy=policy)).violations == []


@pytest.mark.parametrize(
    "condition,violations",
    [
        ({"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-west-2:b4098e5d-b6a0-c8c3-8092-588fb96c10bb"},
          "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}, 0),
        ({"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}, 1),
    ],
    ids=["pinned-to-pool", "any-pool"],
)
def test_cognito_identity_pool_roles_are_pinned_by_audience(condition: dict, violations: int) -> None:
    role = res(R.ROLE, "guest", {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                                                          "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})})
    assert len(run(R.RULES_BY_NAME["iam-role-trust-scoped"], [role]).violations) == violations
