"""Bad stack configuration: one error listing every problem, naming the key, value, what is allowed and the fix,
raised before any resource is registered."""

from __future__ import annotations

import pytest

from components.settings import ConfigError, derived_subnet, load_settings
from offline import StackConfigError, load_stack_config, run
from offline.stack_config import ROOT, SECRET_PLACEHOLDER
from tests.conftest import config_error

BAD_VALUES = [
    # (override path, bad value, key named in the error, text in the "allowed" part)
    ("vitality:environment", "staging", "vitality:environment", '"dev", "prod"'),
    ("vitality:network.cidr", "10.0.0.0/33", "vitality:network.cidr", "CIDR"),
    ("vitality:network.cidr", "10.0.0.1/16", "vitality:network.cidr", "CIDR"),  # host bits set
    ("vitality:network.cidr", "10.0.0.0/8", "vitality:network.cidr", "/16 to /22"),
    ("vitality:network.availabilityZones", ["eu-west-1a", "eu-west-1b"], "vitality:network.availabilityZones", "us-west-2"),
    ("vitality:network.availabilityZones", ["us-west-2a"], "vitality:network.availabilityZones", "2 to 6"),
    ("vitality:network.availabilityZones", ["us-west-2a", "us-west-2a"], "vitality:network.availabilityZones", "distinct"),
    ("vitality:network.natGateways", "two", "vitality:network.natGateways", '"per_az"'),
    ("vitality:network.interfaceEndpoints", ["ecr api"], "vitality:network.interfaceEndpoints", "service short names"),
    ("vitality:network.interfaceEndpoints", ["s3"], "vitality:network.interfaceEndpoints", "service short names"),
    ("vitality:network.flowLogTrafficType", "SOME", "vitality:network.flowLogTrafficType", '"ALL"'),
    ("vitality:network.subnetCidrs", {"private": {"us-west-2a": "192.168.0.0/24"}}, "vitality:network.subnetCidrs.private.us-west-2a", "inside network.cidr"),
    ("vitality:network.subnetCidrs", {"private": {"us-west-2a": "10.10.128.0/24"}}, "vitality:network.subnetCidrs.private.us-west-2a", "does not overlap"),
    ("vitality:network.subnetCidrs", {"privat": {}}, "vitality:network.subnetCidrs.privat", "did you mean 'private'"),
    ("vitality:database.maxCapacity", 0.5, "vitality:database.maxCapacity", "1 to 256"),
    ("vitality:database.readers", -1, "vitality:database.readers", "0 to 15"),
    ("vitality:database.backupRetentionDays", 40, "vitality:database.backupRetentionDays", "1 to 35"),
    ("vitality:database.engineVersion", "sixteen", "vitality:database.engineVersion", "MAJOR.MINOR"),
    ("vitality:database.deletionProtection", "maybe", "vitality:database.deletionProtection", "true or false"),
    ("vitality:api.platform", "lambda", "vitality:api.platform", '"apprunner"'),
    ("vitality:api.image", "Not An Image!", "vitality:api.image", "digest"),
    ("vitality:frontend.domain", "Bad_Domain", "vitality:frontend.domain", "DNS name"),
    ("vitality:observability.alarmEmails", ["not-an-email"], "vitality:observability.alarmEmails", "e-mail"),
    ("vitality:observability.logRetentionDays", 42, "vitality:observability.logRetentionDays", "365"),
    ("vitality:tags", {"Environment": "x"}, "vitality:tags", "not Project/Environment"),
    ("aws:region", "mars-1", "aws:region", "AWS region"),
]


@pytest.mark.parametrize("path,value,key,allowed", BAD_VALUES, ids=[f"{b[0]}={b[1]}" for b in BAD_VALUES])
def test_bad_value_is_reported_with_key_value_allowed_and_fix(path: str, value, key: str, allowed: str) -> None:
    error = config_error("dev", {path: value})
    assert key in error.keys, error
    line = next(p for p in error.problems if p.key == key)
    rendered = line.render()
    assert allowed in rendered, rendered
    assert "pulumi config" in line.fix and "--stack dev" in line.fix
    if key.startswith("vitality:") and "." in key:
        assert "--path" in line.fix, line.fix


