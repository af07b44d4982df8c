"""Every rule of the pack: AWS Security Hub controls (FSBP, CIS v3.0, NIST-only where SOC 2 needs them) that can be
decided from what the program registers (reference/compliance-controls.md §6.1), plus the project's own rules.

Provider defaults are encoded: an input the program left unset has the provider's default, and where that default
is insecure (storage_encrypted, deletion_protection, enable_key_rotation, image_tag_mutability, ...) an unset
input fails the rule. `POLICIES` is what `policy/__main__.py` hands to the PolicyPack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Optional

from pulumi_policy import Policy
from pulumi_policy.proxy import UnknownValueError

from .controls import standards_of
from .framework import (
    ADVISORY,
    Res,
    Rule,
    StackView,
    action_matches,
    allows,
    as_list,
    by_name,
    condition_value,
    dig,
    is_map,
    load_exceptions,
    number,
    principal_values,
    public_principal,
    restricting_condition,
    statement_actions,
    statement_resources,
    statements,
    text,
    truthy,
)

# --------------------------------------------------------------------------------------------------
# Type tokens (pulumi-aws v7)
# --------------------------------------------------------------------------------------------------

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
RT_ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
VPC_BPA = "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions"
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"

RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_EVENTS = "aws:rds/eventSubscription:EventSubscription"
RDS_SUBNETS = "aws:rds/subnetGroup:SubnetGroup"

KMS_KEY = "aws:kms/key:Key"

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACH = "aws:iam/policyAttachment:PolicyAttachment"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
USER_ATTACH = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
GROUP_ATTACH = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile"
PASSWORD_POLICY = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKETS = (BUCKET, BUCKET_V2)
BPA = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
REPLICATION = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
NOTIFICATION = ("aws:s3/bucketNotification:BucketNotification",)
OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
ACCOUNT_BPA = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"

ECR_REPO = "aws:ecr/repository:Repository"
ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
ECR_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"

APPRUNNER = "aws:apprunner/service:Service"
CONNECTOR = "aws:apprunner/vpcConnector:VpcConnector"

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
ALARMS = (METRIC_ALARM, COMPOSITE_ALARM)
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"

TRAIL = "aws:cloudtrail/trail:Trail"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
HUB = "aws:securityhub/account:Account"
HUB_STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
CONTACT = "aws:account/alternativeContact:AlternativeContact"

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"

# The singletons a stack owns when it owns the account baseline (security.accountBaseline).
BASELINE_TYPES = (HUB, RECORDER, DETECTOR, TRAIL, ANALYZER, PASSWORD_POLICY, EBS_DEFAULT, ACCOUNT_BPA)

PROJECT = "project"  # a project guardrail without a Security Hub control (its references name the source)

EXCEPTIONS = load_exceptions()
RULES: list[Rule] = []


def _rule(kind: str, name: str, **meta: Any) -> Callable[[Callable], Callable]:
    standards = standards_of(meta["controls"]) if meta["controls"] else (PROJECT,)

    def register(check: Callable) -> Callable:
        RULES.append(Rule(name=name, kind=kind, check=check, standards=standards, exceptions=EXCEPTIONS, **meta))
        return check

    return register


def resource_rule(name: str, **meta: Any) -> Callable[[Callable], Callable]:
    return _rule("resource", name, **meta)


def stack_rule(name: str, **meta: Any) -> Callable[[Callable], Callable]:
    return _rule("stack", name, **meta)


Findings = Iterator[tuple[Optional[Res], str]]

# ==================================================================================================
# Network
# ==================================================================================================

WORLD = ("0.0.0.0/0", "::/0")
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
    prod_only=True,
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
    description="VPC Block Public Access blocks inbound internet-gateway traffic (block-ingress keeps NAT egress).",
    remediation="Set internet_gateway_block_mode=\"block-ingress\".",
)
def _vpc_bpa(res: Res) -> Iterator[str]:
    if text(res.get("internetGatewayBlockMode")) not in ("block-ingress", "block-bidirectional"):
        yield f"internet_gateway_block_mode is {res.get('internetGatewayBlockMode')!r}"


# ==================================================================================================
# RDS (Aurora PostgreSQL)
# ==================================================================================================


@resource_rule(
    "rds-cluster-encrypted-cmk",
    types=(RDS_CLUSTER,),
    controls=("RDS.27", "RDS.3", "RDS.4"),
    severity="medium",
    tsc=("CC6.1",),
    description="Aurora clusters are encrypted at rest with a customer-managed KMS key (provider default: unencrypted).",
    remediation="Set storage_encrypted=True and kms_key_id=<data key ARN> (immutable: fix before the first deploy).",
)
def _rds_encrypted(res: Res) -> Iterator[str]:
    if not truthy(res.get("storageEncrypted")):
        yield "storage_encrypted is not true"
    if not text(res.get("kmsKeyId")):
        yield "no customer-managed kms_key_id"


@resource_rule(
    "rds-cluster-deletion-protection",
    types=(RDS_CLUSTER,),
    controls=("RDS.7",),
    severity="medium",
    tsc=("A1.2", "C1.1"),
    prod_only=True,
    description="Prod Aurora clusters have deletion protection and take a final snapshot (provider default: off).",
    remediation="Set deletion_protection=True, skip_final_snapshot=False and a final_snapshot_identifier in prod.",
)
def _rds_deletion(res: Res) -> Iterator[str]:
    if not truthy(res.get("deletionProtection")):
        yield "deletion_protection is not true"
    if truthy(res.get("skipFinalSnapshot")) or not text(res.get("finalSnapshotIdentifier")):
        yield "no final snapshot on delete"


@resource_rule(
    "rds-cluster-iam-auth",
    types=(RDS_CLUSTER,),
    controls=("RDS.12", "RDS.10"),
    severity="medium",
    tsc=("CC6.1", "CC6.3"),
    description="Aurora clusters enable IAM database authentication (provider default: off).",
    remediation="Set iam_database_authentication_enabled=True.",
)
def _rds_iam(res: Res) -> Iterator[str]:
    if not truthy(res.get("iamDatabaseAuthenticationEnabled")):
        yield "iam_database_authentication_enabled is not true"


@resource_rule(
    "rds-cluster-backup-retention",
    types=(RDS_CLUSTER,),
    controls=("RDS.11",),
    severity="medium",
    tsc=("A1.2", "CC7.4"),
    description="Aurora clusters keep automated backups for at least 7 days (provider default: 1).",
    remediation="Set backup_retention_period >= 7 (vitality:database.backupRetentionDays; prod uses 35).",
)
def _rds_backups(res: Res) -> Iterator[str]:
    days = number(res.get("backupRetentionPeriod"), 1)
    if days < 7:
        yield f"backup_retention_period is {days:g}"


@resource_rule(
    "rds-cluster-copy-tags-to-snapshot",
    types=(RDS_CLUSTER,),
    controls=("RDS.16", "RDS.47"),
    severity="low",
    tsc=("CC6.1",),
    description="Aurora clusters copy tags to snapshots (provider default: false).",
    remediation="Set copy_tags_to_snapshot=True.",
)
def _rds_copy_tags(res: Res) -> Iterator[str]:
    if not truthy(res.get("copyTagsToSnapshot")):
        yield "copy_tags_to_snapshot is not true"


@resource_rule(
    "rds-cluster-log-exports",
    types=(RDS_CLUSTER,),
    controls=("RDS.37", "RDS.9"),
    severity="medium",
    tsc=("CC7.2",),
    description="Aurora PostgreSQL clusters export the postgresql log to CloudWatch Logs (provider default: none).",
    remediation="Set enabled_cloudwatch_logs_exports=[\"postgresql\"].",
)
def _rds_logs(res: Res) -> Iterator[str]:
    if "postgresql" not in [text(v) for v in as_list(res.get("enabledCloudwatchLogsExports"))]:
        yield "enabled_cloudwatch_logs_exports lacks \"postgresql\""


@resource_rule(
    "rds-cluster-custom-admin-username",
    types=(RDS_CLUSTER,),
    controls=("RDS.24",),
    severity="medium",
    tsc=("CC6.1",),
    description="Aurora clusters use a master username other than the engine default (postgres).",
    remediation="Set master_username to a project-specific name (e.g. app_admin).",
)
def _rds_admin(res: Res) -> Iterator[str]:
    user = text(res.get("masterUsername"))
    if user.lower() in ("", "postgres", "admin"):
        yield f"master_username is {user or 'unset (engine default postgres)'}"


@resource_rule(
    "rds-cluster-managed-secret-cmk",
    types=(RDS_CLUSTER,),
    controls=("SecretsManager.1",),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config secretsmanager-using-cmk", "CKV_AWS_149"),
    description="The master password is an RDS-managed, rotated secret encrypted with a customer-managed key; no "
    "password lives in the program or its state.",
    remediation="Set manage_master_user_password=True and master_user_secret_kms_key_id=<data key ARN>; remove "
    "master_password.",
)
def _rds_secret(res: Res) -> Iterator[str]:
    if not truthy(res.get("manageMasterUserPassword")):
        yield "manage_master_user_password is not true"
    if not text(res.get("masterUserSecretKmsKeyId")):
        yield "master_user_secret_kms_key_id is unset (AWS managed key)"
    if res.get("masterPassword") is not None:
        yield "master_password is set in the program"


@resource_rule(
    "rds-cluster-auto-minor-upgrade",
    types=(RDS_CLUSTER,),
    controls=("RDS.35",),
    severity="medium",
    tsc=("CC7.1",),
    description="Aurora clusters take automatic minor version upgrades (provider default: true).",
    remediation="Leave auto_minor_version_upgrade unset or True.",
)
def _rds_cluster_minor(res: Res) -> Iterator[str]:
    if not truthy(res.get("autoMinorVersionUpgrade"), default=True):
        yield "auto_minor_version_upgrade is false"


@resource_rule(
    "rds-instance-not-public",
    types=(RDS_INSTANCE,),
    controls=("RDS.2",),
    severity="critical",
    tsc=("CC6.1", "CC6.6"),
    description="Cluster instances are not publicly accessible (provider default: false).",
    remediation="Leave publicly_accessible unset or False.",
)
def _rds_public(res: Res) -> Iterator[str]:
    if truthy(res.get("publiclyAccessible")):
        yield "publicly_accessible is true"


@resource_rule(
    "rds-instance-auto-minor-upgrade",
    types=(RDS_INSTANCE,),
    controls=("RDS.13",),
    severity="high",
    tsc=("CC7.1",),
    description="Cluster instances take automatic minor version upgrades (provider default: true).",
    remediation="Leave auto_minor_version_upgrade unset or True.",
)
def _rds_instance_minor(res: Res) -> Iterator[str]:
    if not truthy(res.get("autoMinorVersionUpgrade"), default=True):
        yield "auto_minor_version_upgrade is false"


@resource_rule(
    "rds-instance-enhanced-monitoring",
    types=(RDS_INSTANCE,),
    controls=("RDS.6",),
    severity="low",
    tsc=("CC7.2",),
    description="Cluster instances have Enhanced Monitoring with a monitoring role (provider default interval: 0).",
    remediation="Set monitoring_interval (1/5/10/15/30/60) and monitoring_role_arn (AmazonRDSEnhancedMonitoringRole).",
)
def _rds_monitoring(res: Res) -> Iterator[str]:
    if number(res.get("monitoringInterval"), 0) not in (1, 5, 10, 15, 30, 60):
        yield f"monitoring_interval is {res.get('monitoringInterval') or 0}"
    elif not text(res.get("monitoringRoleArn")):
        yield "no monitoring_role_arn"


@resource_rule(
    "rds-instance-copy-tags-to-snapshot",
    types=(RDS_INSTANCE,),
    controls=("RDS.17",),
    severity="low",
    tsc=("CC6.1",),
    description="Cluster instances copy tags to snapshots (provider default: false).",
    remediation="Set copy_tags_to_snapshot=True on every ClusterInstance.",
)
def _rds_instance_tags(res: Res) -> Iterator[str]:
    if not truthy(res.get("copyTagsToSnapshot")):
        yield "copy_tags_to_snapshot is not true"


@resource_rule(
    "rds-performance-insights-cmk",
    types=(RDS_INSTANCE, RDS_CLUSTER),
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("CKV_AWS_354", "pulumi compliance-policies clusterinstance-disallow-unencrypted-performance-insights"),
    description="Performance Insights, where enabled, is encrypted with a customer-managed key.",
    remediation="Set performance_insights_kms_key_id=<data key ARN> wherever performance_insights_enabled=True.",
)
def _rds_pi(res: Res) -> Iterator[str]:
    if truthy(res.get("performanceInsightsEnabled")) and not text(res.get("performanceInsightsKmsKeyId")):
        yield "performance insights without performance_insights_kms_key_id"


@stack_rule(
    "rds-cluster-multi-az",
    types=(RDS_CLUSTER,),
    controls=("RDS.15",),
    severity="medium",
    tsc=("A1.2",),
    prod_only=True,
    description="Prod Aurora clusters run a writer and at least one reader, in distinct AZs where AZs are pinned.",
    remediation="Set vitality:database.readers >= 1 in prod; readers are placed in another AZ.",
)
def _rds_multi_az(stack: StackView) -> Findings:
    for cluster in stack.of(RDS_CLUSTER):
        instances = stack.referrers(cluster, (RDS_INSTANCE,), "clusterIdentifier")
        zones = [text(i.get("availabilityZone")) for i in instances if text(i.get("availabilityZone"))]
        if len(instances) < 2:
            yield cluster, f"{len(instances)} instance(s); a writer and a reader are needed"
        elif len(zones) > 1 and len(set(zones)) < 2:
            yield cluster, f"all instances pinned to {zones[0]}"


# RDS.19-22: once any subscription exists, each source type must be covered for these categories.
RDS_EVENT_COVERAGE = {
    "db-cluster": ("RDS.19", {"maintenance", "failure"}),
    "db-instance": ("RDS.20", {"maintenance", "configuration change", "failure"}),
    "db-parameter-group": ("RDS.21", {"configuration change"}),
    "db-security-group": ("RDS.22", {"configuration change", "failure"}),
}


@stack_rule(
    "rds-event-subscriptions-cover-critical-events",
    types=(RDS_EVENTS,),
    controls=("RDS.19", "RDS.20", "RDS.21", "RDS.22"),
    severity="low",
    tsc=("CC7.2", "CC7.3"),
    description="If any RDS event subscription exists, enabled subscriptions cover the critical events of clusters, "
    "instances, parameter groups and security groups.",
    remediation="Subscribe the alerting topic with source types db-cluster, db-instance, db-parameter-group and "
    "db-security-group and at least the categories each control lists (or no category filter).",
)
def _rds_events(stack: StackView) -> Findings:
    subscriptions = [s for s in stack.of(RDS_EVENTS) if truthy(s.get("enabled"), default=True)]
    if not stack.of(RDS_EVENTS):
        return
    anchor = stack.of(RDS_EVENTS)[0]
    for source, (control, needed) in RDS_EVENT_COVERAGE.items():
        covered: set[str] = set()
        for sub in subscriptions:
            # a subscription scoped to this stack's sources counts: the control checks types and categories
            if text(sub.get("sourceType")) in ("", source):
                categories = {text(c).lower() for c in as_list(sub.get("eventCategories"))}
                covered |= categories or needed
        missing = needed - covered
        if missing:
            yield anchor, f"{control}: no enabled {source} subscription for {sorted(missing)}"


# ==================================================================================================
# KMS, IAM, secrets
# ==================================================================================================


@resource_rule(
    "kms-key-rotation",
    types=(KMS_KEY,),
    controls=("KMS.4",),
    severity="medium",
    tsc=("CC6.1",),
    description="Symmetric customer-managed keys rotate automatically (provider default: off).",
    remediation="Set enable_key_rotation=True (rotation_period_in_days 90-2560).",
)
def _kms_rotation(res: Res) -> Iterator[str]:
    spec = text(res.get("customerMasterKeySpec")) or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and not truthy(res.get("enableKeyRotation")):
        yield "enable_key_rotation is not true"


@resource_rule(
    "kms-key-not-public",
    types=(KMS_KEY, "aws:kms/keyPolicy:KeyPolicy"),
    controls=("KMS.5",),
    severity="critical",
    tsc=("CC6.1",),
    description="Key policies grant nothing to a wildcard principal without a restricting condition, and keep the "
    "policy-lockout safety check.",
    remediation="Name the account root or service principals with aws:SourceAccount/aws:SourceArn conditions; leave "
    "bypass_policy_lockout_safety_check False.",
)
def _kms_public(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s) and public_principal(s) and not restricting_condition(s):
            yield f"statement {s.get('Sid', '?')} allows a wildcard principal"
    if truthy(res.get("bypassPolicyLockoutSafetyCheck")):
        yield "bypass_policy_lockout_safety_check is true"


INLINE_POLICY_TYPES = (ROLE_POLICY, USER_POLICY, GROUP_POLICY)
IDENTITY_POLICY_TYPES = (IAM_POLICY, ROLE, *INLINE_POLICY_TYPES)


def _identity_documents(res: Res) -> list[Any]:
    """The identity-policy documents a resource carries (not trust policies)."""
    if res.type == ROLE:
        return [dig(p, "policy") for p in as_list(res.get("inlinePolicies"))]
    return [res.get("policy")]


def _allow_statements(res: Res) -> Iterator[Mapping[str, Any]]:
    for doc in _identity_documents(res):
        for s in statements(doc):
            if allows(s):
                yield s


@resource_rule(
    "iam-no-kms-decrypt-on-all-keys",
    types=IDENTITY_POLICY_TYPES,
    controls=("KMS.1", "KMS.2"),
    severity="medium",
    tsc=("CC6.1", "CC6.3"),
    description="Identity policies do not allow kms:Decrypt or kms:ReEncryptFrom on all keys.",
    remediation="List the key ARNs the principal needs in Resource.",
)
def _kms_decrypt(res: Res) -> Iterator[str]:
    for s in _allow_statements(res):
        patterns = statement_actions(s)
        if "*" in statement_resources(s) and any(action_matches(patterns, a) for a in ("kms:decrypt", "kms:reencryptfrom")):
            yield f"statement {s.get('Sid', '?')} allows decryption with every KMS key"


@resource_rule(
    "iam-no-admin-policy",
    types=IDENTITY_POLICY_TYPES,
    controls=("IAM.1",),
    severity="high",
    tsc=("CC6.1", "CC6.3"),
    description="No identity policy allows Action \"*\" on Resource \"*\".",
    remediation="Grant the specific actions on the specific resources the principal uses.",
)
def _iam_admin(res: Res) -> Iterator[str]:
    for s in _allow_statements(res):
        if "*" in statement_actions(s) and "*" in statement_resources(s):
            yield f"statement {s.get('Sid', '?')} allows *:* (full administrator)"


@resource_rule(
    "iam-no-service-wildcard-actions",
    types=IDENTITY_POLICY_TYPES,
    controls=("IAM.21",),
    severity="low",
    tsc=("CC6.3",),
    description="Identity policies (managed and inline) allow no `*` or `service:*` actions and no NotAction.",
    remediation="List the actions; a wildcard suffix on a verb (`s3:Get*`) is tolerated, a whole service is not.",
)
def _iam_wildcards(res: Res) -> Iterator[str]:
    for s in _allow_statements(res):
        broad = [a for a in statement_actions(s) if a == "*" or a.endswith(":*")]
        if broad:
            yield f"statement {s.get('Sid', '?')} allows {broad}"
        if s.get("NotAction") is not None:
            yield f"statement {s.get('Sid', '?')} allows NotAction"


@resource_rule(
    "iam-no-user-policies",
    types=(USER_POLICY, USER_ATTACH, POLICY_ATTACH),
    controls=("IAM.2",),
    severity="low",
    tsc=("CC6.3",),
    description="No policy is attached to an IAM user; access goes through roles.",
    remediation="Attach the policy to a role (or group) instead.",
)
def _iam_users(res: Res) -> Iterator[str]:
    if res.type in (USER_POLICY, USER_ATTACH) or as_list(res.get("users")):
        yield "a policy is attached to an IAM user"


@resource_rule(
    "iam-no-long-lived-credentials",
    types=(ACCESS_KEY, LOGIN_PROFILE),
    controls=("IAM.3", "IAM.5"),
    severity="medium",
    tsc=("CC6.1", "CC6.2"),
    description="The program creates no IAM access keys or console passwords (CI uses OIDC roles, people use SSO).",
    remediation="Remove the AccessKey/UserLoginProfile; use a role assumed through OIDC or IAM Identity Center.",
)
def _iam_credentials(res: Res) -> Iterator[str]:
    yield f"{res.type.rsplit(':', 1)[-1]} creates long-lived IAM user credentials"


CLOUDSHELL = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"


@resource_rule(
    "iam-no-cloudshell-full-access",
    types=(ROLE, ROLE_ATTACH, POLICY_ATTACH, USER_ATTACH, GROUP_ATTACH),
    controls=("IAM.27",),
    severity="medium",
    tsc=("CC6.3",),
    description="No identity gets AWSCloudShellFullAccess.",
    remediation="Remove the attachment; grant the narrower CloudShell actions if needed.",
)
def _cloudshell(res: Res) -> Iterator[str]:
    arns = as_list(res.get("policyArn")) + as_list(res.get("managedPolicyArns"))
    if any(text(a).endswith(":policy/AWSCloudShellFullAccess") for a in arns):
        yield "attaches AWSCloudShellFullAccess"


def _pins_federated_identity(statement: Mapping[str, Any]) -> bool:
    """An OIDC provider is pinned by its subject (`<provider>:sub`); a Cognito identity pool by its audience, the
    pool id (`cognito-identity.amazonaws.com:aud`), which is how AWS documents identity-pool roles."""
    keys = {str(k).lower() for clauses in (statement.get("Condition") or {}).values() if is_map(clauses) for k in clauses}
    return any(k.endswith(":sub") for k in keys) or "cognito-identity.amazonaws.com:aud" in keys


@resource_rule(
    "iam-role-trust-scoped",
    types=(ROLE,),
    controls=(),
    severity="high",
    tsc=("CC6.1", "CC6.3"),
    references=("AWS confused-deputy guidance", "cdk-nag IAM5"),
    description="Role trust policies name no wildcard principal, scope service principals with aws:SourceAccount/"
    "aws:SourceArn, and pin federated (OIDC) principals to a subject.",
    remediation="Build trust policies with components.common.service_trust(...) or add the conditions by hand.",
)
def _trust(res: Res) -> Iterator[str]:
    for s in statements(res.get("assumeRolePolicy")):
        if not allows(s):
            continue
        sid = s.get("Sid", "?")
        kinds = {kind for kind, _ in principal_values(s)}
        if public_principal(s):
            yield f"statement {sid} trusts a wildcard principal"
        elif "Service" in kinds and not restricting_condition(s):
            yield f"statement {sid} trusts a service principal without aws:SourceAccount/aws:SourceArn"
        elif "Federated" in kinds and not _pins_federated_identity(s):
            yield f"statement {sid} trusts a federated principal without a subject condition"


@resource_rule(
    "iam-password-policy-strong",
    types=(PASSWORD_POLICY,),
    controls=("IAM.7", "IAM.15", "IAM.16"),
    severity="medium",
    tsc=("CC6.1", "CC6.2"),
    description="The account password policy needs upper/lower case, numbers, symbols, 14+ characters and prevents "
    "reuse of the last 24 passwords (provider defaults are weaker).",
    remediation="Set all four require_* flags, minimum_password_length=14 and password_reuse_prevention=24.",
)
def _password(res: Res) -> Iterator[str]:
    for key in ("requireUppercaseCharacters", "requireLowercaseCharacters", "requireNumbers", "requireSymbols"):
        if not truthy(res.get(key)):
            yield f"{key} is not true"
    if number(res.get("minimumPasswordLength"), 6) < 14:
        yield f"minimum_password_length is {res.get('minimumPasswordLength') or 'the default 6'}"
    if number(res.get("passwordReusePrevention"), 0) < 24:
        yield f"password_reuse_prevention is {res.get('passwordReusePrevention') or 'unset'}"


@resource_rule(
    "secret-encrypted-with-cmk",
    types=(SECRET,),
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config secretsmanager-using-cmk", "CKV_AWS_149"),
    description="Secrets Manager secrets are encrypted with a customer-managed key (default: aws/secretsmanager).",
    remediation="Set kms_key_id=<data key ARN>.",
)
def _secret_cmk(res: Res) -> Iterator[str]:
    if not text(res.get("kmsKeyId")) or text(res.get("kmsKeyId")).endswith("alias/aws/secretsmanager"):
        yield "no customer-managed kms_key_id"


@stack_rule(
    "secret-rotation-enabled",
    types=(SECRET,),
    controls=("SecretsManager.1", "SecretsManager.4"),
    severity="medium",
    tsc=("CC6.1",),
    description="Every program-created secret has automatic rotation at most every 90 days (RDS-managed master "
    "secrets rotate through RDS and are not program resources).",
    remediation="Add aws.secretsmanager.SecretRotation(secret_id=secret.id, rotation_rules={automatically_after_days<=90}).",
)
def _secret_rotation(stack: StackView) -> Findings:
    for secret in stack.of(SECRET):
        rotations = stack.referrers(secret, (SECRET_ROTATION,), "secretId")
        if not rotations:
            yield secret, "no SecretRotation"
        for rotation in rotations:
            days = number(dig(rotation.get("rotationRules"), "automaticallyAfterDays"), 0)
            schedule = text(dig(rotation.get("rotationRules"), "scheduleExpression"))
            if not schedule and not 0 < days <= 90:
                yield secret, f"rotation every {days:g} days (more than 90 or unset)"


# ==================================================================================================
# S3
# ==================================================================================================


def _bucket_children(stack: StackView, bucket: Res, types: tuple[str, ...]) -> list[Res]:
    return stack.referrers(bucket, types, "bucket")


def _bucket_rule(name: str, types: tuple[str, ...], problem: Callable[[StackView, Res, list[Res]], Optional[str]],
                 **meta: Any) -> None:
    """A stack rule: every bucket has a sub-resource of `types` for which `problem(...)` returns None."""

    def check(stack: StackView) -> Findings:
        for bucket in stack.of(*BUCKETS):
            why = problem(stack, bucket, _bucket_children(stack, bucket, types))
            if why:
                yield bucket, why

    check.__name__ = f"_{name.replace('-', '_')}"
    stack_rule(name, types=BUCKETS, **meta)(check)


def _bpa_problem(stack: StackView, bucket: Res, blocks: list[Res]) -> Optional[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if text(bucket.get("acl")) in ("public-read", "public-read-write", "authenticated-read"):
        return f"legacy acl {bucket.get('acl')}"
    if not blocks:
        return "no BucketPublicAccessBlock"
    off = [f for f in flags if not any(truthy(b.get(f)) for b in blocks)]
    return f"public access block leaves {off} off" if off else None


_bucket_rule(
    "s3-bucket-public-access-blocked",
    BPA,
    _bpa_problem,
    controls=("S3.8", "S3.2", "S3.3", "CloudTrail.6"),
    severity="high",
    tsc=("CC6.1", "CC6.6"),
    description="Every bucket has all four Block Public Access settings on and no public canned ACL.",
    remediation="Build buckets with components.common.hardened_bucket (BucketPublicAccessBlock with all four true).",
)


def _tls_deny(stack: StackView, bucket: Res, policies: list[Res]) -> Optional[str]:
    try:
        bucket_arn = text(bucket.get("arn"))
    except UnknownValueError:  # a new bucket in preview: its policy's resources are unknown too
        bucket_arn = ""
    for policy in policies:
        for s in statements(policy.get("policy")):
            if text(s.get("Effect")).lower() != "deny" or not public_principal(s):
                continue
            if not any(action_matches(statement_actions(s), a) for a in ("s3:getobject", "s3:putobject", "s3:listbucket")):
                continue
            if [str(v).lower() for v in condition_value(s, "Bool", "aws:SecureTransport")] != ["false"]:
                continue
            resources = [text(r) for r in statement_resources(s)]
            if bucket_arn and not ({bucket_arn, f"{bucket_arn}/*"} <= set(resources) or "*" in resources):
                continue
            return None
    return "no bucket policy statement denies requests without TLS (aws:SecureTransport=false) on the bucket and its objects"


_bucket_rule(
    "s3-bucket-tls-only",
    BUCKET_POLICY,
    _tls_deny,
    controls=("S3.5",),
    severity="medium",
    tsc=("CC6.1", "CC6.7"),
    description="Every bucket policy denies requests that do not use TLS, on the bucket and its objects.",
    remediation="Use hardened_bucket (its policy starts with DenyInsecureTransport).",
)


def _ownership(stack: StackView, bucket: Res, controls: list[Res]) -> Optional[str]:
    if any(text(dig(c.get("rule"), "objectOwnership")) == "BucketOwnerEnforced" for c in controls):
        return None
    return "ACLs are not disabled (no BucketOwnershipControls with BucketOwnerEnforced)"


_bucket_rule(
    "s3-bucket-acls-disabled",
    OWNERSHIP,
    _ownership,
    controls=("S3.12",),
    severity="medium",
    tsc=("CC6.1", "CC6.3"),
    description="Every bucket disables ACLs (object ownership BucketOwnerEnforced).",
    remediation="Add BucketOwnershipControls(rule={object_ownership: \"BucketOwnerEnforced\"}).",
)


def _access_logging(stack: StackView, bucket: Res, loggings: list[Res]) -> Optional[str]:
    if any(text(log.get("targetBucket")) for log in loggings):
        return None
    # AWS: a bucket that receives server access logs is not logged itself (that recurses); suppress its finding.
    if any(stack.resolve(log.get("targetBucket"), BUCKETS) is bucket for log in stack.of(*LOGGING)):
        return None
    return "no server access logging"


_bucket_rule(
    "s3-bucket-access-logging",
    LOGGING,
    _access_logging,
    controls=("S3.9", "CloudTrail.7"),
    severity="medium",
    tsc=("CC7.2",),
    description="Every bucket writes server access logs, except the access-log destination itself (AWS guidance).",
    remediation="Pass access_log_bucket=<the log bucket> to hardened_bucket.",
)


def _lifecycle(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    rules = [r for c in configs for r in as_list(c.get("rules")) if text(dig(r, "status")) == "Enabled"]
    if not rules:
        return "no enabled lifecycle rule"
    versioned = any(text(dig(v.get("versioningConfiguration"), "status")) == "Enabled"
                    for v in _bucket_children(stack, bucket, VERSIONING))
    if versioned and not any(dig(r, "noncurrentVersionExpiration") or dig(r, "noncurrentVersionTransitions")
                             for r in rules):
        return "versioned, but no lifecycle rule expires or transitions noncurrent versions"
    return None


_bucket_rule(
    "s3-bucket-lifecycle",
    LIFECYCLE,
    _lifecycle,
    controls=("S3.13", "S3.10", "S3.20"),
    severity="low",
    tsc=("C1.2", "A1.2"),
    description="Every bucket has an enabled lifecycle configuration; versioned buckets expire noncurrent versions "
    "(a lifecycle configuration also makes S3.20, root-only MFA delete, not apply).",
    remediation="Pass lifecycle rules to hardened_bucket (noncurrent_expire_days for versioned buckets).",
)


def _versioning(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    if any(text(dig(v.get("versioningConfiguration"), "status")) == "Enabled" for v in configs):
        return None
    return "versioning is not enabled"


_bucket_rule(
    "s3-bucket-versioning",
    VERSIONING,
    _versioning,
    controls=("S3.14",),
    severity="low",
    tsc=("A1.2", "C1.1", "CC7.4"),
    description="Every bucket has versioning enabled (recovery from overwrite and deletion).",
    remediation="Leave hardened_bucket's versioned=True.",
)


def _encryption(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    for c in configs:
        for rule in as_list(c.get("rules")):
            if text(dig(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")) in ("aws:kms", "aws:kms:dsse", "AES256"):
                return None
    return "no default server-side encryption configuration"


_bucket_rule(
    "s3-bucket-default-encryption",
    SSE,
    _encryption,
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config s3-bucket-server-side-encryption-enabled", "CKV_AWS_145"),
    description="Every bucket declares default encryption (the program's record of the choice, SSE-KMS or SSE-S3).",
    remediation="Use hardened_bucket with BucketEncryption(kms_key_arn=...) or a written sse_s3_reason.",
)


def _kms_encryption(stack: StackView, bucket: Res, configs: list[Res]) -> Optional[str]:
    for c in configs:
        for rule in as_list(c.get("rules")):
            default = dig(rule, "applyServerSideEncryptionByDefault")
            if text(dig(default, "sseAlgorithm")) in ("aws:kms", "aws:kms:dsse") and text(dig(default, "kmsMasterKeyId")):
                return None
    return "not encrypted with SSE-KMS and a customer-managed key"


_bucket_rule(
    "s3-bucket-kms-encryption",
    SSE,
    _kms_encryption,
    controls=("S3.17",),
    severity="medium",
    tsc=("CC6.1",),
    enforcement=ADVISORY,
    description="Buckets use SSE-KMS with a customer-managed key (advisory: SSE-S3 is allowed with a written reason, "
    "e.g. where a reader cannot use KMS).",
    remediation="Pass BucketEncryption(kms_key_arn=<key>) to hardened_bucket.",
)


def _present(kind: str) -> Callable[[StackView, Res, list[Res]], Optional[str]]:
    return lambda stack, bucket, found: None if found else f"no {kind}"


_bucket_rule(
    "s3-bucket-replication",
    REPLICATION,
    _present("cross-region replication configuration"),
    controls=("S3.7",),
    severity="low",
    tsc=("A1.2",),
    enforcement=ADVISORY,
    description="Buckets replicate to another region (advisory: disaster recovery beyond versioning is a choice).",
    remediation="Add aws.s3.BucketReplicationConfig to a bucket in another region.",
)
_bucket_rule(
    "s3-bucket-event-notifications",
    NOTIFICATION,
    _present("event notification configuration"),
    controls=("S3.11",),
    severity="medium",
    tsc=("CC7.2",),
    enforcement=ADVISORY,
    description="Buckets send event notifications (advisory).",
    remediation="Add aws.s3.BucketNotification (e.g. EventBridge) where object events matter.",
)


def _object_lock(stack: StackView, bucket: Res, found: list[Res]) -> Optional[str]:
    return None if truthy(bucket.get("objectLockEnabled")) or found else "object lock is not enabled"


_bucket_rule(
    "s3-bucket-object-lock",
    OBJECT_LOCK,
    _object_lock,
    controls=("S3.15",),
    severity="medium",
    tsc=("C1.1", "CC7.4"),
    enforcement=ADVISORY,
    description="Buckets have Object Lock (advisory; worth it for the CloudTrail/Config audit bucket).",
    remediation="Create the bucket with object_lock_enabled=True (only at creation).",
)

S3_ADMIN_ACTIONS = ("s3:deletebucketpolicy", "s3:putbucketacl", "s3:putbucketpolicy", "s3:putencryptionconfiguration",
                    "s3:putobjectacl")
POLICY_BEARERS = (*BUCKET_POLICY, TOPIC_POLICY, TOPIC)


@resource_rule(
    "s3-bucket-policy-not-public",
    types=BUCKET_POLICY,
    controls=("S3.2", "S3.3"),
    severity="critical",
    tsc=("CC6.1", "CC6.6"),
    description="Bucket policies allow nothing to a wildcard principal without a fixed-value restricting condition "
    "(CloudFront OAC reads are scoped by AWS:SourceArn).",
    remediation="Grant to service principals with aws:SourceArn/aws:SourceAccount conditions, never to \"*\".",
)
def _s3_public(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s) and public_principal(s) and not restricting_condition(s):
            yield f"statement {s.get('Sid', '?')} allows a wildcard principal"


@resource_rule(
    "s3-bucket-policy-no-admin-grants",
    types=BUCKET_POLICY,
    controls=("S3.6",),
    severity="high",
    tsc=("CC6.1", "CC6.3"),
    description="Bucket policies grant no principal the bucket-administration actions (policy, ACL, encryption); "
    "those stay with the account's IAM.",
    remediation="Remove s3:PutBucketPolicy/DeleteBucketPolicy/PutBucketAcl/PutEncryptionConfiguration/PutObjectAcl "
    "(and s3:*) from Allow statements.",
)
def _s3_admin(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s):
            granted = [a for a in S3_ADMIN_ACTIONS if action_matches(statement_actions(s), a)]
            if granted:
                yield f"statement {s.get('Sid', '?')} grants {granted}"


@resource_rule(
    "s3-account-public-access-block",
    types=(ACCOUNT_BPA,),
    controls=("S3.1",),
    severity="medium",
    tsc=("CC6.1", "CC6.6"),
    description="The account-level S3 Block Public Access has all four settings on (provider defaults: off).",
    remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to True.",
)
def _account_bpa(res: Res) -> Iterator[str]:
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        if not truthy(res.get(flag)):
            yield f"{flag} is not true"


# ==================================================================================================
# CloudFront, WAF
# ==================================================================================================


def _origins(res: Res) -> list[Any]:
    return as_list(res.get("origins"))


def _is_s3_origin(origin: Any) -> bool:
    domain = text(dig(origin, "domainName"))
    return dig(origin, "customOriginConfig") is None and (".s3." in domain or domain.endswith(".s3.amazonaws.com")
                                                         or dig(origin, "s3OriginConfig") is not None
                                                         or bool(dig(origin, "originAccessControlId")))


def _custom_cert(res: Res) -> bool:
    cert = res.get("viewerCertificate")
    return bool(text(dig(cert, "acmCertificateArn")) or text(dig(cert, "iamCertificateId")))


@resource_rule(
    "cloudfront-default-root-object",
    types=(DISTRIBUTION,),
    controls=("CloudFront.1",),
    severity="high",
    tsc=("CC6.1",),
    description="Distributions with an S3 origin set a default root object.",
    remediation="Set default_root_object=\"index.html\".",
)
def _cf_root(res: Res) -> Iterator[str]:
    if any(_is_s3_origin(o) for o in _origins(res)) and not text(res.get("defaultRootObject")):
        yield "no default_root_object"


@resource_rule(
    "cloudfront-viewer-https",
    types=(DISTRIBUTION,),
    controls=("CloudFront.3",),
    severity="medium",
    tsc=("CC6.7",),
    description="Every cache behavior redirects viewers to HTTPS or requires it.",
    remediation="Set viewer_protocol_policy=\"redirect-to-https\" on the default and every ordered behavior.",
)
def _cf_https(res: Res) -> Iterator[str]:
    behaviors = [("default", res.get("defaultCacheBehavior"))] + [
        (text(dig(b, "pathPattern")) or "ordered", b) for b in as_list(res.get("orderedCacheBehaviors"))
    ]
    for label, behavior in behaviors:
        if text(dig(behavior, "viewerProtocolPolicy")) not in ("redirect-to-https", "https-only"):
            yield f"behavior {label} allows plain HTTP"


@resource_rule(
    "cloudfront-origin-failover",
    types=(DISTRIBUTION,),
    controls=("CloudFront.4",),
    severity="low",
    tsc=("A1.2",),
    enforcement=ADVISORY,
    description="Distributions have an origin group for failover (advisory: needs a replica origin).",
    remediation="Add origin_groups with two members and target the group from the behaviors.",
)
def _cf_failover(res: Res) -> Iterator[str]:
    if not as_list(res.get("originGroups")):
        yield "no origin group"


@stack_rule(
    "cloudfront-access-logging",
    types=(DISTRIBUTION,),
    controls=("CloudFront.5",),
    severity="medium",
    tsc=("CC7.2",),
    description="Distributions log viewer requests: legacy standard logging, or v2 log delivery (Security Hub counts "
    "only the legacy kind; see docs/compliance.md).",
    remediation="Set logging_config, or add cloudwatch.LogDeliverySource(resource_arn=distribution.arn, "
    "log_type=\"ACCESS_LOGS\") with a LogDelivery.",
)
def _cf_logging(stack: StackView) -> Findings:
    for dist in stack.of(DISTRIBUTION):
        if text(dig(dist.get("loggingConfig"), "bucket")):
            continue
        if stack.referrers(dist, (LOG_DELIVERY_SOURCE,), "resourceArn"):
            continue
        yield dist, "no access logging"


@stack_rule(
    "cloudfront-waf",
    types=(DISTRIBUTION,),
    controls=("CloudFront.6",),
    severity="medium",
    tsc=("CC6.6", "CC7.1"),
    description="Every distribution is associated with a CLOUDFRONT-scope WAFv2 web ACL.",
    remediation="Set web_acl_id=<wafv2 WebAcl ARN> (scope CLOUDFRONT, region us-east-1).",
)
def _cf_waf(stack: StackView) -> Findings:
    for dist in stack.of(DISTRIBUTION):
        acl = stack.ref(dist, "webAclId", (WEB_ACL,))
        if acl is None:
            try:
                declared = text(dist.get("webAclId"))
            except UnknownValueError:  # preview: an unknown id still names a WAF
                declared = "unknown"
            if not declared:
                yield dist, "no web_acl_id"
        elif text(acl.get("scope")) != "CLOUDFRONT":
            yield dist, f"web ACL {acl.name} has scope {acl.get('scope')!r}, not CLOUDFRONT"


@resource_rule(
    "cloudfront-custom-certificate",
    types=(DISTRIBUTION,),
    controls=("CloudFront.7",),
    severity="medium",
    tsc=("CC6.7",),
    description="Distributions serve a custom ACM certificate (requires a custom domain).",
    remediation="Set vitality:frontend.domain (and hostedZoneId) so the frontend issues an ACM certificate in us-east-1.",
)
def _cf_cert(res: Res) -> Iterator[str]:
    if not _custom_cert(res) or truthy(dig(res.get("viewerCertificate"), "cloudfrontDefaultCertificate")):
        yield "uses the default *.cloudfront.net certificate"


@resource_rule(
    "cloudfront-sni",
    types=(DISTRIBUTION,),
    controls=("CloudFront.8",),
    severity="low",
    tsc=("CC6.7",),
    description="Distributions with a custom certificate serve it with SNI (not dedicated IPs).",
    remediation="Set viewer_certificate.ssl_support_method=\"sni-only\" (needs a custom domain).",
)
def _cf_sni(res: Res) -> Iterator[str]:
    if text(dig(res.get("viewerCertificate"), "sslSupportMethod")) != "sni-only":
        yield "ssl_support_method is not sni-only"


@resource_rule(
    "cloudfront-origin-https",
    types=(DISTRIBUTION,),
    controls=("CloudFront.9", "CloudFront.10"),
    severity="medium",
    tsc=("CC6.7",),
    description="Custom origins are reached over HTTPS with TLSv1.2 only.",
    remediation="Set custom_origin_config.origin_protocol_policy=\"https-only\" and origin_ssl_protocols=[\"TLSv1.2\"].",
)
def _cf_origin_tls(res: Res) -> Iterator[str]:
    for origin in _origins(res):
        config = dig(origin, "customOriginConfig")
        if config is None:
            continue
        origin_id = text(dig(origin, "originId"))
        if text(dig(config, "originProtocolPolicy")) != "https-only":
            yield f"origin {origin_id} protocol policy {dig(config, 'originProtocolPolicy')!r}"
        weak = [p for p in as_list(dig(config, "originSslProtocols")) if p != "TLSv1.2"]
        if weak or not as_list(dig(config, "originSslProtocols")):
            yield f"origin {origin_id} allows {weak or 'unspecified protocols'}"


@stack_rule(
    "cloudfront-s3-origin-exists",
    types=(DISTRIBUTION,),
    controls=("CloudFront.12",),
    severity="high",
    tsc=("CC6.1",),
    description="S3 origins point at buckets this program manages (no dangling origins a third party could claim).",
    remediation="Use bucket.bucket_regional_domain_name of a bucket in the stack as the origin domain.",
)
def _cf_s3_exists(stack: StackView) -> Findings:
    domains: set[str] = set()
    for bucket in stack.of(*BUCKETS):
        for key in ("bucketRegionalDomainName", "bucketDomainName"):
            if text(bucket.get(key)):
                domains.add(text(bucket.get(key)))
    for dist in stack.of(DISTRIBUTION):
        for origin in _origins(dist):
            domain = text(dig(origin, "domainName"))
            if _is_s3_origin(origin) and domain not in domains:
                yield dist, f"S3 origin {domain or '?'} is not a bucket of this stack"


@resource_rule(
    "cloudfront-origin-access-control",
    types=(DISTRIBUTION,),
    controls=("CloudFront.13",),
    severity="medium",
    tsc=("CC6.1",),
    description="S3 origins use origin access control (not OAI, not public buckets).",
    remediation="Set origin_access_control_id=oac.id and leave s3_origin_config.origin_access_identity empty.",
)
def _cf_oac(res: Res) -> Iterator[str]:
    for origin in _origins(res):
        if not _is_s3_origin(origin):
            continue
        if not text(dig(origin, "originAccessControlId")):
            yield f"S3 origin {text(dig(origin, 'originId'))} has no origin access control"
        if text(dig(origin, "s3OriginConfig", "originAccessIdentity")):
            yield f"S3 origin {text(dig(origin, 'originId'))} uses a legacy origin access identity"


@resource_rule(
    "cloudfront-oac-signs-requests",
    types=(OAC,),
    controls=("CloudFront.13",),
    severity="medium",
    tsc=("CC6.1",),
    description="Origin access controls for S3 always sign requests with SigV4.",
    remediation="Set origin_access_control_origin_type=\"s3\", signing_behavior=\"always\", signing_protocol=\"sigv4\".",
)
def _oac(res: Res) -> Iterator[str]:
    if text(res.get("signingBehavior")) != "always":
        yield f"signing_behavior is {res.get('signingBehavior')!r}"
    if text(res.get("signingProtocol")) != "sigv4":
        yield f"signing_protocol is {res.get('signingProtocol')!r}"


@resource_rule(
    "cloudfront-viewer-tls-policy",
    types=(DISTRIBUTION,),
    controls=("CloudFront.15",),
    severity="medium",
    tsc=("CC6.7",),
    description="Distributions with a custom certificate require TLSv1.2_2021 or newer (provider default: TLSv1).",
    remediation="Set viewer_certificate.minimum_protocol_version=\"TLSv1.2_2021\" (or a 2025 policy).",
)
def _cf_tls(res: Res) -> Iterator[str]:
    if not _custom_cert(res):
        return
    version = text(dig(res.get("viewerCertificate"), "minimumProtocolVersion")) or "TLSv1"
    if version not in ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"):
        yield f"minimum_protocol_version is {version}"


@resource_rule(
    "waf-web-acl-has-rules",
    types=(WEB_ACL,),
    controls=("WAF.10",),
    severity="medium",
    tsc=("CC6.6",),
    description="Web ACLs contain at least one rule or rule group.",
    remediation="Add the AWS managed rule groups (common, known bad inputs, IP reputation) and a rate limit.",
)
def _waf_rules(res: Res) -> Iterator[str]:
    if not as_list(res.get("rules")) and not text(res.get("ruleJson")):
        yield "the web ACL has no rules"


@resource_rule(
    "waf-rule-metrics",
    types=(WEB_ACL,),
    controls=("WAF.12",),
    severity="medium",
    tsc=("CC7.2",),
    description="The web ACL and each of its rules publish CloudWatch metrics.",
    remediation="Set visibility_config.cloudwatch_metrics_enabled=True on the ACL and every rule.",
)
def _waf_metrics(res: Res) -> Iterator[str]:
    if not truthy(dig(res.get("visibilityConfig"), "cloudwatchMetricsEnabled")):
        yield "the web ACL has CloudWatch metrics off"
    for rule in as_list(res.get("rules")):
        if not truthy(dig(rule, "visibilityConfig", "cloudwatchMetricsEnabled")):
            yield f"rule {text(dig(rule, 'name'))} has CloudWatch metrics off"


@stack_rule(
    "waf-web-acl-logging",
    types=(WEB_ACL,),
    controls=("WAF.11",),
    severity="low",
    tsc=("CC7.2", "CC7.3"),
    description="Every web ACL logs to a destination named aws-waf-logs-*.",
    remediation="Add wafv2.WebAclLoggingConfiguration(resource_arn=acl.arn, log_destination_configs=[<aws-waf-logs-* "
    "log group ARN>]) in the ACL's region.",
)
def _waf_logging(stack: StackView) -> Findings:
    for acl in stack.of(WEB_ACL):
        configs = stack.referrers(acl, (WAF_LOGGING,), "resourceArn")
        if not configs:
            yield acl, "no logging configuration"
        for config in configs:
            for dest in stack.refs(config, "logDestinationConfigs", (LOG_GROUP,)):
                if not text(dest.get("name")).startswith("aws-waf-logs-"):
                    yield acl, f"log group {dest.name} is not named aws-waf-logs-*"


# ==================================================================================================
# ECR, App Runner
# ==================================================================================================


def _registry_scans_everything(stack: StackView) -> bool:
    for config in stack.of(ECR_SCANNING):
        for rule in as_list(config.get("rules")):
            filters = [text(dig(f, "filter")) for f in as_list(dig(rule, "repositoryFilters"))]
            if "*" in filters and text(dig(rule, "scanFrequency")) in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"):
                return True
    return False


@stack_rule(
    "ecr-image-scanning",
    types=(ECR_REPO,),
    controls=("ECR.1",),
    severity="high",
    tsc=("CC7.1",),
    description="Every repository scans images on push, or the registry scans every repository (enhanced scanning).",
    remediation="Set image_scanning_configuration.scan_on_push=True, or add RegistryScanningConfiguration with a "
    "`*` filter.",
)
def _ecr_scan(stack: StackView) -> Findings:
    registry = _registry_scans_everything(stack)
    for repo in stack.of(ECR_REPO):
        if not registry and not truthy(dig(repo.get("imageScanningConfiguration"), "scanOnPush")):
            yield repo, "images are not scanned on push"


@resource_rule(
    "ecr-tag-immutability",
    types=(ECR_REPO,),
    controls=("ECR.2",),
    severity="medium",
    tsc=("CC8.1",),
    description="Repositories make tags immutable (IMMUTABLE_WITH_EXCLUSION keeps named moving tags mutable; provider "
    "default: MUTABLE).",
    remediation="Set image_tag_mutability=\"IMMUTABLE\" or \"IMMUTABLE_WITH_EXCLUSION\" with exclusion filters.",
)
def _ecr_immutable(res: Res) -> Iterator[str]:
    mode = text(res.get("imageTagMutability")) or "MUTABLE"
    if mode not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield f"image_tag_mutability is {mode}"


@stack_rule(
    "ecr-lifecycle-policy",
    types=(ECR_REPO,),
    controls=("ECR.3",),
    severity="medium",
    tsc=("CC8.1",),
    description="Every repository has a lifecycle policy.",
    remediation="Add ecr.LifecyclePolicy(repository=repo.name, policy=...).",
)
def _ecr_lifecycle(stack: StackView) -> Findings:
    for repo in stack.of(ECR_REPO):
        if not stack.referrers(repo, (ECR_LIFECYCLE,), "repository"):
            yield repo, "no lifecycle policy"


@resource_rule(
    "ecr-kms-encryption",
    types=(ECR_REPO,),
    controls=("ECR.5",),
    severity="medium",
    tsc=("CC6.1",),
    description="Repositories are encrypted with a customer-managed KMS key (default: AES256).",
    remediation="Set encryption_configurations=[{encryption_type: \"KMS\", kms_key: <data key ARN>}] (immutable).",
)
def _ecr_kms(res: Res) -> Iterator[str]:
    configs = as_list(res.get("encryptionConfigurations"))
    if not any(text(dig(c, "encryptionType")) == "KMS" and text(dig(c, "kmsKey")) for c in configs):
        yield "not encrypted with a customer-managed key"


@resource_rule(
    "apprunner-vpc-egress",
    types=(APPRUNNER,),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    references=("Config apprunner-service-in-vpc",),
    description="App Runner services send egress through a VPC connector.",
    remediation="Set network_configuration.egress_configuration={egress_type: \"VPC\", vpc_connector_arn: ...}.",
)
def _ar_vpc(res: Res) -> Iterator[str]:
    egress = dig(res.get("networkConfiguration"), "egressConfiguration")
    if text(dig(egress, "egressType")) != "VPC" or not text(dig(egress, "vpcConnectorArn")):
        yield "egress does not go through a VPC connector"


@resource_rule(
    "apprunner-private-ingress",
    types=(APPRUNNER,),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    references=("Config apprunner-service-no-public-access",),
    description="App Runner services are not publicly reachable (a public service fronted by CloudFront needs a "
    "documented exception).",
    remediation="Set ingress_configuration.is_publicly_accessible=False with a VpcIngressConnection, or record an "
    "exception in policy/exceptions.yaml explaining the CloudFront origin-verify header.",
)
def _ar_ingress(res: Res) -> Iterator[str]:
    if truthy(dig(res.get("networkConfiguration"), "ingressConfiguration", "isPubliclyAccessible"), default=True):
        yield "the service URL is publicly accessible"


@resource_rule(
    "apprunner-observability",
    types=(APPRUNNER,),
    controls=(),
    severity="low",
    tsc=("CC7.2",),
    references=("Config apprunner-service-observability-enabled",),
    description="App Runner services have tracing (observability configuration) enabled.",
    remediation="Set observability_configuration={observability_enabled: True, observability_configuration_arn: ...}.",
)
def _ar_observability(res: Res) -> Iterator[str]:
    config = res.get("observabilityConfiguration")
    if not truthy(dig(config, "observabilityEnabled")) or not text(dig(config, "observabilityConfigurationArn")):
        yield "observability is not enabled"


@resource_rule(
    "apprunner-cmk-and-health-check",
    types=(APPRUNNER,),
    controls=(),
    severity="low",
    tsc=("CC6.1", "A1.2"),
    references=("Config apprunner-service-max-unhealthy-threshold",),
    description="App Runner services encrypt with a customer-managed key and replace unhealthy instances after at "
    "most 5 failed checks.",
    remediation="Set encryption_configuration.kms_key and health_check_configuration.unhealthy_threshold <= 5.",
)
def _ar_cmk(res: Res) -> Iterator[str]:
    if not text(dig(res.get("encryptionConfiguration"), "kmsKey")):
        yield "no customer-managed encryption key"
    if number(dig(res.get("healthCheckConfiguration"), "unhealthyThreshold"), 5) > 5:
        yield "unhealthy_threshold above 5"


@stack_rule(
    "apprunner-connector-private-subnets",
    types=(CONNECTOR,),
    controls=(),
    severity="medium",
    tsc=("CC6.6",),
    references=("reference/compliance-controls.md §1.9 App Runner hygiene",),
    description="VPC connectors use private subnets (egress through NAT, no internet-gateway default route).",
    remediation="Pass the network's private subnet ids to the VPC connector.",
)
def _connector(stack: StackView) -> Findings:
    for connector in stack.of(CONNECTOR):
        for subnet in stack.refs(connector, "subnets", (SUBNET,)):
            if _igw_routed(stack, subnet):
                yield connector, f"subnet {subnet.name} routes to an internet gateway"


def _igw_routed(stack: StackView, subnet: Res) -> bool:
    for assoc in stack.referrers(subnet, (RT_ASSOC,), "subnetId"):
        table = stack.ref(assoc, "routeTableId", (ROUTE_TABLE,))
        if table is None:
            continue
        for route in stack.referrers(table, (ROUTE,), "routeTableId"):
            if route.get("destinationCidrBlock") in WORLD and (
                text(route.get("gatewayId")).startswith("igw-") or stack.resolve(route.get("gatewayId"), (IGW,))
            ):
                return True
    return False


# ==================================================================================================
# CloudWatch, SNS
# ==================================================================================================


@resource_rule(
    "log-group-retention",
    types=(LOG_GROUP,),
    controls=("CloudWatch.16",),
    severity="medium",
    tsc=("CC7.2", "A1.2"),
    description="Log groups have an explicit retention: at least 365 days in prod (provider default: never expire).",
    remediation="Set retention_in_days (vitality:observability.logRetentionDays; prod >= 365).",
)
def _log_retention(res: Res) -> Iterator[str]:
    days = number(res.get("retentionInDays"), 0)
    if days <= 0:
        yield "no retention (logs never expire)"
    elif res.environment == "prod" and days < 365:
        yield f"retention {days:g} days in prod (needs 365+)"


@resource_rule(
    "log-group-kms",
    types=(LOG_GROUP,),
    controls=(),
    severity="medium",
    tsc=("CC6.1",),
    references=("Config cloudwatch-log-group-encrypted", "CKV_AWS_158"),
    description="Log groups are encrypted with a customer-managed KMS key.",
    remediation="Use components.common.log_group(..., kms_key_arn=<logs key>).",
)
def _log_kms(res: Res) -> Iterator[str]:
    if not text(res.get("kmsKeyId")):
        yield "no kms_key_id"


@stack_rule(
    "alarm-notifies-topic",
    types=ALARMS,
    controls=("CloudWatch.15",),
    severity="high",
    tsc=("CC7.2", "CC7.3", "CC4.2"),
    description="Every alarm has an ALARM action that reaches an SNS topic of this stack (or an AWS automation ARN).",
    remediation="Use components.common.metric_alarm(..., topic_arn=alerting.topics.for_severity(...)).",
)
def _alarm_actions(stack: StackView) -> Findings:
    for alarm in stack.of(*ALARMS):
        actions = stack.refs(alarm, "alarmActions", (TOPIC,))
        try:
            raw = [text(a) for a in as_list(alarm.get("alarmActions"))]
        except UnknownValueError:  # preview: unknown topic ARNs; the dependency above decides
            raw = []
        automation = [a for a in raw if a.startswith(("arn:aws:automate:", "arn:aws:ssm:", "arn:aws:autoscaling:"))]
        if not actions and not automation:
            yield alarm, "no ALARM action to an SNS topic of this stack"


@resource_rule(
    "alarm-actions-enabled",
    types=ALARMS,
    controls=("CloudWatch.17",),
    severity="high",
    tsc=("CC7.2",),
    description="Alarm actions are enabled (provider default: true).",
    remediation="Leave actions_enabled unset or True.",
)
def _alarm_enabled(res: Res) -> Iterator[str]:
    if not truthy(res.get("actionsEnabled"), default=True):
        yield "actions_enabled is false"


@resource_rule(
    "sns-topic-kms",
    types=(TOPIC,),
    controls=("SNS.1",),
    severity="medium",
    tsc=("CC6.1",),
    description="Topics are encrypted with a customer-managed key (alias/aws/sns would block CloudWatch publishing).",
    remediation="Set kms_master_key_id=<messaging key ARN>.",
)
def _sns_kms(res: Res) -> Iterator[str]:
    key = text(res.get("kmsMasterKeyId"))
    if not key:
        yield "no kms_master_key_id"
    elif key.endswith("alias/aws/sns"):
        yield "uses the AWS-managed alias/aws/sns key"


@resource_rule(
    "sns-topic-policy-not-public",
    types=(TOPIC, TOPIC_POLICY),
    controls=("SNS.4",),
    severity="high",
    tsc=("CC6.1",),
    description="Topic policies allow nothing to a wildcard principal without a restricting condition.",
    remediation="Grant publish to service principals with aws:SourceAccount, never to \"*\".",
)
def _sns_public(res: Res) -> Iterator[str]:
    for s in statements(res.get("policy")):
        if allows(s) and public_principal(s) and not restricting_condition(s):
            yield f"statement {s.get('Sid', '?')} allows a wildcard principal"


# ==================================================================================================
# Account baseline (CloudTrail, Config, Security Hub, GuardDuty, analyzer, account settings)
# ==================================================================================================


def _management_events(trail: Res) -> bool:
    selectors = as_list(trail.get("eventSelectors"))
    advanced = as_list(trail.get("advancedEventSelectors"))
    if not selectors and not advanced:
        return True  # CloudTrail default: all management events, read and write
    for s in selectors:
        if truthy(dig(s, "includeManagementEvents"), default=True) and text(dig(s, "readWriteType") or "All") == "All" \
                and not as_list(dig(s, "excludeManagementEventSources")):
            return True
    for s in advanced:
        fields = {text(dig(f, "field")): f for f in as_list(dig(s, "fieldSelectors"))}
        if as_list(dig(fields.get("eventCategory"), "equals")) == ["Management"] and "readOnly" not in fields \
                and "eventSource" not in fields:
            return True
    return False


def _s3_data_events(trail: Res) -> bool:
    for s in as_list(trail.get("advancedEventSelectors")):
        fields = {text(dig(f, "field")): f for f in as_list(dig(s, "fieldSelectors"))}
        if as_list(dig(fields.get("eventCategory"), "equals")) == ["Data"] \
                and as_list(dig(fields.get("resources.type"), "equals")) == ["AWS::S3::Object"] \
                and "readOnly" not in fields and "resources.ARN" not in fields:
            return True
    for s in as_list(trail.get("eventSelectors")):
        if text(dig(s, "readWriteType") or "All") != "All":
            continue
        for data in as_list(dig(s, "dataResources")):
            if text(dig(data, "type")) == "AWS::S3::Object" and any(
                text(v) in ("arn:aws:s3", "arn:aws:s3:::") for v in as_list(dig(data, "values"))
            ):
                return True
    return False


@resource_rule(
    "cloudtrail-multi-region-management-events",
    types=(TRAIL,),
    controls=("CloudTrail.1",),
    severity="high",
    tsc=("CC7.2", "CC2.1"),
    description="Trails are multi-region, include global service events, are logging, and record all read and write "
    "management events (provider default: single-region).",
    remediation="Set is_multi_region_trail=True, include_global_service_events=True, enable_logging=True and keep "
    "management events at read+write.",
)
def _trail_multi_region(res: Res) -> Iterator[str]:
    if not truthy(res.get("isMultiRegionTrail")):
        yield "is_multi_region_trail is not true"
    if not truthy(res.get("includeGlobalServiceEvents"), default=True):
        yield "include_global_service_events is false"
    if not truthy(res.get("enableLogging"), default=True):
        yield "enable_logging is false"
    if not _management_events(res):
        yield "does not record all read and write management events"


@resource_rule(
    "cloudtrail-kms-validation-cloudwatch",
    types=(TRAIL,),
    controls=("CloudTrail.2", "CloudTrail.4", "CloudTrail.5"),
    severity="medium",
    tsc=("CC6.1", "CC7.2"),
    description="Trails encrypt with a customer-managed key, validate log files (provider default: off) and deliver "
    "to CloudWatch Logs.",
    remediation="Set kms_key_id=<audit key>, enable_log_file_validation=True, cloud_watch_logs_group_arn=f\"{lg.arn}:*\" "
    "and cloud_watch_logs_role_arn.",
)
def _trail_hardening(res: Res) -> Iterator[str]:
    if not text(res.get("kmsKeyId")):
        yield "CloudTrail.2: no kms_key_id"
    if not truthy(res.get("enableLogFileValidation")):
        yield "CloudTrail.4: enable_log_file_validation is not true"
    if not text(res.get("cloudWatchLogsGroupArn")) or not text(res.get("cloudWatchLogsRoleArn")):
        yield "CloudTrail.5: not delivered to CloudWatch Logs"


@resource_rule(
    "cloudtrail-s3-data-events",
    types=(TRAIL,),
    controls=("S3.22", "S3.23"),
    severity="medium",
    tsc=("CC7.2", "CC2.1"),
    enforcement=ADVISORY,
    description="A trail records S3 object-level read and write events for all buckets (advisory: cost scales with "
    "S3 traffic).",
    remediation="Add an advanced event selector eventCategory=Data, resources.type=AWS::S3::Object without readOnly.",
)
def _trail_s3(res: Res) -> Iterator[str]:
    if not _s3_data_events(res):
        yield "no S3 data-event selector covering every bucket for read and write"


@stack_rule(
    "cloudtrail-bucket-private-and-logged",
    types=(TRAIL,),
    controls=("CloudTrail.6", "CloudTrail.7"),
    severity="critical",
    tsc=("CC7.2", "CC6.1"),
    description="The trail's bucket is a bucket of this stack with Block Public Access and server access logging.",
    remediation="Create the trail bucket with hardened_bucket(..., access_log_bucket=<log bucket>).",
)
def _trail_bucket(stack: StackView) -> Findings:
    for trail in stack.of(TRAIL):
        bucket = stack.ref(trail, "s3BucketName", BUCKETS)
        if bucket is None:
            yield trail, "the trail's bucket is not managed by this stack"
            continue
        why = _bpa_problem(stack, bucket, _bucket_children(stack, bucket, BPA))
        if why:
            yield trail, f"bucket {bucket.name}: {why}"
        if not any(text(log.get("targetBucket")) for log in _bucket_children(stack, bucket, LOGGING)):
            yield trail, f"bucket {bucket.name} has no server access logging"


CONFIG_SLR = "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"


@resource_rule(
    "config-recorder-all-resources",
    types=(RECORDER,),
    controls=("Config.1",),
    severity="critical",
    tsc=("CC7.1", "CC8.1", "CC3.2"),
    description="The Config recorder uses the Config service-linked role and records all supported resource types "
    "including global ones.",
    remediation="role_arn=<AWSServiceRoleForConfig ARN>, recording_group={all_supported: True, "
    "include_global_resource_types: True}.",
)
def _recorder(res: Res) -> Iterator[str]:
    if CONFIG_SLR not in text(res.get("roleArn")):
        yield "role_arn is not the Config service-linked role"
    group = res.get("recordingGroup")
    if not truthy(dig(group, "allSupported"), default=True):
        yield "recording_group.all_supported is false"
    if not truthy(dig(group, "includeGlobalResourceTypes")):
        yield "recording_group.include_global_resource_types is not true"


@resource_rule(
    "config-recorder-enabled",
    types=(RECORDER_STATUS,),
    controls=("Config.1",),
    severity="critical",
    tsc=("CC7.1", "CC8.1"),
    description="The Config recorder is switched on.",
    remediation="Set cfg.RecorderStatus(is_enabled=True) after the delivery channel.",
)
def _recorder_status(res: Res) -> Iterator[str]:
    if not truthy(res.get("isEnabled")):
        yield "is_enabled is not true"


@resource_rule(
    "securityhub-no-default-standards",
    types=(HUB,),
    controls=(),
    severity="medium",
    tsc=("CC3.2", "CC4.1"),
    references=("reference/compliance-controls.md §1.1 (SH setup)",),
    description="Security Hub is enabled with explicit standards only, consolidated control findings and new "
    "controls auto-enabled (provider default enables CIS 1.2 too).",
    remediation="securityhub.Account(enable_default_standards=False, control_finding_generator=\"SECURITY_CONTROL\", "
    "auto_enable_controls=True).",
)
def _hub(res: Res) -> Iterator[str]:
    if truthy(res.get("enableDefaultStandards"), default=True):
        yield "enable_default_standards is not false"
    if text(res.get("controlFindingGenerator")) not in ("", "SECURITY_CONTROL"):
        yield f"control_finding_generator is {res.get('controlFindingGenerator')}"
    if not truthy(res.get("autoEnableControls"), default=True):
        yield "auto_enable_controls is false"


@resource_rule(
    "guardduty-detector-enabled",
    types=(DETECTOR,),
    controls=("GuardDuty.1",),
    severity="high",
    tsc=("CC6.8", "CC7.1"),
    description="GuardDuty detectors are enabled (provider default: true) and do not use deprecated datasources.",
    remediation="Leave enable unset or True; configure protections with guardduty.DetectorFeature.",
)
def _detector(res: Res) -> Iterator[str]:
    if not truthy(res.get("enable"), default=True):
        yield "enable is false"
    if res.get("datasources") is not None:
        yield "uses the deprecated datasources block (use DetectorFeature)"


def _features(stack: StackView, detector: Res) -> set[str]:
    return {text(f.get("name")) for f in stack.referrers(detector, (DETECTOR_FEATURE,), "detectorId")
            if text(f.get("status")) == "ENABLED"}


@stack_rule(
    "guardduty-workload-protections",
    types=(DETECTOR,),
    controls=("GuardDuty.9", "GuardDuty.10"),
    severity="high",
    tsc=("CC6.8", "CC7.2"),
    description="GuardDuty protects the workloads this program runs: RDS login events and S3 data events.",
    remediation="Add DetectorFeature(name=\"RDS_LOGIN_EVENTS\"|\"S3_DATA_EVENTS\", status=\"ENABLED\").",
)
def _gd_workload(stack: StackView) -> Findings:
    for detector in stack.of(DETECTOR):
        missing = {"RDS_LOGIN_EVENTS", "S3_DATA_EVENTS"} - _features(stack, detector)
        if missing:
            yield detector, f"features not enabled: {sorted(missing)}"


@stack_rule(
    "guardduty-all-protection-plans",
    types=(DETECTOR,),
    controls=("GuardDuty.5", "GuardDuty.6", "GuardDuty.7", "GuardDuty.8", "GuardDuty.11", "GuardDuty.12", "GuardDuty.13"),
    severity="high",
    tsc=("CC6.8",),
    enforcement=ADVISORY,
    description="GuardDuty has every protection plan on, including EKS, Lambda, EC2 malware and runtime monitoring "
    "(advisory: no such workload exists; FSBP still reports them).",
    remediation="Add DetectorFeature for EKS_AUDIT_LOGS, LAMBDA_NETWORK_LOGS, EBS_MALWARE_PROTECTION and "
    "RUNTIME_MONITORING (with the agent-management additional configurations).",
)
def _gd_all(stack: StackView) -> Findings:
    for detector in stack.of(DETECTOR):
        missing = {"EKS_AUDIT_LOGS", "LAMBDA_NETWORK_LOGS", "EBS_MALWARE_PROTECTION", "RUNTIME_MONITORING"} - _features(
            stack, detector)
        if missing:
            yield detector, f"features not enabled: {sorted(missing)}"


@resource_rule(
    "ebs-default-encryption",
    types=(EBS_DEFAULT,),
    controls=("EC2.7",),
    severity="medium",
    tsc=("CC6.1",),
    description="EBS encryption by default is on (provider default: true).",
    remediation="Leave enabled unset or True.",
)
def _ebs(res: Res) -> Iterator[str]:
    if not truthy(res.get("enabled"), default=True):
        yield "enabled is false"


# What a stack that owns the account baseline must hold (presence; settings are checked by the rules above).
BASELINE_REQUIREMENTS: tuple[tuple[str, str, Callable[[StackView], bool]], ...] = (
    ("Config.1", "Config recorder, recorder status and delivery channel",
     lambda s: bool(s.of(RECORDER) and s.of(RECORDER_STATUS) and s.of(DELIVERY_CHANNEL))),
    ("(Security Hub)", "Security Hub with the FSBP v1.0.0 and CIS v3.0.0 standards",
     lambda s: bool(s.of(HUB)) and all(any(std in text(x.get("standardsArn")) for x in s.of(HUB_STANDARD))
                                       for std in ("aws-foundational-security-best-practices/v/1.0.0",
                                                   "cis-aws-foundations-benchmark/v/3.0.0"))),
    ("GuardDuty.1", "a GuardDuty detector", lambda s: bool(s.of(DETECTOR))),
    ("CloudTrail.1", "a multi-region CloudTrail trail", lambda s: any(truthy(t.get("isMultiRegionTrail")) for t in s.of(TRAIL))),
    ("IAM.28", "an IAM Access Analyzer of type ACCOUNT or ORGANIZATION",
     lambda s: any(text(a.get("type")) in ("", "ACCOUNT", "ORGANIZATION") for a in s.of(ANALYZER))),
    ("IAM.7", "the account password policy", lambda s: bool(s.of(PASSWORD_POLICY))),
    ("EC2.7", "EBS encryption by default", lambda s: bool(s.of(EBS_DEFAULT))),
    ("S3.1", "the account-level S3 Block Public Access", lambda s: bool(s.of(ACCOUNT_BPA))),
    ("IAM.18", "a support role with AWSSupportAccess",
     lambda s: any(text(a.get("policyArn")).endswith(":policy/AWSSupportAccess") for a in s.of(ROLE_ATTACH))),
)


@stack_rule(
    "account-baseline-complete",
    types=BASELINE_TYPES,
    controls=("Config.1", "GuardDuty.1", "CloudTrail.1", "IAM.28", "IAM.7", "EC2.7", "S3.1", "IAM.18"),
    severity="high",
    tsc=("CC2.1", "CC3.2", "CC6.1", "CC7.1", "CC7.2"),
    description="A stack that owns account-level singletons (security.accountBaseline) owns all of them: Config, "
    "Security Hub standards, GuardDuty, a multi-region trail, Access Analyzer, password policy, EBS default "
    "encryption, account S3 Block Public Access and the support role.",
    remediation="Build the Security component with security.accountBaseline=true in exactly one stack per account.",
)
def _baseline(stack: StackView) -> Findings:
    if not stack.of(*BASELINE_TYPES):
        return
    for control, what, present in BASELINE_REQUIREMENTS:
        if not present(stack):
            yield None, f"{control}: the account baseline lacks {what}"


@resource_rule(
    "account-security-contact",
    types=(CONTACT,),
    controls=("Account.1",),
    severity="medium",
    tsc=("CC2.3",),
    description="The account's alternate contacts include a complete SECURITY contact.",
    remediation="account.AlternativeContact(alternate_contact_type=\"SECURITY\", name, email_address, phone_number, title).",
)
def _contact(res: Res) -> Iterator[str]:
    if text(res.get("alternateContactType")) != "SECURITY":
        return
    missing = [k for k in ("name", "emailAddress", "phoneNumber", "title") if not text(res.get(k))]
    if missing:
        yield f"security contact lacks {missing}"


# ==================================================================================================
# Data safety (prod) and tags
# ==================================================================================================

STATEFUL = (RDS_CLUSTER, *BUCKETS, KMS_KEY, ECR_REPO, LOG_GROUP, SECRET)


@resource_rule(
    "prod-stateful-resources-protected",
    types=STATEFUL,
    controls=(),
    severity="high",
    tsc=("A1.2", "C1.1", "CC8.1"),
    prod_only=True,
    references=("DESIGN.md Environments: data safety", "CKV_AWS_139", "cdk-nag RDS10"),
    description="In prod every data-holding resource (cluster, buckets, keys, repositories, log groups, secrets) is "
    "Pulumi-protected and cannot be force-deleted.",
    remediation="Pass protect=ctx.protect and force_destroy/force_delete only in dev (the common helpers do both).",
)
def _protected(res: Res) -> Iterator[str]:
    if not res.protect:
        yield "not protected (pulumi protect)"
    for flag in ("forceDestroy", "forceDelete"):
        if truthy(res.get(flag)):
            yield f"{flag} is true"
    if res.type == LOG_GROUP and not truthy(res.get("deletionProtectionEnabled")):
        yield "deletion_protection_enabled is not true"


# Every pulumi-aws type with a `tags` input that the program creates or is expected to create (a test checks each
# entry against the SDK, and that every taggable type in the stacks is listed here).
TAGGABLE = (
    VPC, SUBNET, SG, DEFAULT_SG, SG_INGRESS, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", NACL, FLOW_LOG,
    ENDPOINT, ROUTE_TABLE, IGW, "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip",
    RDS_CLUSTER, RDS_INSTANCE, RDS_EVENTS, RDS_SUBNETS, "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/parameterGroup:ParameterGroup", KMS_KEY, ROLE, IAM_POLICY, "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole", *BUCKETS, ECR_REPO, APPRUNNER, CONNECTOR,
    "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion",
    "aws:apprunner/observabilityConfiguration:ObservabilityConfiguration", "aws:ecs/cluster:Cluster",
    "aws:ecs/expressGatewayService:ExpressGatewayService", "aws:appautoscaling/target:Target", DISTRIBUTION,
    "aws:cloudfront/function:Function", "aws:acm/certificate:Certificate", WEB_ACL, "aws:wafv2/ipSet:IpSet", LOG_GROUP,
    LOG_DELIVERY_SOURCE, "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:cloudwatch/logDelivery:LogDelivery", METRIC_ALARM, COMPOSITE_ALARM, "aws:cloudwatch/eventRule:EventRule", TOPIC,
    "aws:xray/group:Group", "aws:xray/samplingRule:SamplingRule", "aws:rum/appMonitor:AppMonitor",
    "aws:cognito/identityPool:IdentityPool", "aws:synthetics/canary:Canary", "aws:budgets/budget:Budget",
    "aws:backup/plan:Plan", "aws:backup/vault:Vault", TRAIL, "aws:cfg/rule:Rule", DETECTOR, ANALYZER,
    "aws:securityhub/automationRule:AutomationRule", SECRET, "aws:ssm/parameter:Parameter",
)
REQUIRED_TAGS = ("Project", "Environment", "Component", "ManagedBy")


@resource_rule(
    "required-tags",
    types=TAGGABLE,
    controls=("CloudFront.14", "AppRunner.1", "AppRunner.2", "SecretsManager.5"),
    severity="low",
    tsc=("CC2.1", "CC6.1"),
    description="Taggable resources carry Project, Environment, Component and ManagedBy tags (set explicitly; mocks "
    "and some services ignore provider default tags).",
    remediation="Pass tags=ctx.tags(COMPONENT, ...).",
)
def _tags(res: Res) -> Iterator[str]:
    tags = res.get("tags")
    tags_all = res.get("tagsAll")
    present = set(tags) if is_map(tags) else set()
    present |= set(tags_all) if is_map(tags_all) else set()
    missing = [t for t in REQUIRED_TAGS if t not in present]
    if missing:
        yield f"missing tags {missing}"


RULES_BY_NAME = by_name(RULES)
POLICIES: list[Policy] = [rule.policy for rule in RULES]


def controls_of(rules: Iterable[Rule] = RULES) -> dict[str, list[Rule]]:
    """Security Hub control id -> the rules that enforce it."""
    found: dict[str, list[Rule]] = {}
    for rule in rules:
        for control in rule.controls:
            found.setdefault(control, []).append(rule)
    return found


__all__ = ["POLICIES", "RULES", "RULES_BY_NAME", "controls_of"]
