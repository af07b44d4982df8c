"""Network pricing: NAT gateways, public IPv4 addresses, VPC endpoints; the free VPC plumbing."""

from __future__ import annotations

from ...engine import Resource
from ..model import HOURS, Charge, Context, Pricer, flat


def _nat_gateway(r: Resource, ctx: Context) -> list[Charge]:
    zones = r.inputs.get("availabilityZoneAddresses") or []
    azs = len(zones) if r.inputs.get("availabilityMode") == "regional" and zones else 1
    idle, used = ctx.share("nat_data_gb", ctx.of_types(r.type))
    label = f"{azs} AZ x " if azs > 1 else ""
    return [
        flat(f"{label}{HOURS} h", "ec2.nat_gateway_hour", azs * HOURS),
        Charge("data processed (GB)", "ec2.nat_gateway_gb", idle, used),
    ]


def _eip(r: Resource, ctx: Context) -> list[Charge]:
    return [flat(f"public IPv4 address, {HOURS} h", "ec2.public_ipv4_hour", HOURS)]


def _interface_endpoints(ctx: Context) -> list[Resource]:
    return [r for r in ctx.of_types("aws:ec2/vpcEndpoint:VpcEndpoint") if r.inputs.get("vpcEndpointType") == "Interface"]


def _vpc_endpoint(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("vpcEndpointType", "Gateway") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) have no hourly or data charge
    subnets = r.inputs.get("subnetIds")
    azs = len(subnets) if isinstance(subnets, list) else len(ctx.capture.config.values.get("vitality:network", {}).get("availabilityZones", [])) or 1
    idle, used = ctx.share("endpoint_data_gb", _interface_endpoints(ctx))
    return [
        flat(f"{azs} AZ x {HOURS} h", "vpce.interface_az_hour", azs * HOURS),
        Charge("data processed (GB)", "vpce.interface_gb", idle, used),
    ]


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
}

# Types with no charge of their own, and why.
FREE: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "no charge for a VPC",
    "aws:ec2/subnet:Subnet": "no charge for subnets",
    "aws:ec2/routeTable:RouteTable": "no charge for route tables",
    "aws:ec2/route:Route": "no charge for routes",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge for route table associations",
    "aws:ec2/internetGateway:InternetGateway": "no charge for the gateway; data transfer is billed where it leaves",
    "aws:ec2/securityGroup:SecurityGroup": "no charge for security groups",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "no charge for security groups",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge for security group rules",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge for security group rules",
    "aws:ec2/networkAcl:NetworkAcl": "no charge for network ACLs",
    "aws:ec2/networkAclRule:NetworkAclRule": "no charge for network ACL rules",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "no charge for network ACLs",
    "aws:ec2/defaultRouteTable:DefaultRouteTable": "no charge for route tables",
    "aws:ec2/flowLog:FlowLog": "billed as log ingestion on its destination log group or bucket",
}