def test_all_problems_are_reported_together() -> None:
    error = config_error(
        "prod",
        {
            "vitality:database.minCapacity": 8,
            "vitality:database.maxCapacity": 4,
            "vitality:network.natGateways": "lots",
            "vitality:observability.logRetentionDays": 30,
            "vitality:api.maxInstances": 0,
        },
    )
    assert {
        "vitality:database.maxCapacity",
        "vitality:network.natGateways",
        "vitality:observability.logRetentionDays",
        "vitality:api.maxInstances",
    } <= set(error.keys)
    assert "nothing was created" in str(error)


def test_min_capacity_above_max_names_max() -> None:
    error = config_error("dev", {"vitality:database.minCapacity": 6, "vitality:database.maxCapacity": 4})
    problem = next(p for p in error.problems if p.key == "vitality:database.maxCapacity")
    assert "at least database.minCapacity (6)" in problem.allowed
    assert problem.fix == "pulumi config set --path database.maxCapacity 6 --stack dev"


def test_unknown_keys_suggest_the_closest_known_key() -> None:
    error = config_error("dev", {"vitality:database.maxCapacty": 8, "vitality:netwrok": {}})
    messages = {p.key: p.allowed for p in error.problems}
    assert "did you mean 'maxCapacity'" in messages["vitality:database.maxCapacty"]
    assert "did you mean 'network'" in messages["vitality:netwrok"]
    fix = next(p.fix for p in error.problems if p.key == "vitality:database.maxCapacty")
    assert fix == "pulumi config rm --path database.maxCapacty --stack dev"


def test_prod_profile_rules() -> None:
    error = config_error("prod", {"vitality:database.deletionProtection": False, "vitality:observability.logRetentionDays": 90})
    assert {"vitality:database.deletionProtection", "vitality:observability.logRetentionDays"} <= set(error.keys)


def test_cli_style_type_errors_come_before_the_program(tmp_path) -> None:
    with pytest.raises(StackConfigError, match="must be of type 'object'"):
        run("dev", overrides={"vitality:network": "10.0.0.0/16"})
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  aws:region: us-west-2\n")
    with pytest.raises(StackConfigError, match="missing configuration value 'vitality:environment'"):
        load_stack_config("qa", root=tmp_path)


def test_secure_values_become_placeholders_and_secret_keys(tmp_path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.qa.yaml").write_text(
        "config:\n  vitality:environment: dev\n  vitality:network:\n    availabilityZones: [us-west-2a, us-west-2b]\n"
        "  vitality:tags:\n    Owner:\n      secure: v1:abc\n"
    )
    config = load_stack_config("qa", root=tmp_path)
    assert config.values["vitality:tags"] == {"Owner": SECRET_PLACEHOLDER}
    assert config.secret_keys == ["vitality:tags"]
    assert config.values["vitality:database"]["backupRetentionDays"] == 35  # project default applies when unset


def test_required_values_are_reported_when_missing() -> None:
    config = load_stack_config("dev").values
    config = {k: v for k, v in config.items() if k != "vitality:network"}
    with pytest.raises(ConfigError) as info:
        load_settings(config, stack="dev")
    # the network section is not required as a whole (the security-tooling stack has none): its required key is
    problem = next(p for p in info.value.problems if p.key == "vitality:network.availabilityZones")
    assert "availabilityZones" in problem.fix


def test_numbers_written_by_config_set_path_as_strings_are_accepted() -> None:
    config = load_stack_config("dev", overrides={"vitality:database.maxCapacity": "6", "vitality:database.readers": "2"})
    settings = load_settings(config.values, stack="dev")
    assert settings.database.max_capacity == 6.0 and settings.database.readers == 2


def test_subnet_layout_is_keyed_by_az_letter() -> None:
    assert derived_subnet("10.0.0.0/16", "private", "us-west-2a") == "10.0.0.0/20"
    assert derived_subnet("10.0.0.0/16", "private", "us-west-2c") == "10.0.32.0/20"
    assert derived_subnet("10.0.0.0/16", "public", "us-west-2b") == "10.0.132.0/22"
    assert derived_subnet("10.0.0.0/16", "database", "us-west-2a") == "10.0.160.0/22"
    # removing or reordering AZs does not move the others
    a = load_settings(load_stack_config("prod").values, stack="prod").network.subnet_cidrs
    b = load_settings(
        load_stack_config("prod", overrides={"vitality:network.availabilityZones": ["us-west-2c", "us-west-2a"]}).values,
        stack="prod",
    ).network.subnet_cidrs
    for tier in ("public", "private", "database"):
        for az in ("us-west-2a", "us-west-2c"):
            assert a[tier][az] == b[tier][az]
