"""Network rules: security groups, network ACLs, flow logs, VPC endpoints, subnets, routes and VPC Block
Public Access (EC2.*)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..framework import (
    ADVISORY,
    Res,
    StackView,
    as_list,
    dig,
    number,
    text,
    truthy,
)
from .shared import (
    BPA_EXCLUSION,
    DEFAULT_SG,
    ENDPOINT,
    FLOW_LOG,
    IGW,
    LOAD_BALANCER,
    NACL,
    NACL_RULE,
    RDS_SUBNETS,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOC,
    SG,
    SG_INGRESS,
    SG_RULE,
    SUBNET,
    VPC,
    VPC_BPA,
    VPC_ORIGIN,
    WORLD,
    Findings,
    igw_routed,
    resource_rule,
    stack_rule,
)

# EC2.19's high-risk ports (the control's fixed list)
HIGH_RISK_PORTS = (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500,
                   5601, 8080, 8088, 8888, 9200, 9300)
ADMIN_PORTS = (22, 3389)


def _all_protocols(protocol: Any) -> bool:
    return str(protocol).lower() in ("-1", "all")


def _covers(protocol: Any, from_port: Any, to_port: Any, port: int) -> bool:
    if _all_protocols(protocol):
        return True
    if str(protocol).lower() not in ("tcp", "udp", "6", "17"):
        return False
    low, high = number(from_port, 0), number(to_port, 65535)
    if low == -1 and high == -1:
        return True
    return low <= port <= high


def _world_ingress(res: Res) -> list[tuple[Any, Any, Any, str]]:
    """(protocol, from, to, cidr) of every ingress permission open to the internet, for all three SG rule shapes."""
    found = []
    if res.type in (SG, DEFAULT_SG):
        for entry in as_list(res.get("ingress")):
            cidrs = as_list(dig(entry, "cidrBlocks")) + as_list(dig(entry, "ipv6CidrBlocks"))
            found += [(dig(entry, "protocol"), dig(entry, "fromPort"), dig(entry, "toPort"), c) for c in cidrs if c in WORLD]
    elif res.type == SG_RULE and text(res.get("type")) == "ingress":
        cidrs = as_list(res.get("cidrBlocks")) + as_list(res.get("ipv6CidrBlocks"))
        found += [(res.get("protocol"), res.get("fromPort"), res.get("toPort"), c) for c in cidrs if c in WORLD]
    elif res.type == SG_INGRESS:
        for cidr in (res.get("cidrIpv4"), res.get("cidrIpv6")):
            if cidr in WORLD:
                found.append((res.get("ipProtocol"), res.get("fromPort"), res.get("toPort"), cidr))
    return found


SG_TYPES = (SG, SG_RULE, SG_INGRESS)


@resource_rule(
    "security-group-no-world-ingress",
    types=SG_TYPES,
    controls=("EC2.18",),
    severity="high",
    tsc=("CC6.1", "CC6.6"),
    description="Security groups allow no ingress from 0.0.0.0/0 or ::/0 (stricter than EC2.18's 80/443 allowance).",
    remediation="Allow ingress only from a referenced security group or a private CIDR; public traffic enters "
    "through CloudFront/WAF, never directly into the VPC.",
)
def _sg_world(res: Res) -> Iterator[str]:
    for protocol, low, high, cidr in _world_ingress(res):
        yield f"ingress {protocol} {low}-{high} from {cidr}"


@resource_rule(
    "security-group-no-world-admin-ports",
    types=SG_TYPES,
    controls=("EC2.19", "EC2.53", "EC2.54"),
    severity="critical",
    tsc=("CC6.1", "CC6.6"),
    description="No internet-open ingress to high-risk ports (SSH, RDP, databases, admin consoles).",
    remediation="Remove the 0.0.0.0/0 or ::/0 source; use SSM Session Manager instead of SSH/RDP and security-group "
    "references for database access.",
)
def _sg_admin(res: Res) -> Iterator[str]:
    for protocol, low, high, cidr in _world_ingress(res):
        ports = [p for p in HIGH_RISK_PORTS if _covers(protocol, low, high, p)]
        if ports:
            yield f"ingress from {cidr} opens high-risk ports {ports}"


@resource_rule(
    "default-security-group-no-rules",
    types=(DEFAULT_SG,),
    controls=("EC2.2",),
    severity="high",
    tsc=("CC6.1", "CC6.6"),
    description="A managed default security group has no ingress and no egress rules.",
    remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], egress=[]).",
)
def _default_sg(res: Res) -> Iterator[str]:
    for key in ("ingress", "egress"):
        if as_list(res.get(key)):
            yield f"the default security group has {key} rules"


@stack_rule(
    "vpc-default-security-group-managed",
    types=(VPC,),
    controls=("EC2.2",),
    severity="high",
    tsc=("CC6.1", "CC6.6"),
    description="Every VPC adopts its default security group and strips its rules.",
    remediation="Add aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id, ingress=[], egress=[]) next to the VPC.",
)
def _vpc_default_sg(stack: StackView) -> Findings:
    for vpc in stack.of(VPC):
        groups = stack.referrers(vpc, (DEFAULT_SG,), "vpcId")
        if not groups:
            yield vpc, "the VPC's default security group is not managed (AWS's default allows all traffic within it)"
        for group in groups:
            if as_list(group.get("ingress")) or as_list(group.get("egress")):
                yield vpc, f"default security group {group.name} keeps rules"


@stack_rule(
    "vpc-flow-logs-enabled",
    types=(VPC,),
    controls=("EC2.6",),
    severity="medium",
    tsc=("CC7.2", "CC6.6"),
    description="Every VPC has a flow log capturing rejected (or all) traffic.",
    remediation="Add aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type=\"ALL\", ...) to a KMS-encrypted log group.",
)
def _flow_logs(stack: StackView) -> Findings:
    for vpc in stack.of(VPC):
        logs = [f for f in stack.referrers(vpc, (FLOW_LOG,), "vpcId") if text(f.get("trafficType")) in ("ALL", "REJECT")]
        if not logs:
            yield vpc, "no flow log with traffic_type ALL or REJECT"


def _endpoint_services(stack: StackView, vpc: Res) -> set[str]:
    """Short service names (`ecr.api`) of the VPC's interface endpoints (provider default type: Gateway)."""
    return {text(e.get("serviceName")).split(".", 3)[-1]
            for e in stack.referrers(vpc, (ENDPOINT,), "vpcId")
            if text(e.get("vpcEndpointType")) == "Interface"}


