"""Api on both platforms under both stacks: least-privilege roles, private networking, the database secret by ARN,
scaling from config, CloudFront-only access and the views other components use. ECS-only pieces (load balancer,
VPC origin, task definition, security groups) are in test_api_ecs.py."""

from __future__ import annotations

import json

import pytest

from offline import UNKNOWN
from tests.conftest import capture_for, policy, statements

PLATFORMS = ["ecs", "apprunner"]
SERVICE = {"apprunner": "aws:apprunner/service:Service", "ecs": "aws:ecs/service:Service"}
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def on(stack: str, platform: str, **overrides):
    """The whole program; the stacks' own platform (ecs) is the cached default capture."""
    if platform == "ecs" and not overrides:
        return capture_for(stack)
    return capture_for(stack, overrides={"vitality:api.platform": platform, **overrides})


def containers(capture) -> dict[str, dict]:
    """The ECS task's container definitions by name, as ECS receives them."""
    return {c["name"]: c for c in json.loads(capture.one(TASK).inputs["containerDefinitions"])}


def database(capture):
    cluster = capture.one("aws:rds/cluster:Cluster")
    data_key = capture.named(f"vitality-{capture.stack}-kms-data", "aws:kms/key:Key").outputs["arn"]
    return cluster, cluster.outputs["masterUserSecrets"][0]["secretArn"], data_key


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def cap(stack: str, platform: str):
    return on(stack, platform)


def api_roles(capture):
    return [r for r in capture.of_type(ROLE) if r.name.startswith(f"vitality-{capture.stack}-api-")]


def inline(capture, role) -> list[dict]:
    found = [p for p in capture.of_type(ROLE_POLICY) if p.parent == role.urn]
    return statements(policy(found[0])) if found else []


def test_exactly_one_platform_is_built(cap, platform) -> None:
    other = next(p for p in PLATFORMS if p != platform)
    assert len(cap.of_type(SERVICE[platform])) == 1
    assert cap.of_type(SERVICE[other]) == []
    assert cap.outputs["apiUrl"].startswith("https://")
    if platform == "apprunner":
        assert cap.outputs["apiUrl"] == "https://" + cap.one(SERVICE[platform]).outputs["serviceUrl"]
    else:
        assert cap.outputs["apiUrl"] == cap.outputs["frontendUrl"] + "/api"
        assert cap.outputs["ecsServiceName"] == cap.one(SERVICE[platform]).outputs["name"]
        assert cap.outputs["ecsClusterName"] == cap.one("aws:ecs/cluster:Cluster").outputs["name"]
        assert cap.outputs["loadBalancerArn"] == cap.one("aws:lb/loadBalancer:LoadBalancer").outputs["arn"]
        assert cap.outputs["vpcOriginId"] == cap.one("aws:cloudfront/vpcOrigin:VpcOrigin").id


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_leaves_the_url_unknown(stack, platform) -> None:
    capture = capture_for(stack, preview=True, overrides=None if platform == "ecs" else {"vitality:api.platform": platform})
    assert capture.outputs["apiUrl"] == UNKNOWN
    assert len(capture.of_type(SERVICE[platform])) == 1


def test_roles_are_least_privilege(cap, platform) -> None:
    roles = api_roles(cap)
    assert len(roles) == 2
    for role in roles:
        trust = statements(json.loads(role.inputs["assumeRolePolicy"]))
        assert all(s["Condition"]["StringEquals"]["aws:SourceAccount"] == "111122223333" for s in trust), role.name
        for s in inline(cap, role):
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            assert all("*" not in a for a in actions), (role.name, actions)
            if s["Resource"] == "*":
                assert all(a.startswith("xray:") or a == "ecr:GetAuthorizationToken" for a in actions), (role.name, s)


