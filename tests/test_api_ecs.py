"""The API on ECS (both stacks' platform): an internal load balancer in the private subnets that only CloudFront's
VPC origin reaches, the task definition and service, the security groups on the path, and the HTTPS hop that a
custom origin domain turns on."""

from __future__ import annotations

import json
import re

import pytest

from offline import Capture
from tests.conftest import capture_for, policy, statements
from tests.test_frontend import origin

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
WORLD = ("0.0.0.0/0", "::/0")
DOMAIN = {"vitality:api.domain": "api-origin.vitality.example", "vitality:api.hostedZoneId": "Z0123456789ABCDEFGHIJ"}


@pytest.fixture
def cap(stack: str) -> Capture:
    return capture_for(stack)


def groups(capture: Capture) -> dict[str, object]:
    return {r.name.removeprefix(f"vitality-{capture.stack}-net-"): r for r in capture.of_type(SG)}


def rules_of(capture: Capture, typ: str, group) -> list:
    return [r for r in capture.of_type(typ) if r.inputs["securityGroupId"] == group.id]


def containers(capture: Capture) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(capture.one(TASK).inputs["containerDefinitions"])}


def test_the_load_balancer_is_internal_in_the_private_subnets(cap: Capture) -> None:
    lb = cap.one(LB)
    private = sorted(r.id for r in cap.of_type("aws:ec2/subnet:Subnet") if r.inputs["tags"]["Tier"] == "private")
    assert lb.inputs["internal"] is True and lb.inputs["loadBalancerType"] == "application"
    assert sorted(lb.inputs["subnets"]) == private
    assert lb.inputs["securityGroups"] == [groups(cap)["alb"].id]
    assert lb.inputs["dropInvalidHeaderFields"] is True
    assert lb.inputs["desyncMitigationMode"] == "strictest"
    assert lb.inputs["enableDeletionProtection"] is (cap.stack == "prod")
    assert lb.outputs["dnsName"].startswith("internal-")


def test_access_logs_go_to_an_sse_s3_bucket_elb_can_write(cap: Capture) -> None:
    lb = cap.one(LB)
    bucket = cap.named(f"vitality-{cap.stack}-api-alb-logs", "aws:s3/bucket:Bucket")
    assert lb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "alb", "enabled": True}
    sse = next(r for r in cap.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
               if r.inputs["bucket"] == bucket.id)
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    bucket_policy = next(r for r in cap.of_type("aws:s3/bucketPolicy:BucketPolicy") if r.inputs["bucket"] == bucket.id)
    by_sid = {s["Sid"]: s for s in statements(policy(bucket_policy))}
    # us-west-2 opened before August 2022: the regional ELB account writes the logs
    assert by_sid["ElbAccessLogs"]["Principal"] == {"AWS": "arn:aws:iam::797873946194:root"}
    assert by_sid["ElbAccessLogs"]["Action"] == "s3:PutObject"
    assert by_sid["ElbAccessLogs"]["Resource"] == f"{bucket.outputs['arn']}/alb/AWSLogs/111122223333/*"
    assert "DenyInsecureTransport" in by_sid
    assert bucket.protect is (cap.stack == "prod")
    assert bucket_policy.urn in lb.dependencies  # ELB writes a test object when logging is turned on


def test_no_security_group_on_the_path_admits_the_world(cap: Capture) -> None:
    found = groups(cap)
    for key in ("alb", "app", "database"):
        for rule in rules_of(cap, INGRESS, found[key]):
            assert rule.inputs.get("cidrIpv4") not in WORLD and rule.inputs.get("cidrIpv6") not in WORLD, rule.name
            assert not rule.inputs.get("cidrIpv4") and not rule.inputs.get("cidrIpv6"), rule.name


def test_only_cloudfront_reaches_the_load_balancer_and_only_it_reaches_the_tasks(cap: Capture) -> None:
    found = groups(cap)
    alb, app = found["alb"], found["app"]
    [cloudfront] = rules_of(cap, INGRESS, alb)
    assert cloudfront.inputs["prefixListId"] == "pl-82a045eb"  # com.amazonaws.global.cloudfront.origin-facing, us-west-2
    assert (cloudfront.inputs["fromPort"], cloudfront.inputs["toPort"]) == (80, 80)
    [to_tasks] = rules_of(cap, EGRESS, alb)
    assert (to_tasks.inputs["referencedSecurityGroupId"], to_tasks.inputs["fromPort"]) == (app.id, 8000)
    [from_alb] = rules_of(cap, INGRESS, app)
    assert (from_alb.inputs["referencedSecurityGroupId"], from_alb.inputs["fromPort"], from_alb.inputs["toPort"]) == (alb.id, 8000, 8000)


