"""The offline engine and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from offline import UNKNOWN, schema
from offline import __main__ as cli
from offline.outputs import ACCOUNT_ID

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "offline", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_pulumi_yaml_is_generated_from_the_settings_schema() -> None:
    assert (ROOT / "Pulumi.yaml").read_text() == schema.render(), "run `python -m offline schema --write`"


def test_preview_prints_tree_outputs_and_summary(capsys) -> None:
    assert cli.main(["preview", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "pulumi:pulumi:Stack" in out and "vitality:platform:Network" in out
    assert out.count("aws:ec2:Subnet") == 10  # 3 AZs x 3 tiers, plus the summary line
    assert "aws:ec2:NatGateway" in out
    assert "Resources:" in out and "to create" in out
    assert "vpcId:" in out and "output<string>" in out  # ids are unknown in a preview


def test_json_capture_has_resources_with_options_and_inputs(capsys) -> None:
    assert cli.main(["preview", "--stack", "dev", "--json", "--known"]) == 0
    capture = json.loads(capsys.readouterr().out)
    vpc = next(r for r in capture["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["enableDnsHostnames"] is True
    assert vpc["parent"].endswith("vitality:platform:Network::vitality-dev-net")
    assert "pulumi:providers:aws::aws::" in vpc["provider"]
    assert {"protect", "retainOnDelete", "dependencies"} <= set(vpc)
    assert capture["outputs"]["vpcId"].startswith("vpc-")


def test_set_overrides_config_like_config_set_path(capsys) -> None:
    assert cli.main(["preview", "--stack", "dev", "--set", "network.natGateways=none"]) == 0
    assert "aws:ec2:NatGateway" not in capsys.readouterr().out


def test_config_error_exits_2_with_the_list_and_no_traceback() -> None:
    result = _cli("preview", "--stack", "dev", "--set", "database.readers=-2", "--set", "network.natGateways=many")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "vitality:database.readers" in result.stderr and "vitality:network.natGateways" in result.stderr
    assert "pulumi config set --path network.natGateways per_az --stack dev" in result.stderr


def test_cli_refusal_exits_2_without_traceback() -> None:
    result = _cli("preview", "--stack", "nope")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no stack named 'nope'" in result.stderr


def test_known_run_returns_realistic_computed_outputs(dev) -> None:
    key = next(k for k in dev.of_type("aws:kms/key:Key") if k.inputs["tags"]["DataDomain"] == "data")
    assert key.outputs["arn"] == f"arn:aws:kms:us-west-2:{ACCOUNT_ID}:key/{key.id}"
    subnets = dev.of_type("aws:ec2/subnet:Subnet")
    assert subnets and all(r.id.startswith("subnet-") for r in subnets)


def test_preview_leaves_computed_outputs_unknown(program) -> None:
    capture = program("dev", preview=True)
    assert capture.outputs["vpcId"] == UNKNOWN
    assert capture.outputs["region"] == "us-west-2"
    assert all(r.id == "" for r in capture.resources if r.custom and not r.type.startswith("pulumi:providers:"))


def test_options_are_captured(prod) -> None:
    flow_log = prod.one("aws:ec2/flowLog:FlowLog")
    nat = prod.of_type("aws:ec2/natGateway:NatGateway")[0]
    igw = prod.one("aws:ec2/internetGateway:InternetGateway")
    assert igw.urn in nat.dependencies
    assert flow_log.parent == prod.one("aws:ec2/vpc:Vpc").urn
    assert prod.named("vitality-prod-net-flow-logs", "aws:cloudwatch/logGroup:LogGroup").protect is True


def test_bench_measures_in_process() -> None:
    seconds, count = cli.measure("dev", runs=1)
    assert count > 50 and 0 < seconds < 10
