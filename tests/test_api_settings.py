"""Every api and registry key rejects bad values with a message naming the key, before anything is created."""

from __future__ import annotations

import json

import pytest

from components.settings import load_settings
from offline import load_stack_config
from tests.conftest import config_error

BAD_VALUES = [
    ("api.platform", "lambda"),
    ("api.platform", "ecs-express"),
    ("api.platform", "fargate"),
    ("api.domain", "not a host"),
    ("api.domain", "API.example.com"),
    ("api.hostedZoneId", "zone-1"),
    ("api.cloudfrontPrefixListId", "sg-12345678"),
    ("api.wafRateLimit", 10),
    ("api.wafRateLimit", "lots"),
    ("api.image", "UPPER/case:tag"),
    ("api.image", "v1 .0"),
    ("api.image", "sha256:1234"),
    ("api.image", "docker.io/library/nginx:latest"),
    ("api.image", "public.ecr.aws/nginx/nginx"),
    ("api.minInstances", 0),
    ("api.minInstances", 26),
    ("api.maxInstances", 0),
    ("api.maxInstances", 30),
    ("api.maxInstances", "many"),
    ("api.maxConcurrency", 0),
    ("api.maxConcurrency", 201),
    ("api.cpu", 300),
    ("api.cpu", 8192),
    ("api.memory", 100),
    ("api.memory", 3000),
    ("api.port", 80),
    ("api.port", 70000),
    ("api.healthCheckPath", "health"),
    ("api.healthCheckPath", "/a b"),
    ("api.healthCheckPath", "/" + "x" * 60),
    ("registry.repositories", []),
    ("registry.repositories", ["worker"]),
    ("registry.repositories", ["api", "api"]),
    ("registry.repositories", ["api", "Bad_Name"]),
    ("registry.repositories", ["api", "-x"]),
    ("registry.mutableTags", ["late*"]),
    ("registry.mutableTags", ["latest", "latest"]),
    ("registry.mutableTags", ["a", "b", "c", "d", "e", "f"]),
    ("registry.mutableTags", ["v-latest"]),
    ("registry.mutableTags", ["prod-current"]),
    ("registry.releaseTagPrefixes", []),
    ("registry.releaseTagPrefixes", ["v", "v"]),
    ("registry.releaseTagPrefixes", ["has space"]),
    ("registry.keepReleaseImages", 0),
    ("registry.keepReleaseImages", 1001),
    ("registry.protectedTagPrefixes", ["v1-"]),
    ("registry.protectedTagPrefixes", ["*"]),
    ("registry.untaggedExpiryDays", 0),
    ("registry.untaggedExpiryDays", 400),
]


@pytest.mark.parametrize("key,value", BAD_VALUES, ids=[f"{k}={v!r}"[:60] for k, v in BAD_VALUES])
def test_bad_value_names_the_key(key: str, value) -> None:
    error = config_error("dev", {f"vitality:{key}": value})
    assert f"vitality:{key}" in error.keys, error
    assert "pulumi config set --path" in str(error) or "pulumi config rm" in str(error)


def test_min_above_max_blames_max() -> None:
    error = config_error("prod", {"vitality:api.minInstances": 5, "vitality:api.maxInstances": 3})
    assert error.keys == ["vitality:api.maxInstances"]
    assert "at least api.minInstances (5)" in str(error)


@pytest.mark.parametrize(
    "platform,cpu,memory",
    [("apprunner", 512, 2048), ("apprunner", 2048, 8192), ("ecs", 4096, 7168), ("ecs", 256, 4096), ("ecs", 2048, 17408)],
)
def test_cpu_memory_combination_is_checked_per_platform(platform: str, cpu: int, memory: int) -> None:
    error = config_error("dev", {"vitality:api.platform": platform, "vitality:api.cpu": cpu, "vitality:api.memory": memory})
    assert error.keys == ["vitality:api.memory"]
    assert f"for api.cpu {cpu} on {platform}" in str(error)


@pytest.mark.parametrize(
    "platform,cpu,memory",
    [("apprunner", 2048, 6144), ("ecs", 2048, 6144), ("ecs", 512, 3072), ("apprunner", 4096, 12288), ("ecs", 4096, 30720),
     ("ecs", 2048, 16384)],
)
def test_valid_combinations_pass(platform: str, cpu: int, memory: int) -> None:
    config = load_stack_config("dev", overrides={"vitality:api.platform": platform, "vitality:api.cpu": cpu, "vitality:api.memory": memory})
    api = load_settings(config.values, "dev").api
    assert (api.platform, api.cpu, api.memory) == (platform, cpu, memory)


def test_every_problem_is_reported_together() -> None:
    error = config_error("dev", {"vitality:api.platform": "x", "vitality:registry.keepReleaseImages": 0, "vitality:api.port": 1})
    assert sorted(error.keys) == ["vitality:api.platform", "vitality:api.port", "vitality:registry.keepReleaseImages"]


