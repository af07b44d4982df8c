"""Violating variants: VPC, subnets, security groups, NACLs, routes, VPC Block Public Access."""

from __future__ import annotations

from policy.rules.shared import (
    BPA_EXCLUSION,
    DEFAULT_SG,
    ENDPOINT,
    FLOW_LOG,
    IGW,
    LOAD_BALANCER,
    NACL,
    NACL_RULE,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOC,
    SG,
    SG_INGRESS,
    SUBNET,
    VPC,
    VPC_BPA,
    VPC_ORIGIN,
)

from .core import Mutant, variant

WORLD_RULE = "security-group-no-world-ingress"


@variant(WORLD_RULE, "ingress rule opened to 0.0.0.0/0", "value", ("dev", "prod"))
def _world_v4(m: Mutant) -> str:
    rule = m.get(SG_INGRESS, "net-database-from-app")
    return m.edit(rule, lambda p: (p.pop("referencedSecurityGroupId", None), p.update(cidrIpv4="0.0.0.0/0")))


@variant(WORLD_RULE, "ingress rule opened to ::/0", "sibling")
def _world_v6(m: Mutant) -> str:
    rule = m.get(SG_INGRESS, "net-database-from-app")
    return m.edit(rule, lambda p: (p.pop("referencedSecurityGroupId", None), p.update(cidrIpv6="::/0")))


@variant(WORLD_RULE, "inline ingress block on the group itself", "sibling")
def _world_inline(m: Mutant) -> str:
    return m.set(m.get(SG, "net-app"), "ingress",
                 [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}])


ADMIN_RULE = "security-group-no-world-admin-ports"


@variant(ADMIN_RULE, "all ports from the internet", "wildcard", ("dev", "prod"))
def _admin_all(m: Mutant) -> str:
    return m.edit(m.get(SG_INGRESS, "net-database-from-app"),
                  lambda p: (p.pop("referencedSecurityGroupId", None),
                             p.update(cidrIpv4="0.0.0.0/0", ipProtocol="-1", fromPort=-1, toPort=-1)))


@variant(ADMIN_RULE, "port range covering PostgreSQL", "partial")
def _admin_range(m: Mutant) -> str:
    return m.edit(m.get(SG_INGRESS, "net-database-from-app"),
                  lambda p: (p.pop("referencedSecurityGroupId", None),
                             p.update(cidrIpv6="::/0", ipProtocol="tcp", fromPort=5000, toPort=6000)))


@variant("default-security-group-no-rules", "default group allows all egress", "value", ("dev", "prod"))
def _default_sg_egress(m: Mutant) -> str:
    return m.set(m.get(DEFAULT_SG), "egress",
                 [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}])