@stack_rule(
    "vpc-ecr-interface-endpoints",
    types=(VPC,),
    controls=("EC2.55", "EC2.56"),
    severity="medium",
    tsc=("CC6.6",),
    description="Prod VPCs reach ECR (API and Docker registry) through interface endpoints.",
    remediation="Add ecr.api and ecr.dkr to vitality:network.interfaceEndpoints in the prod stack.",
)
def _ecr_endpoints(stack: StackView) -> Findings:
    for vpc in stack.of(VPC):
        missing = {"ecr.api", "ecr.dkr"} - _endpoint_services(stack, vpc)
        if missing:
            yield vpc, f"no interface endpoint for {sorted(missing)}"


@stack_rule(
    "vpc-ec2-ssm-interface-endpoints",
    types=(VPC,),
    controls=("EC2.10", "EC2.57", "EC2.58", "EC2.60"),
    severity="medium",
    tsc=("CC6.6",),
    enforcement=ADVISORY,
    description="VPCs have interface endpoints for EC2, SSM, SSM Contacts and SSM Incidents.",
    remediation="Add ec2, ssm, ssm-contacts and ssm-incidents to vitality:network.interfaceEndpoints (cost per AZ; "
    "the program runs no EC2 or SSM workload, so this stays advisory).",
)
def _ssm_endpoints(stack: StackView) -> Findings:
    for vpc in stack.of(VPC):
        missing = {"ec2", "ssm", "ssm-contacts", "ssm-incidents"} - _endpoint_services(stack, vpc)
        if missing:
            yield vpc, f"no interface endpoint for {sorted(missing)}"


@resource_rule(
    "subnet-no-public-ip-on-launch",
    types=(SUBNET,),
    controls=("EC2.15",),
    severity="medium",
    tsc=("CC6.6",),
    description="Subnets do not assign public IPv4 addresses on launch (provider default false).",
    remediation="Set map_public_ip_on_launch=False (NAT gateways get Elastic IPs explicitly).",
)
def _subnet_public_ip(res: Res) -> Iterator[str]:
    if truthy(res.get("mapPublicIpOnLaunch")):
        yield "map_public_ip_on_launch is true"


def _nacl_entries(res: Res) -> list[tuple[Any, Any, Any, Any]]:
    if res.type == NACL:
        return [
            (dig(e, "protocol"), dig(e, "fromPort"), dig(e, "toPort"), c)
            for e in as_list(res.get("ingress"))
            if text(dig(e, "action")).lower() == "allow"
            for c in (dig(e, "cidrBlock"), dig(e, "ipv6CidrBlock"))
            if c in WORLD
        ]
    if truthy(res.get("egress")) or text(res.get("ruleAction")).lower() != "allow":
        return []
    return [
        (res.get("protocol"), res.get("fromPort"), res.get("toPort"), c)
        for c in (res.get("cidrBlock"), res.get("ipv6CidrBlock"))
        if c in WORLD
    ]


@resource_rule(
    "network-acl-no-world-admin-ports",
    types=(NACL, NACL_RULE),
    controls=("EC2.21",),
    severity="medium",
    tsc=("CC6.1", "CC6.6"),
    description="Network ACLs do not allow ingress from 0.0.0.0/0 or ::/0 to ports 22 or 3389.",
    remediation="Deny or narrow the NACL entry; administrative access goes through SSM, not SSH/RDP.",
)
def _nacl(res: Res) -> Iterator[str]:
    for protocol, low, high, cidr in _nacl_entries(res):
        ports = [p for p in ADMIN_PORTS if _covers(protocol, low, high, p)]
        if ports:
            yield f"allows {cidr} to ports {ports}"


