"""Network shape per stack and NAT mode, isolation of the database tier, ingress, flow logs, endpoints."""

from __future__ import annotations

import ipaddress

import pytest

from tests.conftest import capture_for, policy, statements

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def _azs(capture) -> list[str]:
    return capture.config.values["vitality:network"]["availabilityZones"]


def test_three_tiers_in_every_az(capture) -> None:
    azs = _azs(capture)
    subnets = capture.of_type(SUBNET)
    tiers = {(s.inputs["tags"]["Tier"], s.inputs["availabilityZone"]) for s in subnets}
    assert tiers == {(t, az) for t in ("public", "private", "database") for az in azs}
    assert len(subnets) == 3 * len(azs)
    vpc = ipaddress.IPv4Network(capture.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"])
    networks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(n.subnet_of(vpc) for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_prod_spans_three_azs_dev_two(dev, prod) -> None:
    assert len(_azs(prod)) == 3 and len(prod.of_type(SUBNET)) == 9
    assert len(_azs(dev)) == 2 and len(dev.of_type(SUBNET)) == 6


def test_vpc_has_dns_for_endpoints_and_app_runner(capture) -> None:
    vpc = capture.one("aws:ec2/vpc:Vpc").inputs
    assert vpc["enableDnsSupport"] is True and vpc["enableDnsHostnames"] is True


@pytest.mark.parametrize(
    "mode,stack,nats,eips",
    [("none", "dev", 0, 0), ("single", "prod", 1, 1), ("per_az", "dev", 2, 2), ("per_az", "prod", 3, 3), ("regional", "prod", 1, 3)],
)
def test_nat_gateways_per_mode(mode: str, stack: str, nats: int, eips: int) -> None:
    capture = capture_for(stack, overrides={"vitality:network.natGateways": mode})
    assert len(capture.of_type(NAT)) == nats
    assert len(capture.of_type(EIP)) == eips
    private_routes = [r for r in capture.of_type(ROUTE) if "private" in r.name]
    azs = _azs(capture)
    assert len(private_routes) == (0 if mode == "none" else len(azs))
    for route in private_routes:
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        nat = capture.resolve(route.inputs["natGatewayId"])
        assert nat is not None and nat.type == NAT
    if mode == "regional":
        regional = capture.one(NAT).inputs
        assert regional["availabilityMode"] == "regional" and "subnetId" not in regional
        assert {a["availabilityZone"] for a in regional["availabilityZoneAddresses"]} == set(azs)
    if mode == "per_az":
        assert {capture.resolve(n.inputs["subnetId"]).inputs["availabilityZone"] for n in capture.of_type(NAT)} == set(azs)


def test_nat_gateways_are_keyed_by_az_so_a_mode_change_keeps_the_first() -> None:
    single = {n.name for n in capture_for("prod", overrides={"vitality:network.natGateways": "single"}).of_type(NAT)}
    per_az = {n.name for n in capture_for("prod").of_type(NAT)}
    assert single and single <= per_az


def test_database_tier_has_no_route_out_of_the_vpc(capture) -> None:
    database_subnets = {s.id for s in capture.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "database"}
    tables = {a.inputs["routeTableId"] for a in capture.of_type(ASSOCIATION) if a.inputs["subnetId"] in database_subnets}
    assert len(tables) == 1
    assert [r for r in capture.of_type(ROUTE) if r.inputs["routeTableId"] in tables] == []
    table = capture.resolve(next(iter(tables)))
    assert "routes" not in table.inputs or table.inputs["routes"] == []
    for endpoint in capture.of_type(ENDPOINT):
        assert not tables & set(endpoint.inputs.get("routeTableIds", []))
    group = capture.one("aws:rds/subnetGroup:SubnetGroup")
    assert set(group.inputs["subnetIds"]) == database_subnets


def test_public_tier_routes_to_the_internet_gateway(capture) -> None:
    (route,) = [r for r in capture.of_type(ROUTE) if r.name.endswith("public-internet")]
    assert capture.resolve(route.inputs["gatewayId"]).type == "aws:ec2/internetGateway:InternetGateway"


def test_no_ingress_from_anywhere(capture) -> None:
    for rule in capture.of_type(INGRESS):
        assert rule.inputs.get("cidrIpv4") not in ("0.0.0.0/0",) and rule.inputs.get("cidrIpv6") != "::/0", rule.name
    for group in capture.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress"), f"{group.name} has inline ingress rules"


def test_default_security_group_is_stripped(capture) -> None:
    default = capture.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert default["ingress"] == [] and default["egress"] == []
    assert capture.resolve(default["vpcId"]).type == "aws:ec2/vpc:Vpc"


def test_database_accepts_only_the_app_on_5432(capture) -> None:
    database_sg = next(g for g in capture.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-database"))
    rules = [r for r in capture.of_type(INGRESS) if r.inputs["securityGroupId"] == database_sg.id]
    assert len(rules) == 1
    rule = rules[0].inputs
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (5432, 5432, "tcp")
    assert capture.resolve(rule["referencedSecurityGroupId"]).name.endswith("-app")
    assert not [r for r in capture.of_type(EGRESS) if r.inputs["securityGroupId"] == database_sg.id]


def test_endpoints_admit_https_from_the_vpc_only(prod) -> None:
    capture = prod  # dev has no interface endpoints, hence no endpoint security group
    endpoint_sg = next(g for g in capture.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-endpoints"))
    rules = [r.inputs for r in capture.of_type(INGRESS) if r.inputs["securityGroupId"] == endpoint_sg.id]
    assert rules == [
        {**rules[0], "cidrIpv4": capture.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"], "fromPort": 443, "toPort": 443}
    ]


def test_interface_endpoints_follow_config(capture) -> None:
    region = capture.config.values["aws:region"]
    wanted = capture.config.values["vitality:network"].get("interfaceEndpoints", [])
    interface = [e.inputs for e in capture.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert sorted(e["serviceName"] for e in interface) == sorted(f"com.amazonaws.{region}.{s}" for s in wanted)
    private = {s.id for s in capture.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "private"}
    for endpoint in interface:
        assert endpoint["privateDnsEnabled"] is True and set(endpoint["subnetIds"]) == private
    gateway = [e.inputs for e in capture.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    assert [g["serviceName"] for g in gateway] == [f"com.amazonaws.{region}.s3"]


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group(capture) -> None:
    flow = capture.one("aws:ec2/flowLog:FlowLog").inputs
    assert flow["trafficType"] == "ALL" and flow["logDestinationType"] == "cloud-watch-logs"
    group = capture.resolve(flow["logDestination"])
    assert group.type == "aws:cloudwatch/logGroup:LogGroup"
    key = capture.resolve(group.inputs["kmsKeyId"])
    assert key.type == "aws:kms/key:Key" and key.inputs["tags"]["DataDomain"] == "logs"
    retention = capture.config.values["vitality:observability"]["logRetentionDays"]
    assert group.inputs["retentionInDays"] == retention
    role = capture.resolve(flow["iamRoleArn"])
    trust = statements(policy(role, "assumeRolePolicy"))
    assert trust[0]["Principal"] == {"Service": ["vpc-flow-logs.amazonaws.com"]}
    assert trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"]
    (role_policy,) = [p for p in capture.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.id]
    grant, describe = statements(policy(role_policy))
    assert set(grant["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert grant["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]
    assert describe["Action"] == ["logs:DescribeLogGroups"]
    assert describe["Resource"] == "arn:aws:logs:us-west-2:111122223333:log-group:*"


def test_outputs_list_private_subnets_in_az_order(prod) -> None:
    private = [s for s in prod.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "private"]
    by_id = {s.id: s.inputs["availabilityZone"] for s in private}
    assert [by_id[i] for i in prod.outputs["privateSubnetIds"]] == _azs(prod)
    assert prod.outputs["vpcId"] == prod.one("aws:ec2/vpc:Vpc").id