@variant("default-security-group-no-rules", "default group allows ingress from itself", "value")
def _default_sg_ingress(m: Mutant) -> str:
    return m.set(m.get(DEFAULT_SG), "ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}])


@variant("vpc-default-security-group-managed", "default security group no longer adopted", "removed", ("dev", "prod"))
def _default_sg_removed(m: Mutant) -> str:
    m.remove(m.get(DEFAULT_SG))
    return m.get(VPC).name


@variant("vpc-default-security-group-managed", "adopted default group keeps a rule", "value")
def _default_sg_rule(m: Mutant) -> str:
    m.set(m.get(DEFAULT_SG), "ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}])
    return m.get(VPC).name


@variant("vpc-flow-logs-enabled", "flow log removed", "removed", ("dev", "prod"))
def _flow_removed(m: Mutant) -> str:
    m.remove(m.get(FLOW_LOG))
    return m.get(VPC).name


@variant("vpc-flow-logs-enabled", "flow log of accepted traffic only", "partial")
def _flow_accept(m: Mutant) -> str:
    m.set(m.get(FLOW_LOG), "trafficType", "ACCEPT")
    return m.get(VPC).name


@variant("vpc-ecr-interface-endpoints", "ecr.dkr endpoint removed", "removed")
def _ecr_endpoint_removed(m: Mutant) -> str:
    m.remove(m.get(ENDPOINT, "net-ecr-dkr"))
    return m.get(VPC).name


@variant("vpc-ecr-interface-endpoints", "ecr.api endpoint of type Gateway", "value")
def _ecr_endpoint_gateway(m: Mutant) -> str:
    m.set(m.get(ENDPOINT, "net-ecr-api"), "vpcEndpointType", "Gateway")
    return m.get(VPC).name


@variant("vpc-ec2-ssm-interface-endpoints", "three of the four endpoints", "partial", ("dev", "prod"))
def _ssm_partial(m: Mutant) -> str:
    vpc = m.get(VPC)
    like = m.get(ENDPOINT, "net-s3")
    for service in ("ec2", "ssm", "ssm-contacts"):
        m.add(ENDPOINT, f"{m.prefix}net-{service}", {"vpcId": vpc.id, "vpcEndpointType": "Interface",
                                                      "serviceName": f"com.amazonaws.us-west-2.{service}"}, like=like)
    return vpc.name


@variant("subnet-no-public-ip-on-launch", "public subnet maps public IPs", "value", ("dev", "prod"))
def _subnet_public_ip(m: Mutant) -> str:
    return m.set(m.get(SUBNET, "net-public-us-west-2a"), "mapPublicIpOnLaunch", True)


NACL_RULE_NAME = "network-acl-no-world-admin-ports"


@variant(NACL_RULE_NAME, "NACL rule allows SSH from the internet", "added")
def _nacl_rule(m: Mutant) -> str:
    return m.add(NACL_RULE, f"{m.prefix}net-ssh", {"networkAclId": "acl-1", "ruleNumber": 100, "egress": False,
                                                    "protocol": "tcp", "ruleAction": "allow", "cidrBlock": "0.0.0.0/0",
                                                    "fromPort": 20, "toPort": 25}).name


@variant(NACL_RULE_NAME, "inline NACL entry allows every protocol from ::/0", "wildcard")
def _nacl_inline(m: Mutant) -> str:
    return m.add(NACL, f"{m.prefix}net-acl", {"vpcId": m.get(VPC).id, "ingress": [
        {"ruleNo": 100, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlock": "::/0"}]}).name


DB_ROUTE_RULE = "database-subnets-no-internet-route"


@variant(DB_ROUTE_RULE, "default route to the internet gateway in the database table", "added", ("dev", "prod"))
def _db_route_igw(m: Mutant) -> str:
    table = m.get(ROUTE_TABLE, "net-database")
    m.add(ROUTE, f"{m.prefix}net-database-internet", {"routeTableId": table.id, "destinationCidrBlock": "0.0.0.0/0",
                                                       "gatewayId": m.get(IGW).id}, like=table)
    return m.get("aws:rds/subnetGroup:SubnetGroup").name


@variant(DB_ROUTE_RULE, "database subnet associated with a NAT-routed table", "sibling")
def _db_route_nat(m: Mutant) -> str:
    assoc = m.get(RT_ASSOC, "net-database-us-west-2a")
    m.set(assoc, "routeTableId", m.get(ROUTE_TABLE, "net-private-us-west-2a").id)
    return m.get("aws:rds/subnetGroup:SubnetGroup").name


@variant(DB_ROUTE_RULE, "database subnet association removed (main route table)", "removed")
def _db_route_main(m: Mutant) -> str:
    m.remove(m.get(RT_ASSOC, "net-database-us-west-2a"))
    return m.get("aws:rds/subnetGroup:SubnetGroup").name


BPA_MODE = "vpc-block-public-access-mode"


@variant(BPA_MODE, "VPC BPA switched off", "value")
def _bpa_off(m: Mutant) -> str:
    return m.set(m.get(VPC_BPA), "internetGatewayBlockMode", "off")


@variant(BPA_MODE, "bidirectional mode cuts the NAT gateways off", "value")
def _bpa_bidirectional(m: Mutant) -> str:
    return m.set(m.get(VPC_BPA), "internetGatewayBlockMode", "block-bidirectional")


BPA_SCOPE = "vpc-block-public-access-exclusions"


@variant(BPA_SCOPE, "exclusion of a subnet routed to the internet gateway", "added", ("dev", "prod"))
def _bpa_public_exclusion(m: Mutant) -> str:
    subnet = m.get(SUBNET, "net-public-us-west-2a")
    return m.add(BPA_EXCLUSION, f"{m.prefix}net-bpa-public", {"subnetId": subnet.id,
                                                               "internetGatewayExclusionMode": "allow-bidirectional"},
                 like=subnet).name


@variant(BPA_SCOPE, "exclusion of the whole VPC", "wildcard")
def _bpa_vpc_exclusion(m: Mutant) -> str:
    vpc = m.get(VPC)
    return m.add(BPA_EXCLUSION, f"{m.prefix}net-bpa-vpc", {"vpcId": vpc.id,
                                                            "internetGatewayExclusionMode": "allow-bidirectional"},
                 like=vpc).name


@variant(BPA_SCOPE, "VPC origin to a load balancer whose subnets are not excluded", "added", ("dev", "prod"))
def _bpa_vpc_origin(m: Mutant) -> str:
    subnets = [m.get(SUBNET, f"net-database-us-west-2{z}") for z in "ab"]
    alb = m.add(LOAD_BALANCER, f"{m.prefix}api-alb", {"internal": True, "loadBalancerType": "application",
                                                       "subnets": [s.id for s in subnets]}, like=subnets[0],
                outputs={"arn": f"arn:aws:elasticloadbalancing:us-west-2:111122223333:loadbalancer/app/{m.stack}-alb/1"})
    origin = m.add(VPC_ORIGIN, f"{m.prefix}api-vpc-origin", {"vpcOriginEndpointConfig": {
        "arn": alb.outputs["arn"], "name": "api", "httpPort": 80, "httpsPort": 443,
        "originProtocolPolicy": "https-only", "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1}}}, like=alb)
    return origin.name