def _internet_routes(stack: StackView, subnet: Res) -> list[str]:
    """Why a subnet can reach the internet: default routes to an IGW/NAT/egress-only IGW, or an unmanaged main table."""
    associations = stack.referrers(subnet, (RT_ASSOC,), "subnetId")
    if not associations:
        return ["no explicit route table association (uses the VPC main route table, which the program does not manage)"]
    found = []
    for assoc in associations:
        table = stack.ref(assoc, "routeTableId", (ROUTE_TABLE,))
        if table is None:
            continue
        routes = [(r.get("destinationCidrBlock"), r.get("destinationIpv6CidrBlock"), r.get("gatewayId"),
                   r.get("natGatewayId"), r.get("egressOnlyGatewayId")) for r in stack.referrers(table, (ROUTE,), "routeTableId")]
        routes += [(dig(r, "cidrBlock"), dig(r, "ipv6CidrBlock"), dig(r, "gatewayId"), dig(r, "natGatewayId"),
                    dig(r, "egressOnlyGatewayId")) for r in as_list(table.get("routes"))]
        for v4, v6, gateway, nat, egress_only in routes:
            if (v4 in WORLD or v6 in WORLD) and (text(gateway).startswith("igw-") or nat or egress_only
                                                 or stack.resolve(gateway, (IGW,))):
                found.append(f"route table {table.name} has a default route to the internet")
    return found


@stack_rule(
    "database-subnets-no-internet-route",
    types=(RDS_SUBNETS,),
    controls=("RDS.46",),
    severity="high",
    tsc=("CC6.1", "CC6.6"),
    description="DB subnet groups contain only subnets whose route tables have no default route to an internet "
    "gateway or NAT.",
    remediation="Put the database tier in isolated subnets with a route table holding only the local route.",
)
def _db_subnets(stack: StackView) -> Findings:
    for group in stack.of(RDS_SUBNETS):
        subnets = stack.refs(group, "subnetIds", (SUBNET,))
        if not subnets:
            yield group, "its subnets are not subnets of this stack (cannot show they are isolated)"
        for subnet in subnets:
            for why in _internet_routes(stack, subnet):
                yield group, f"subnet {subnet.name}: {why}"


@resource_rule(
    "vpc-block-public-access-mode",
    types=(VPC_BPA,),
    controls=("EC2.172",),
    severity="medium",
    tsc=("CC6.6",),
    description="VPC Block Public Access blocks inbound internet-gateway traffic in block-ingress mode: the platform's "
    "private subnets reach AWS and the internet through NAT gateways, which block-bidirectional cuts off "
    "(docs/decisions.md).",
    remediation="Set internet_gateway_block_mode=\"block-ingress\" (the account baseline does).",
)
def _vpc_bpa(res: Res) -> Iterator[str]:
    mode = text(res.get("internetGatewayBlockMode"))
    if mode == "block-bidirectional":
        yield "internet_gateway_block_mode is block-bidirectional, which blocks NAT gateway egress"
    elif mode != "block-ingress":
        yield f"internet_gateway_block_mode is {res.get('internetGatewayBlockMode')!r}"


@stack_rule(
    "vpc-block-public-access-exclusions",
    types=(BPA_EXCLUSION, VPC_ORIGIN),
    controls=("EC2.172",),
    severity="medium",
    tsc=("CC6.6",),
    description="VPC Block Public Access exclusions are as narrow as the platform needs: only subnets (never a whole "
    "VPC) without a route to the internet gateway, and the subnets of a CloudFront VPC origin's load balancer are "
    "excluded (VPC BPA blocks VPC-origin traffic; AWS VPC User Guide, VPC BPA basics).",
    remediation="Exclude exactly the private subnets of the internal load balancer a VPC origin targets "
    "(ec2.VpcBlockPublicAccessExclusion(subnet_id=..., internet_gateway_exclusion_mode=\"allow-bidirectional\")).",
)
def _vpc_bpa_exclusions(stack: StackView) -> Findings:
    excluded: set[int] = set()
    for exclusion in stack.of(BPA_EXCLUSION):
        if exclusion.get("vpcId") is not None and exclusion.get("subnetId") is None:
            yield exclusion, "excludes a whole VPC, public subnets included"
        for subnet in stack.refs(exclusion, "subnetId", (SUBNET,)):
            excluded.add(id(subnet))
            if igw_routed(stack, subnet):
                yield exclusion, f"excludes subnet {subnet.name}, which routes to the internet gateway"
    for origin in stack.of(VPC_ORIGIN):
        balancers = stack.refs(origin, "vpcOriginEndpointConfig", (LOAD_BALANCER,)) or [
            lb for lb in stack.of(LOAD_BALANCER)
            if text(dig(origin.get("vpcOriginEndpointConfig"), "arn")) in lb.addresses()]
        for balancer in balancers:
            missing = [s.name for s in stack.refs(balancer, "subnets", (SUBNET,)) if id(s) not in excluded]
            if missing:
                yield origin, f"subnets {missing} of load balancer {balancer.name} are not excluded from VPC Block " \
                    "Public Access, which blocks CloudFront VPC-origin traffic"
