"""Network: the VPC, three subnet tiers per AZ, NAT, routing, endpoints, flow logs and security groups.

Tiers: `public` (NAT gateways only; no resource gets a public IP on launch), `private` (the API's VPC
connector / tasks, its internal load balancer and interface endpoints; egress through NAT), `database` (isolated: a route table with
only the local route). Every per-AZ resource is keyed by the AZ *name*, so adding an AZ or switching NAT mode
never replaces another AZ's subnets, routes or NAT gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .common import StackContext, allow, child, log_group, service_role
from .encryption import KeyRef
from .settings import TIERS, NetworkSettings

COMPONENT = "network"
POSTGRES_PORT = 5432
HTTPS_PORT = 443

# Flow log record format: the default fields plus the ones that explain NAT'd and rejected traffic.
FLOW_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    "${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${az-id} ${pkt-srcaddr} ${pkt-dstaddr} "
    "${flow-direction} ${traffic-path} ${tcp-flags}"
)


@dataclass(frozen=True)
class LoadBalancerPath:
    """The API's ECS path through the VPC: CloudFront (VPC origin) -> internal ALB -> tasks.

    CloudFront's VPC-origin traffic is admitted by the AWS-managed prefix list
    `com.amazonaws.global.cloudfront.origin-facing` (docs/decisions.md: its id comes from settings, no lookup). The
    list weighs 55 rules against the default 60-rule quota of a security group, so the load balancer group holds
    exactly one ingress rule: the single listener port."""

    listener_port: int  # 80 (HTTP inside the VPC) or 443 (with api.domain)
    container_port: int
    cloudfront_prefix_list_id: str


@dataclass(frozen=True)
class NetworkArgs:
    ctx: StackContext
    settings: NetworkSettings
    logs_key: KeyRef
    log_retention_days: int
    api_path: Optional[LoadBalancerPath] = None  # only for api.platform ecs


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    database_subnet_ids: pulumi.Output[list[str]]
    db_subnet_group_name: pulumi.Output[str]
    app_security_group_id: pulumi.Output[str]
    load_balancer_security_group_id: Optional[pulumi.Output[str]]  # the API's internal ALB (api.platform ecs)
    database_security_group_id: pulumi.Output[str]
    endpoint_security_group_id: Optional[pulumi.Output[str]]  # None without interface endpoints
    nat_public_ips: pulumi.Output[list[str]]
    nat_gateway_ids: pulumi.Output[list[str]]
    flow_log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Network", name, None, opts)
        ctx, cfg = args.ctx, args.settings
        self._ctx, self._prefix = ctx, name
        azs = cfg.availability_zones
        self.vpc_cidr = cfg.cidr

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cfg.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # interface endpoint private DNS and App Runner VPC egress need it
            enable_network_address_usage_metrics=True,
            instance_tenancy="default",
            tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-vpc"),
            opts=child(self),
        )
        self.vpc_id = vpc.id

        # EC2.2: the default security group allows nothing in and nothing out.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-default-locked"),
            opts=child(vpc),
        )
        # Also a prerequisite of CloudFront VPC origins, even though the origin itself stays in private subnets.
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-igw"), opts=child(vpc)
        )

        subnets: dict[str, dict[str, aws.ec2.Subnet]] = {tier: {} for tier in TIERS}
        for tier in TIERS:
            for az in azs:
                subnets[tier][az] = aws.ec2.Subnet(
                    f"{name}-{tier}-{az}",
                    vpc_id=vpc.id,
                    cidr_block=cfg.subnet_cidrs[tier][az],
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-{tier}-{az}", Tier=tier),
                    opts=child(vpc),
                )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=vpc.id, tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-public", Tier="public"), opts=child(vpc)
        )
        aws.ec2.Route(f"{name}-public-internet", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=child(public_rt))
        for az, subnet in subnets["public"].items():
            aws.ec2.RouteTableAssociation(f"{name}-public-{az}", route_table_id=public_rt.id, subnet_id=subnet.id,
                                          opts=child(public_rt))

        nat_by_az, eips = self._nat_gateways(cfg, vpc, igw, subnets["public"])

        private_rts: dict[str, aws.ec2.RouteTable] = {}
        for az, subnet in subnets["private"].items():
            rt = aws.ec2.RouteTable(
                f"{name}-private-{az}", vpc_id=vpc.id,
                tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-private-{az}", Tier="private"), opts=child(vpc),
            )
            private_rts[az] = rt
            if az in nat_by_az:
                aws.ec2.Route(f"{name}-private-{az}-egress", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0",
                              nat_gateway_id=nat_by_az[az].id, opts=child(rt))
            aws.ec2.RouteTableAssociation(f"{name}-private-{az}", route_table_id=rt.id, subnet_id=subnet.id, opts=child(rt))

        # The database tier has only the VPC-local route: no internet gateway, no NAT.
        database_rt = aws.ec2.RouteTable(
            f"{name}-database", vpc_id=vpc.id,
            tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-database", Tier="database"), opts=child(vpc),
        )
        for az, subnet in subnets["database"].items():
            aws.ec2.RouteTableAssociation(f"{name}-database-{az}", route_table_id=database_rt.id, subnet_id=subnet.id,
                                          opts=child(database_rt))

        app_sg, database_sg = self._security_groups(vpc)
        load_balancer_sg = self._load_balancer_group(vpc, app_sg, args.api_path) if args.api_path else None
        if args.api_path:
            # EC2.172: the account baseline blocks internet-gateway ingress (VPC Block Public Access), which also
            # blocks CloudFront VPC-origin traffic to the internal load balancer; its private subnets have no
            # internet-gateway route, so excluding them opens nothing to the internet (docs/decisions.md)
            for az, subnet in subnets["private"].items():
                aws.ec2.VpcBlockPublicAccessExclusion(
                    f"{name}-bpa-exclusion-{az}",
                    subnet_id=subnet.id,
                    internet_gateway_exclusion_mode="allow-bidirectional",
                    tags=ctx.tags(COMPONENT),
                    opts=child(subnet),
                )
        endpoint_sg = self._endpoints(cfg, vpc, list(private_rts.values()), [s.id for s in subnets["private"].values()])
        flow_logs = self._flow_logs(args, vpc)

        db_subnet_group = aws.rds.SubnetGroup(
            f"{name}-database",
            description=f"{ctx.name_prefix} isolated database subnets",
            subnet_ids=[s.id for s in subnets["database"].values()],
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )

        def ids(tier: str) -> pulumi.Output[list[str]]:
            return pulumi.Output.all(*[subnets[tier][az].id for az in azs]).apply(list)

        self.public_subnet_ids = ids("public")
        self.private_subnet_ids = ids("private")
        self.database_subnet_ids = ids("database")
        self.db_subnet_group_name = db_subnet_group.name
        self.app_security_group_id = app_sg.id
        self.load_balancer_security_group_id = load_balancer_sg.id if load_balancer_sg else None
        self.database_security_group_id = database_sg.id
        self.endpoint_security_group_id = endpoint_sg.id if endpoint_sg is not None else None
        self.nat_public_ips = pulumi.Output.all(*[eip.public_ip for eip in eips]).apply(list)
        distinct_nats = list({id(nat): nat for nat in nat_by_az.values()}.values())
        self.nat_gateway_ids = pulumi.Output.all(*[nat.id for nat in distinct_nats]).apply(list)
        self.flow_log_group_name = flow_logs.name
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "databaseSubnetIds": self.database_subnet_ids,
                "dbSubnetGroupName": self.db_subnet_group_name,
                "natPublicIps": self.nat_public_ips,
            }
        )

    def _nat_gateways(
        self,
        cfg: NetworkSettings,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        public: dict[str, aws.ec2.Subnet],
    ) -> tuple[dict[str, aws.ec2.NatGateway], list[aws.ec2.Eip]]:
        """NAT gateway per private route table's AZ, by mode. EIPs and zonal NATs are keyed by AZ name."""
        ctx, name, azs = self._ctx, self._prefix, cfg.availability_zones
        if cfg.nat_gateways == "none":
            return {}, []

        def eip(az: str) -> aws.ec2.Eip:
            return aws.ec2.Eip(f"{name}-nat-{az}", domain="vpc", tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-nat-{az}"),
                               opts=child(vpc, depends_on=[igw]))

        if cfg.nat_gateways == "regional":
            addresses = {az: eip(az) for az in azs}
            regional = aws.ec2.NatGateway(
                f"{name}-nat-regional",
                vpc_id=vpc.id,
                availability_mode="regional",
                connectivity_type="public",
                availability_zone_addresses=[
                    aws.ec2.NatGatewayAvailabilityZoneAddressArgs(availability_zone=az, allocation_ids=[addresses[az].id])
                    for az in azs
                ],
                tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-nat-regional"),
                opts=child(vpc, depends_on=[igw]),
            )
            return dict.fromkeys(azs, regional), list(addresses.values())

        nat_azs = azs[:1] if cfg.nat_gateways == "single" else azs
        nats: dict[str, aws.ec2.NatGateway] = {}
        eips = []
        for az in nat_azs:
            address = eip(az)
            eips.append(address)
            nats[az] = aws.ec2.NatGateway(
                f"{name}-nat-{az}",
                allocation_id=address.id,
                subnet_id=public[az].id,
                connectivity_type="public",
                tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-nat-{az}"),
                opts=child(vpc, depends_on=[igw]),
            )
        return {az: nats.get(az, nats[nat_azs[0]]) for az in azs}, eips

    def _security_groups(self, vpc: aws.ec2.Vpc) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
        ctx, name = self._ctx, self._prefix

        def group(key: str, description: str) -> aws.ec2.SecurityGroup:
            # No inline rules: every rule is its own resource, and the provider removes AWS's default allow-all
            # egress rule from a new group.
            return aws.ec2.SecurityGroup(f"{name}-{key}", vpc_id=vpc.id, description=description,
                                         tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-{key}"), opts=child(vpc))

        app = group("app", "API service (App Runner VPC connector or ECS tasks)")
        database = group("database", "Aurora PostgreSQL: only the API may connect")

        aws.vpc.SecurityGroupIngressRule(
            f"{name}-database-from-app", security_group_id=database.id, referenced_security_group_id=app.id,
            ip_protocol="tcp", from_port=POSTGRES_PORT, to_port=POSTGRES_PORT, description="PostgreSQL from the API",
            tags=ctx.tags(COMPONENT), opts=child(database),
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-app-to-database", security_group_id=app.id, referenced_security_group_id=database.id,
            ip_protocol="tcp", from_port=POSTGRES_PORT, to_port=POSTGRES_PORT, description="PostgreSQL to the database",
            tags=ctx.tags(COMPONENT), opts=child(app),
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-app-https", security_group_id=app.id, cidr_ipv4="0.0.0.0/0", ip_protocol="tcp",
            from_port=HTTPS_PORT, to_port=HTTPS_PORT, description="HTTPS to AWS APIs (endpoints or NAT)",
            tags=ctx.tags(COMPONENT), opts=child(app),
        )
        return app, database

    def _load_balancer_group(
        self, vpc: aws.ec2.Vpc, app: aws.ec2.SecurityGroup, path: LoadBalancerPath
    ) -> aws.ec2.SecurityGroup:
        """Ingress only from CloudFront's origin-facing prefix list on the listener port; the ALB may only reach the
        tasks on the container port, and the tasks accept the container port only from the ALB."""
        ctx, name = self._ctx, self._prefix
        alb = aws.ec2.SecurityGroup(f"{name}-alb", vpc_id=vpc.id, description="API internal load balancer: CloudFront VPC origin only",
                                    tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-alb"), opts=child(vpc))
        # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-from-cloudfront", security_group_id=alb.id, prefix_list_id=path.cloudfront_prefix_list_id,
            ip_protocol="tcp", from_port=path.listener_port, to_port=path.listener_port,
            description="CloudFront VPC origin (origin-facing prefix list)", tags=ctx.tags(COMPONENT), opts=child(alb),
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-app", security_group_id=alb.id, referenced_security_group_id=app.id, ip_protocol="tcp",
            from_port=path.container_port, to_port=path.container_port, description="Requests and health checks to the API tasks",
            tags=ctx.tags(COMPONENT), opts=child(alb),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-app-from-alb", security_group_id=app.id, referenced_security_group_id=alb.id, ip_protocol="tcp",
            from_port=path.container_port, to_port=path.container_port, description="The API port, from the load balancer only",
            tags=ctx.tags(COMPONENT), opts=child(app),
        )
        return alb

    def _endpoints(
        self,
        cfg: NetworkSettings,
        vpc: aws.ec2.Vpc,
        private_rts: list[aws.ec2.RouteTable],
        private_subnet_ids: list[pulumi.Output[str]],
    ) -> Optional[aws.ec2.SecurityGroup]:
        """The free S3 gateway endpoint, and the interface endpoints with their security group (none at all, and no
        group, when network.interfaceEndpoints is empty)."""
        ctx, name = self._ctx, self._prefix
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{ctx.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-s3"),
            opts=child(vpc),
        )
        if not cfg.interface_endpoints:
            return None
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints", vpc_id=vpc.id, description="Interface VPC endpoints: HTTPS from inside the VPC",
            tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-endpoints"), opts=child(vpc),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https", security_group_id=endpoint_sg.id, cidr_ipv4=cfg.cidr, ip_protocol="tcp",
            from_port=HTTPS_PORT, to_port=HTTPS_PORT, description="HTTPS from inside the VPC",
            tags=ctx.tags(COMPONENT), opts=child(endpoint_sg),
        )
        for service in cfg.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{ctx.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=private_subnet_ids,
                security_group_ids=[endpoint_sg.id],
                tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-{service}"),
                opts=child(vpc),
            )
        return endpoint_sg

    def _flow_logs(self, args: NetworkArgs, vpc: aws.ec2.Vpc) -> aws.cloudwatch.LogGroup:
        ctx, name = self._ctx, self._prefix
        group = log_group(
            f"{name}-flow-logs", ctx, COMPONENT, self, retention_days=args.log_retention_days, kms_key_arn=args.logs_key.arn
        )
        role = service_role(
            f"{name}-flow-logs",
            ctx,
            COMPONENT,
            self,
            services=["vpc-flow-logs.amazonaws.com"],
            source_arn=ctx.arn("ec2", "vpc-flow-log/*"),
            description="VPC flow logs delivery to its CloudWatch log group",
            statements=[
                allow(
                    "DeliverFlowLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    [group.arn, pulumi.Output.concat(group.arn, ":*")],
                ),
                # the delivery service checks that the group exists before writing (AWS's documented role policy);
                # DescribeLogGroups has no resource-level permissions, so a log-group ARN would grant nothing
                allow("FindLogGroup", ["logs:DescribeLogGroups"], "*"),
            ],
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type=args.settings.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            log_format=FLOW_LOG_FORMAT,
            tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}-flow-log"),
            opts=child(vpc),
        )
        return group

