"""Every taggable resource carries Project, Environment, Component and ManagedBy, set explicitly (mocks do not run
provider default tags), and the provider carries the same as default tags."""

from __future__ import annotations

import importlib
import inspect
import json
from functools import cache

REQUIRED = ("Project", "Environment", "Component", "ManagedBy")


@cache
def taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource class for a type token accepts `tags` (read from the installed SDK)."""
    package, module, kind = type_token.split(":")
    if package != "aws":
        return False
    package_module = module.split("/")[0]
    cls = getattr(importlib.import_module(f"pulumi_aws.{package_module}_" if package_module == "lambda" else f"pulumi_aws.{package_module}"), kind)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_taggable_is_read_from_the_sdk() -> None:
    assert taggable("aws:ec2/vpc:Vpc") and not taggable("aws:ec2/route:Route")


def test_every_taggable_resource_is_tagged(any_capture) -> None:
    capture = any_capture
    environment = capture.config.values["vitality:environment"]
    checked = 0
    for resource in capture.resources:
        if not resource.custom or not taggable(resource.type):
            continue
        checked += 1
        tags = resource.tags
        missing = [t for t in REQUIRED if not tags.get(t)]
        assert not missing, f"{resource.type} {resource.name} lacks {missing}"
        assert tags["Project"] == "vitality" and tags["Environment"] == environment and tags["ManagedBy"] == "pulumi"
        component = capture.component_of(resource)
        assert component is not None, resource.name
    assert checked > 30


def test_component_tag_matches_the_owning_component(any_capture) -> None:
    capture = any_capture
    for resource in capture.resources:
        if resource.custom and taggable(resource.type):
            component = capture.component_of(resource)
            kind = component.type.rsplit(":", 1)[-1].lower()
            assert resource.tags["Component"] == kind, f"{resource.name}: {resource.tags['Component']} in {kind}"


def test_provider_default_tags(capture) -> None:
    provider = capture.one("pulumi:providers:aws")
    default_tags = provider.inputs["defaultTags"]
    default_tags = json.loads(default_tags) if isinstance(default_tags, str) else default_tags
    assert default_tags["tags"] == {
        "Project": "vitality",
        "Environment": capture.config.values["vitality:environment"],
        "ManagedBy": "pulumi",
    }
    assert provider.inputs["region"] == capture.config.values["aws:region"]


def test_extra_tags_from_config_reach_resources(program) -> None:
    capture = program("dev", overrides={"vitality:tags": {"Owner": "platform", "CostCenter": "cc-42"}})
    vpc = capture.one("aws:ec2/vpc:Vpc")
    assert vpc.tags["Owner"] == "platform" and vpc.tags["CostCenter"] == "cc-42"