def test_the_database_still_admits_only_the_tasks_group(cap: Capture) -> None:
    found = groups(cap)
    [rule] = rules_of(cap, INGRESS, found["database"])
    assert rule.inputs["referencedSecurityGroupId"] == found["app"].id
    assert cap.one(SERVICE).inputs["networkConfiguration"]["securityGroups"] == [found["app"].id]


def test_the_distribution_reaches_the_api_through_the_vpc_origin_of_that_load_balancer(cap: Capture) -> None:
    lb, vpc_origin = cap.one(LB), cap.one(VPC_ORIGIN)
    config = vpc_origin.inputs["vpcOriginEndpointConfig"]
    assert config["arn"] == lb.outputs["arn"]
    assert config["originProtocolPolicy"] == "http-only" and config["httpPort"] == 80
    distribution = cap.one("aws:cloudfront/distribution:Distribution")
    api = origin(cap, "api")
    assert api["vpcOriginConfig"]["vpcOriginId"] == vpc_origin.id
    assert api["domainName"] == lb.outputs["dnsName"]
    assert "customOriginConfig" not in api
    assert api["customHeaders"][0]["name"] == "X-Origin-Verify"
    [behaviour] = [b for b in distribution.inputs["orderedCacheBehaviors"] if b["pathPattern"] == "/api/*"]
    assert behaviour["targetOriginId"] == "api"


def test_the_origin_switches_only_after_the_service_is_steady(cap: Capture) -> None:
    """A migration keeps CloudFront on the old origin until the new service has healthy targets."""
    distribution = cap.one("aws:cloudfront/distribution:Distribution")
    service = cap.one(SERVICE)
    assert service.inputs["waitForSteadyState"] is True
    assert service.urn in distribution.property_dependencies["origins"]


def test_the_regional_web_acl_guards_the_load_balancer(cap: Capture) -> None:
    (acl,) = [r for r in cap.of_type("aws:wafv2/webAcl:WebAcl") if r.inputs["scope"] == "REGIONAL"]
    (association,) = cap.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == cap.one(LB).outputs["arn"]
    assert association.inputs["webAclArn"] == acl.outputs["arn"]
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert rules["require-cloudfront-origin-header"]["priority"] == 0
    rate = rules["rate-limit-per-viewer"]["statement"]["rateBasedStatement"]
    assert rate["limit"] == 2000 and rate["aggregateKeyType"] == "FORWARDED_IP"
    assert rate["forwardedIpConfig"] == {"headerName": "X-Forwarded-For", "fallbackBehavior": "MATCH"}
    assert [n for n in rules if n.startswith("AWSManagedRules")] == [
        "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"
    ]
    assert len({r["priority"] for r in acl.inputs["rules"]}) == len(acl.inputs["rules"])


def test_the_service_runs_private_and_rolls_back(cap: Capture) -> None:
    service, tg = cap.one(SERVICE), cap.one(TG)
    assert service.inputs["launchType"] == "FARGATE" and service.inputs["platformVersion"] == "LATEST"
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service.inputs["healthCheckGracePeriodSeconds"] == 60
    assert service.inputs["enableExecuteCommand"] is False
    assert service.inputs["propagateTags"] == "SERVICE" and service.inputs["enableEcsManagedTags"] is True
    assert service.inputs["deploymentMinimumHealthyPercent"] == 100
    assert service.inputs["loadBalancers"] == [{"targetGroupArn": tg.outputs["arn"], "containerName": "api", "containerPort": 8000}]
    assert service.inputs["cluster"] == cap.one("aws:ecs/cluster:Cluster").outputs["arn"]
    assert cap.one(LISTENER).urn in service.dependencies
    assert {"name": "containerInsights", "value": "enhanced"} in cap.one("aws:ecs/cluster:Cluster").inputs["settings"]
    assert tg.inputs["targetType"] == "ip" and tg.inputs["port"] == 8000