def test_only_the_database_secret_and_its_key_are_readable(cap) -> None:
    _, secret_arn, key_arn = database(cap)
    seen = set()
    for role in api_roles(cap):
        for s in inline(cap, role):
            seen.add(s["Sid"])
            if s["Sid"] == "ReadDatabaseSecret":
                assert s["Action"] == ["secretsmanager:GetSecretValue"] and s["Resource"] == secret_arn
            if s["Sid"] == "DecryptDatabaseSecret":
                assert s["Action"] == ["kms:Decrypt"] and s["Resource"] == key_arn
                assert s["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"}}
    assert {"ReadDatabaseSecret", "DecryptDatabaseSecret"} <= seen


def test_apprunner_roles(stack) -> None:
    capture = on(stack, "apprunner", **{"vitality:api.image": "v1.0.0"})
    access = capture.named(f"vitality-{stack}-api-access", ROLE)
    instance = capture.named(f"vitality-{stack}-api-instance", ROLE)
    assert statements(json.loads(access.inputs["assumeRolePolicy"]))[0]["Principal"] == {"Service": ["build.apprunner.amazonaws.com"]}
    assert statements(json.loads(instance.inputs["assumeRolePolicy"]))[0]["Principal"] == {"Service": ["tasks.apprunner.amazonaws.com"]}
    repo_arn = capture.one("aws:ecr/repository:Repository").outputs["arn"]
    pulls = {s["Sid"]: s for s in inline(capture, access)}
    assert pulls["PullApiImage"]["Resource"] == repo_arn
    assert set(pulls["PullApiImage"]["Action"]) == {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}
    assert pulls["DescribeApiImages"] == {"Sid": "DescribeApiImages", "Effect": "Allow", "Action": ["ecr:DescribeImages"], "Resource": repo_arn}
    assert pulls["RegistryLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert {s["Sid"] for s in inline(capture, instance)} == {"ReadDatabaseSecret", "DecryptDatabaseSecret", "WriteTraces"}
    service = capture.one(SERVICE["apprunner"])
    assert service.inputs["instanceConfiguration"]["instanceRoleArn"] == instance.outputs["arn"]
    assert service.inputs["sourceConfiguration"]["authenticationConfiguration"]["accessRoleArn"] == access.outputs["arn"]


def test_ecs_roles(stack) -> None:
    capture = on(stack, "ecs")
    execution = capture.named(f"vitality-{stack}-api-execution", ROLE)
    task = capture.named(f"vitality-{stack}-api-task", ROLE)
    for role in (execution, task):
        trust = statements(json.loads(role.inputs["assumeRolePolicy"]))[0]
        assert trust["Principal"] == {"Service": ["ecs-tasks.amazonaws.com"]}
        assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:ecs:us-west-2:111122223333:*"
    logs = capture.named(f"vitality-{stack}-api-logs", "aws:cloudwatch/logGroup:LogGroup")
    sids = {s["Sid"]: s for s in inline(capture, execution)}
    assert set(sids) == {"PullApiImage", "RegistryLogin", "ContainerLogs", "ReadDatabaseSecret", "DecryptDatabaseSecret"}
    assert sids["ContainerLogs"]["Resource"] == logs.outputs["arn"] + ":log-stream:*"
    tasks = {s["Sid"]: s for s in inline(capture, task)}
    assert set(tasks) == {"ReadDatabaseSecret", "DecryptDatabaseSecret", "WriteTraces"}
    assert all(a.startswith("xray:Put") or a.startswith("xray:GetSampling") for a in tasks["WriteTraces"]["Action"])
    definition = capture.one(TASK)
    assert definition.inputs["executionRoleArn"] == execution.outputs["arn"]
    assert definition.inputs["taskRoleArn"] == task.outputs["arn"]
    service = capture.one(SERVICE["ecs"])
    assert {execution.urn, task.urn} <= set(service.dependencies)


def test_repository_policy_grants_pull_only_to_the_pulling_role(cap, platform) -> None:
    repo_policy = cap.one("aws:ecr/repositoryPolicy:RepositoryPolicy")
    puller = cap.named(f"vitality-{cap.stack}-api-{'access' if platform == 'apprunner' else 'execution'}", ROLE)
    assert repo_policy.inputs["repository"] == cap.one("aws:ecr/repository:Repository").outputs["name"]
    [statement] = statements(policy(repo_policy))
    assert statement["Principal"] == {"AWS": puller.outputs["arn"]}
    assert all(not a.startswith("ecr:Put") and "*" not in a for a in statement["Action"])
    assert cap.component_of(repo_policy).type == "vitality:platform:Api"


def test_private_networking_with_the_app_security_group(cap, platform) -> None:
    private = [r.id for r in cap.of_type("aws:ec2/subnet:Subnet") if r.inputs["tags"].get("Tier") == "private"]
    app_sg = cap.named(f"vitality-{cap.stack}-net-app", "aws:ec2/securityGroup:SecurityGroup")
    if platform == "apprunner":
        connector = cap.one("aws:apprunner/vpcConnector:VpcConnector")
        assert sorted(connector.inputs["subnets"]) == sorted(private)
        assert connector.inputs["securityGroups"] == [app_sg.id]
        egress = cap.one(SERVICE[platform]).inputs["networkConfiguration"]["egressConfiguration"]
        assert egress == {"egressType": "VPC", "vpcConnectorArn": connector.outputs["arn"]}
    else:
        network = cap.one(SERVICE[platform]).inputs["networkConfiguration"]
        assert sorted(network["subnets"]) == sorted(private) and network["securityGroups"] == [app_sg.id]
        assert network["assignPublicIp"] is False


def test_the_database_accepts_the_api_security_group(cap) -> None:
    groups = {r.name: r for r in cap.of_type("aws:ec2/securityGroup:SecurityGroup")}
    app_sg, db_sg = groups[f"vitality-{cap.stack}-net-app"], groups[f"vitality-{cap.stack}-net-database"]
    ingress = [r for r in cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.inputs["securityGroupId"] == db_sg.id]
    assert [(r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"]) for r in ingress] == [(app_sg.id, 5432)]


def test_environment_and_secret_by_arn(cap, platform) -> None:
    service = cap.one(SERVICE[platform])
    cluster, secret_arn, _ = database(cap)
    expected = {
        "DB_HOST": cluster.outputs["endpoint"],
        "DB_READER_HOST": cluster.outputs["readerEndpoint"],
        "DB_PORT": "5432",
        "DB_NAME": cluster.inputs["databaseName"],
        "DB_USER": cluster.inputs["masterUsername"],
        "APP_REGION": "us-west-2",
    }
    assert "ro" in expected["DB_READER_HOST"] and expected["DB_HOST"] != expected["DB_READER_HOST"]
    if platform == "apprunner":
        image = service.inputs["sourceConfiguration"]["imageRepository"]["imageConfiguration"]
        assert expected.items() <= image["runtimeEnvironmentVariables"].items()
        assert image["runtimeEnvironmentSecrets"] == {"DB_SECRET": secret_arn}
        assert image["port"] == "8000"
    else:
        container = containers(cap)["api"]
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert expected.items() <= env.items()
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4317"
        assert container["secrets"] == [{"name": "DB_SECRET", "valueFrom": secret_arn}]
        assert container["portMappings"] == [{"containerPort": 8000, "protocol": "tcp", "name": "http"}]
        assert all("password" not in v.lower() for v in env.values())


def test_scaling_follows_config(platform) -> None:
    capture = on("dev", platform, **{"vitality:api.minInstances": 3, "vitality:api.maxInstances": 7, "vitality:api.maxConcurrency": 50})
    if platform == "apprunner":
        scaling = capture.one("aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion")
        assert (scaling.inputs["minSize"], scaling.inputs["maxSize"], scaling.inputs["maxConcurrency"]) == (3, 7, 50)
        assert capture.one(SERVICE[platform]).inputs["autoScalingConfigurationArn"] == scaling.outputs["arn"]
    else:
        target = capture.named("vitality-dev-api-scaling", "aws:appautoscaling/target:Target")
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (3, 7)
        service = capture.one(SERVICE[platform])
        assert target.inputs["resourceId"] == f"service/{capture.one('aws:ecs/cluster:Cluster').outputs['name']}/{service.outputs['name']}"
        assert service.inputs["desiredCount"] == 3 and "desiredCount" in service.ignore_changes
        policies = {p.name.rsplit("-", 1)[-1]: p.inputs["targetTrackingScalingPolicyConfiguration"]
                    for p in capture.of_type("aws:appautoscaling/policy:Policy") if p.parent == target.urn}
        assert policies["requests"]["targetValue"] == 3000
        assert policies["requests"]["predefinedMetricSpecification"]["predefinedMetricType"] == "ALBRequestCountPerTarget"
        lb, tg = capture.one("aws:lb/loadBalancer:LoadBalancer"), capture.one("aws:lb/targetGroup:TargetGroup")
        label = policies["requests"]["predefinedMetricSpecification"]["resourceLabel"]
        assert label == f"{lb.outputs['arnSuffix']}/{tg.outputs['arnSuffix']}"
        assert policies["cpu"]["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_stack_scaling_bounds(platform) -> None:
    for stack, bounds in (("dev", (1, 2)), ("prod", (2, 10))):
        capture = on(stack, platform)
        if platform == "apprunner":
            s = capture.one("aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion").inputs
            assert (s["minSize"], s["maxSize"]) == bounds
        else:
            t = capture.named(f"vitality-{stack}-api-scaling", "aws:appautoscaling/target:Target").inputs
            assert (t["minCapacity"], t["maxCapacity"]) == bounds


def test_size_and_health_check(cap, platform) -> None:
    service = cap.one(SERVICE[platform])
    size = {"dev": ("256", "1024"), "prod": ("1024", "2048")}[cap.stack]
    if platform == "apprunner":
        inst = service.inputs["instanceConfiguration"]
        assert (inst["cpu"], inst["memory"]) == size
        health = service.inputs["healthCheckConfiguration"]
        assert health["path"] == "/" and health["protocol"] == "HTTP"
    else:
        task = cap.one(TASK)
        assert (task.inputs["cpu"], task.inputs["memory"]) == size
        health = cap.one("aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
        assert health["path"] == "/" and health["protocol"] == "HTTP" and health["enabled"] is True


def test_image_reference_shapes(platform) -> None:
    url = "111122223333.dkr.ecr.us-west-2.amazonaws.com/vitality-dev/api"
    digest = "sha256:" + "ab" * 32
    for image, expected, kind in (
        ("v1.0.0", f"{url}:v1.0.0", "ECR"),
        (digest, f"{url}@{digest}", "ECR"),
        ("public.ecr.aws/aws-containers/hello-app-runner:latest", "public.ecr.aws/aws-containers/hello-app-runner:latest", "ECR_PUBLIC"),
    ):
        public = image.startswith("public.ecr.aws/")  # the stacks' default: the cached capture
        capture = on("dev", platform) if public else on("dev", platform, **{"vitality:api.image": image})
        service = capture.one(SERVICE[platform])
        if platform == "apprunner":
            repo = service.inputs["sourceConfiguration"]["imageRepository"]
            assert (repo["imageIdentifier"], repo["imageRepositoryType"]) == (expected, kind)
            assert ("authenticationConfiguration" in service.inputs["sourceConfiguration"]) == (kind == "ECR")
            assert service.inputs["sourceConfiguration"]["autoDeploymentsEnabled"] is False
        else:
            assert containers(capture)["api"]["image"] == expected


def test_apprunner_tracing_encryption_and_ingress(stack) -> None:
    capture = on(stack, "apprunner")
    service = capture.one(SERVICE["apprunner"])
    tracing = capture.one("aws:apprunner/observabilityConfiguration:ObservabilityConfiguration")
    assert tracing.inputs["traceConfiguration"] == {"vendor": "AWSXRAY"}
    assert service.inputs["observabilityConfiguration"] == {"observabilityEnabled": True, "observabilityConfigurationArn": tracing.outputs["arn"]}
    assert service.inputs["encryptionConfiguration"] == {"kmsKey": capture.named(f"vitality-{stack}-kms-data", "aws:kms/key:Key").outputs["arn"]}
    assert service.delete_before_replace
    for r in (service, tracing, capture.one("aws:apprunner/vpcConnector:VpcConnector")):
        assert 4 <= len(r.inputs.get("serviceName") or r.inputs.get("observabilityConfigurationName") or r.inputs["vpcConnectorName"]) <= 32


def test_apprunner_waf_admits_only_the_cloudfront_header(stack) -> None:
    capture = on(stack, "apprunner")
    # the Frontend's CLOUDFRONT-scope ACL lives in us-east-1; the API's is the only REGIONAL one
    (acl,) = [r for r in capture.of_type("aws:wafv2/webAcl:WebAcl") if r.inputs["scope"] == "REGIONAL"]
    secret = capture.one("random:index/randomPassword:RandomPassword").outputs["result"]
    assert acl.inputs["scope"] == "REGIONAL" and acl.inputs["defaultAction"] == {"allow": {}}
    rules = sorted(acl.inputs["rules"], key=lambda r: r["priority"])
    first = rules[0]
    assert first["action"] == {"block": {}}
    match = first["statement"]["notStatement"]["statement"]["byteMatchStatement"]
    assert match["searchString"] == secret and match["positionalConstraint"] == "EXACTLY"
    assert match["fieldToMatch"] == {"singleHeader": {"name": "x-origin-verify"}}
    assert [r["statement"]["managedRuleGroupStatement"]["name"] for r in rules[1:]] == [
        "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"
    ]
    assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] for r in rules)
    assert acl.inputs["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    assoc = capture.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert assoc.inputs == {"resourceArn": capture.one(SERVICE["apprunner"]).outputs["arn"], "webAclArn": acl.outputs["arn"]} | {
        k: v for k, v in assoc.inputs.items() if k not in ("resourceArn", "webAclArn")
    }
    (logging,) = [
        r
        for r in capture.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
        if r.inputs["resourceArn"] == acl.outputs["arn"]
    ]
    group = capture.named(f"vitality-{stack}-api-waf-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == f"aws-waf-logs-vitality-{stack}-api"
    assert group.inputs["kmsKeyId"] == capture.named(f"vitality-{stack}-kms-logs", "aws:kms/key:Key").outputs["arn"]
    assert group.inputs["retentionInDays"] == {"dev": 30, "prod": 365}[stack]
    assert group.inputs.get("region") in (None, "us-west-2")
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": h}} for h in ("authorization", "cookie", "x-origin-verify")]
    assert "loggingFilter" not in logging.inputs  # the API keeps every request in its WAF log


def test_every_api_resource_is_tagged(cap) -> None:
    api = cap.named(f"vitality-{cap.stack}-api", "vitality:platform:Api")
    for r in cap.descendants(api.urn):
        if r.custom and "tags" in r.inputs:
            assert r.inputs["tags"]["Component"] == "api", r.name
            assert r.inputs["tags"]["Environment"] == cap.stack, r.name


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_service_waits_for_its_roles_policies(platform: str) -> None:
    """AWS checks a role when the service uses it; an inline policy created later fails the first deploy."""
    capture = on("prod", platform)
    service = capture.one(SERVICE[platform])
    api_policies = [p for p in capture.of_type("aws:iam/rolePolicy:RolePolicy")
                    if capture.component_of(p).type == "vitality:platform:Api"]
    assert api_policies
    waited = set(service.dependencies) | {u for urns in service.property_dependencies.values() for u in urns}
    for role_policy in api_policies:
        assert role_policy.urn in waited, role_policy.name