def test_unknown_key_suggests_the_right_one() -> None:
    error = config_error("dev", {"vitality:registry.keepReleaseImage": 3})
    assert "did you mean 'keepReleaseImages'" in str(error)


def test_defaults_and_stack_values() -> None:
    dev = load_settings(load_stack_config("dev").values, "dev")
    prod = load_settings(load_stack_config("prod").values, "prod")
    assert dev.registry.repositories == ("api",) and dev.registry.mutable_tags == ()
    assert (dev.registry.release_tag_prefixes, dev.registry.protected_tag_prefixes) == (("v",), ("prod-",))
    assert (dev.api.platform, dev.api.cpu, dev.api.memory) == ("ecs", 256, 1024)
    assert (prod.api.platform, prod.api.domain, prod.api.listener_port) == ("ecs", "", 80)
    assert dev.api.cloudfront_prefix_list_id == prod.api.cloudfront_prefix_list_id == "pl-82a045eb"
    assert (prod.api.cpu, prod.api.memory, prod.api.port, prod.api.health_check_path) == (1024, 2048, 8000, "/")
    assert dev.api.public_image and not load_settings(
        load_stack_config("dev", overrides={"vitality:api.image": "v2"}).values, "dev"
    ).api.public_image


def test_bootstrap_image_needs_its_own_port_and_health_path() -> None:
    error = config_error("dev", {"vitality:api.port": 8080, "vitality:api.healthCheckPath": "/health"})
    assert {"vitality:api.port", "vitality:api.healthCheckPath"} <= set(error.keys)
    port = next(p for p in error.problems if p.key == "vitality:api.port")
    assert "bootstrap image" in port.allowed and port.fix == "pulumi config set --path api.port 8000 --stack dev"


def test_own_image_takes_the_apps_port_and_health_path(program) -> None:
    capture = program("dev", overrides={"vitality:api.image": "v1.0.0", "vitality:api.port": 8080,
                                        "vitality:api.healthCheckPath": "/health"})
    api = json.loads(capture.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])[0]
    assert api["portMappings"][0]["containerPort"] == 8080 and api["image"].endswith("/vitality-dev/api:v1.0.0")
    target_group = capture.one("aws:lb/targetGroup:TargetGroup").inputs
    assert target_group["healthCheck"]["path"] == "/health" and target_group["port"] == 8080
    service = program("dev", overrides={"vitality:api.platform": "apprunner", "vitality:api.image": "v1.0.0",
                                        "vitality:api.port": 8080, "vitality:api.healthCheckPath": "/health"})
    inputs = service.one("aws:apprunner/service:Service").inputs
    image = inputs["sourceConfiguration"]["imageRepository"]
    assert image["imageConfiguration"]["port"] == "8080" and image["imageRepositoryType"] == "ECR"
    assert inputs["healthCheckConfiguration"]["path"] == "/health"


def test_ecs_express_is_refused_with_the_replacement_and_the_command() -> None:
    error = config_error("prod", {"vitality:api.platform": "ecs-express"})
    assert error.keys == ["vitality:api.platform"]
    [problem] = error.problems
    assert "ecs-express" in problem.allowed and "removed" in problem.allowed and "docs/api.md" in problem.allowed
    assert problem.fix == "pulumi config set --path api.platform ecs --stack prod"


def test_apprunner_still_configures() -> None:
    config = load_stack_config("prod", overrides={"vitality:api.platform": "apprunner"})
    assert load_settings(config.values, "prod").api.platform == "apprunner"


def test_origin_domain_needs_its_zone_and_only_applies_to_ecs() -> None:
    error = config_error("dev", {"vitality:api.domain": "api-origin.example.com"})
    assert error.keys == ["vitality:api.hostedZoneId"]
    error = config_error("dev", {"vitality:api.platform": "apprunner", "vitality:api.domain": "api-origin.example.com",
                                 "vitality:api.hostedZoneId": "Z0123456789ABCDEFGHIJ"})
    assert error.keys == ["vitality:api.domain"] and "api.platform ecs" in error.problems[0].allowed
    config = load_stack_config("dev", overrides={"vitality:api.domain": "api-origin.example.com",
                                                 "vitality:api.hostedZoneId": "Z0123456789ABCDEFGHIJ"})
    api = load_settings(config.values, "dev").api
    assert (api.domain, api.listener_port) == ("api-origin.example.com", 443)


def test_a_region_without_a_known_prefix_list_asks_for_its_id() -> None:
    overrides = {"aws:region": "ap-south-2", "vitality:network.availabilityZones": ["ap-south-2a", "ap-south-2b"]}
    error = config_error("dev", overrides)
    [problem] = [p for p in error.problems if p.key == "vitality:api.cloudfrontPrefixListId"]
    assert "com.amazonaws.global.cloudfront.origin-facing" in problem.allowed and "ap-south-2" in problem.allowed
    config = load_stack_config("dev", overrides={**overrides, "vitality:api.cloudfrontPrefixListId": "pl-0123456789abcdef0"})
    assert load_settings(config.values, "dev").api.cloudfront_prefix_list_id == "pl-0123456789abcdef0"