def test_the_task_is_read_only_logged_and_traced(cap: Capture) -> None:
    task = cap.one(TASK)
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"] and task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["volumes"] == [{"name": "tmp"}]
    assert task.inputs["skipDestroy"] is True
    found = containers(cap)
    assert set(found) == {"api", "aws-otel-collector"}
    logs = cap.named(f"vitality-{cap.stack}-api-logs", "aws:cloudwatch/logGroup:LogGroup")
    for container in found.values():
        assert container["readonlyRootFilesystem"] is True and container["privileged"] is False
        assert container["logConfiguration"]["logDriver"] == "awslogs"
        assert container["logConfiguration"]["options"]["awslogs-group"] == logs.outputs["name"]
    assert found["api"]["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
    collector = found["aws-otel-collector"]
    image, _, tag = collector["image"].rpartition(":")
    assert image == "public.ecr.aws/aws-observability/aws-otel-collector" and tag.startswith("v") and tag != "latest"
    assert collector["command"] == ["--config=/etc/ecs/ecs-xray.yaml"]
    env = {e["name"]: e["value"] for e in found["api"]["environment"]}
    assert env["OTEL_SERVICE_NAME"] == f"vitality-{cap.stack}-api"
    assert logs.inputs["kmsKeyId"] == cap.named(f"vitality-{cap.stack}-kms-logs", "aws:kms/key:Key").outputs["arn"]


def test_no_api_resource_has_a_public_endpoint(cap: Capture) -> None:
    api = cap.named(f"vitality-{cap.stack}-api", "vitality:platform:Api")
    types = {r.type for r in cap.descendants(api.urn)}
    assert not {"aws:apprunner/service:Service", "aws:ecs/expressGatewayService:ExpressGatewayService"} & types
    assert all(lb.inputs["internal"] for lb in cap.of_type(LB))
    assert cap.one(SERVICE).inputs["networkConfiguration"]["assignPublicIp"] is False
    assert not cap.outputs["apiOriginUrl"].startswith("https://")  # the origin URL is inside the VPC only


def test_a_custom_origin_domain_turns_the_vpc_hop_into_https() -> None:
    capture = capture_for("prod", overrides=DOMAIN)
    listener, vpc_origin = capture.one(LISTENER), capture.one(VPC_ORIGIN)
    certificate = capture.one("aws:acm/certificate:Certificate")  # frontend.domain is unset: only the API's
    assert certificate.inputs["domainName"] == DOMAIN["vitality:api.domain"]
    assert certificate.inputs.get("region") is None  # regional: the load balancer's certificate
    assert listener.inputs["protocol"] == "HTTPS" and listener.inputs["port"] == 443
    assert listener.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    config = vpc_origin.inputs["vpcOriginEndpointConfig"]
    assert config["originProtocolPolicy"] == "https-only"
    assert config["originSslProtocols"] == {"items": ["TLSv1.2"], "quantity": 1}
    [cloudfront] = [r for r in capture.of_type(INGRESS) if r.inputs.get("prefixListId")]
    assert (cloudfront.inputs["fromPort"], cloudfront.inputs["toPort"]) == (443, 443)
    assert origin(capture, "api")["domainName"] == DOMAIN["vitality:api.domain"]
    alias = capture.named("vitality-prod-api-origin-alias", "aws:route53/record:Record")
    assert alias.inputs["aliases"][0]["name"] == capture.one(LB).outputs["dnsName"]
    assert capture.outputs["apiOriginUrl"] == "https://" + DOMAIN["vitality:api.domain"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_builds_the_same_path(stack: str) -> None:
    capture = capture_for(stack, preview=True)
    assert len(capture.of_type(SERVICE)) == 1 and len(capture.of_type(VPC_ORIGIN)) == 1 and len(capture.of_type(LB)) == 1
    distribution = capture.one("aws:cloudfront/distribution:Distribution")
    assert capture.one(VPC_ORIGIN).urn in distribution.property_dependencies["origins"]


def test_the_offline_engine_answers_the_new_types_like_aws(cap: Capture) -> None:
    """The mocks return what AWS would: ARNs, arn suffixes (the CloudWatch dimensions), DNS names and ids."""
    region, account = "us-west-2", "111122223333"
    lb, tg = cap.one(LB), cap.one(TG)
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/[\w-]+/[0-9a-f]{{16}}", lb.outputs["arn"])
    assert lb.outputs["arn"].endswith(lb.outputs["arnSuffix"]) and lb.outputs["arnSuffix"].startswith("app/")
    assert re.fullmatch(rf"internal-[\w-]+-\d+\.{region}\.elb\.amazonaws\.com", lb.outputs["dnsName"])
    assert tg.outputs["arn"].endswith(tg.outputs["arnSuffix"]) and tg.outputs["arnSuffix"].startswith("targetgroup/")
    assert cap.one(LISTENER).outputs["arn"].startswith(f"arn:aws:elasticloadbalancing:{region}:{account}:listener/app/")
    assert re.fullmatch(r"vo_[0-9a-f]{22}", cap.one(VPC_ORIGIN).id)
    task = cap.one(TASK)
    assert task.outputs["arn"] == f"arn:aws:ecs:{region}:{account}:task-definition/vitality-{cap.stack}-api:1"
    service = cap.one(SERVICE)
    cluster = cap.one("aws:ecs/cluster:Cluster").outputs["name"]
    assert service.outputs["arn"] == f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service.outputs['name']}"
