"""`security.regions` and `security.organization`: the stack files parse, every bad value names its key and its fix,
and the rules between mode, environment, baseline and CI hold."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings import AWS_REGIONS, OrganizationSettings, load_settings
from offline.stack_config import load_stack_config
from tests.conftest import config_error

S = "vitality:security"
ORG = f"{S}.organization"
CONTACT = {"name": "Security Team", "email": "security@example.com", "phone": "+1-206-555-0100", "title": "Security Lead"}
MEMBER = {f"{ORG}.mode": "member", f"{S}.accountBaseline": True, f"{S}.securityContact": CONTACT,
          "vitality:ci.githubRepository": "vitality-example/vitality-platform", f"{S}.controlExceptions": []}


def settings_of(stack: str, **overrides: Any):
    config = load_stack_config(stack, overrides=overrides)
    return load_settings(config.as_engine_config(), stack)


def test_stack_files() -> None:
    dev, prod, security = (settings_of(s) for s in ("dev", "prod", "security"))
    assert dev.security.organization == OrganizationSettings() and prod.security.organization.mode == "none"
    assert dev.security.regions == prod.security.regions == ("us-west-2", "us-east-1")
    org = security.security.organization
    assert (security.environment, org.mode, org.organization_id) == ("security", "administrator", "o-a1b2c3d4e5")
    assert (org.management_account_id, org.administrator_account_id) == ("999988887777", "111122223333")
    assert org.targets == ("r-a1b2",) and org.dev_account_ids == ("444455556666",)
    assert org.organization_trail and org.delegated
    assert security.network is None  # the security-tooling stack has no network


def test_home_region_is_always_first_and_covered() -> None:
    assert settings_of("prod", **{f"{S}.regions": ["eu-west-1"]}).security.regions == ("us-west-2", "eu-west-1")
    assert settings_of("prod", **{f"{S}.regions": ["us-east-1", "us-west-2"]}).security.regions == ("us-west-2", "us-east-1")
    assert "us-east-1" in AWS_REGIONS and "mars-east-1" not in AWS_REGIONS


def test_member_mode_parses() -> None:
    for stack in ("dev", "prod"):
        org = settings_of(stack, **MEMBER).security.organization
        assert org.mode == "member" and not org.delegated


BAD = [
    ({f"{S}.regions": ["us-west-2", "mars-east-1"]}, f"{S}.regions", "unknown: mars-east-1"),
    ({f"{S}.regions": ["us-east-1", "us-east-1"]}, f"{S}.regions", "listed twice"),
    ({f"{S}.regions": "us-east-1"}, f"{S}.regions", "a list"),
    ({f"{S}.globalResourceRegion": "eu-west-1"}, f"{S}.globalResourceRegion", "security.regions"),
    ({f"{ORG}.mode": "owner"}, f"{ORG}.mode", '"none", "member", "administrator"'),
    ({f"{ORG}.moed": "member"}, f"{ORG}.moed", "did you mean 'mode'"),
    ({f"{ORG}.organizationId": "o-1"}, f"{ORG}.organizationId", "o- followed by"),
    ({f"{ORG}.targets": ["r-a1b2"]}, f"{ORG}.targets", "only with mode administrator"),
    ({**MEMBER, f"{ORG}.organizationTrail": True}, f"{ORG}.organizationTrail", "only with mode administrator"),
    ({**MEMBER, f"{S}.accountBaseline": False}, f"{S}.accountBaseline", "each account of an organization"),
    ({**MEMBER, "vitality:ci.githubRepository": ""}, "vitality:ci.githubRepository", "its own GitHub OIDC provider"),
    ({**MEMBER, f"{S}.globalResourceRegion": "us-east-1"}, f"{S}.globalResourceRegion", "home region"),
    ({**MEMBER, f"{S}.standards": ["fsbp"]}, f"{S}.standards", "central configuration"),
    ({**MEMBER, f"{S}.controlExceptions": [{"controlId": "IAM.6", "reason": "a sufficiently long reason"}]},
     f"{S}.controlExceptions", "central configuration"),
    ({f"{ORG}.mode": "administrator"}, f"{ORG}.mode", "environment security"),
]


@pytest.mark.parametrize(("overrides", "reported", "text"), BAD, ids=[b[1].rsplit(".", 1)[-1] + str(i) for i, b in enumerate(BAD)])
def test_bad_workload_value(overrides: dict[str, Any], reported: str, text: str) -> None:
    error = config_error("prod", overrides)
    assert reported in error.keys, error.keys
    problem = next(p for p in error.problems if p.key == reported)
    assert text in problem.allowed, problem.allowed
    assert "--stack prod" in problem.fix


BAD_ADMINISTRATOR = [
    ({f"{ORG}.organizationId": ""}, f"{ORG}.organizationId"),
    ({f"{ORG}.managementAccountId": "12345"}, f"{ORG}.managementAccountId"),
    ({f"{ORG}.administratorAccountId": ""}, f"{ORG}.administratorAccountId"),
    ({f"{ORG}.administratorAccountId": "999988887777"}, f"{ORG}.administratorAccountId"),
    ({f"{ORG}.managementRoleArn": "arn:aws:iam::123456789012:role/elsewhere"}, f"{ORG}.managementRoleArn"),
    ({f"{ORG}.managementRoleArn": "role/security"}, f"{ORG}.managementRoleArn"),
    ({f"{ORG}.targets": []}, f"{ORG}.targets"),
    ({f"{ORG}.targets": ["ou-12"]}, f"{ORG}.targets"),
    ({f"{ORG}.targets": ["r-a1b2", "r-a1b2"]}, f"{ORG}.targets"),
    ({f"{ORG}.devAccountIds": ["4444"]}, f"{ORG}.devAccountIds"),
    ({f"{ORG}.devAccountIds": ["444455556666"], f"{ORG}.targets": ["444455556666"]}, f"{ORG}.devAccountIds"),
    ({f"{ORG}.registered": "yes"}, f"{ORG}.registered"),
    ({f"{ORG}.mode": "member"}, f"{ORG}.mode"),
    ({f"{S}.accountBaseline": False}, f"{S}.accountBaseline"),
    ({"vitality:network": {"cidr": "10.30.0.0/16", "availabilityZones": ["us-west-2a", "us-west-2b"]}}, "vitality:network"),
    ({"vitality:database": {"readers": 1}}, "vitality:database"),
    ({"vitality:observability.logRetentionDays": 30}, "vitality:observability.logRetentionDays"),
]


@pytest.mark.parametrize(("overrides", "reported"), BAD_ADMINISTRATOR, ids=[f"{b[1].rsplit('.', 1)[-1]}{i}" for i, b in enumerate(BAD_ADMINISTRATOR)])
def test_bad_administrator_value(overrides: dict[str, Any], reported: str) -> None:
    error = config_error("security", overrides)
    assert reported in error.keys, error.keys
    problem = next(p for p in error.problems if p.key == reported)
    assert "pulumi config" in problem.fix and "--stack security" in problem.fix


def test_every_problem_is_reported_at_once() -> None:
    error = config_error("security", {f"{ORG}.organizationId": "x", f"{ORG}.targets": ["bad"], f"{S}.regions": ["nowhere-1"]})
    assert {f"{ORG}.organizationId", f"{ORG}.targets", f"{S}.regions"} <= set(error.keys)
