"""The whole program runs for every stack, with known and with unknown (preview) outputs."""

from __future__ import annotations

import pytest

from offline import UNKNOWN, stacks
from tests.conftest import capture_for

REQUIRED_OUTPUTS = ("vpcId", "privateSubnetIds", "alarmTopicArn")


def test_the_stacks_exist() -> None:
    assert stacks() == ["dev", "prod", "security"]  # security: the security-tooling account (organization mode)


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
def test_security_stack_runs_and_exports(preview: bool) -> None:
    capture = capture_for("security", preview=preview)
    assert len([r for r in capture.resources if r.custom]) > 50
    assert capture.outputs["organizationMode"] == "administrator" and "vpcId" not in capture.outputs
    assert (capture.outputs["alarmTopicArn"] == UNKNOWN) == preview


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program_runs_and_exports(stack: str, preview: bool) -> None:
    capture = capture_for(stack, preview=preview)
    assert len([r for r in capture.resources if r.custom]) > 50
    for key in REQUIRED_OUTPUTS:
        assert key in capture.outputs, key
        if preview:
            assert capture.outputs[key] == UNKNOWN, key
        else:
            assert capture.outputs[key] not in (None, UNKNOWN, [], ""), key


def test_every_aws_resource_uses_the_explicit_provider(capture) -> None:
    provider = capture.one("pulumi:providers:aws")
    for r in capture.resources:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider.startswith(provider.urn + "::"), f"{r.name} uses {r.provider or 'the default provider'}"
