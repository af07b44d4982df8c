"""What every rule module shares: the pulumi-aws type tokens, the registry the `resource_rule` / `stack_rule`
decorators add each rule to (under the module that declares it), and the few helpers that more than one family
needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Optional

from ..controls import standards_of
from ..framework import Res, Rule, StackView, load_exceptions, text, truthy

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
BPA_EXCLUSION = "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
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
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
LOG_DELIVERY_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"

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

BACKUP_VAULT = "aws:backup/vault:Vault"

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"

PROJECT = "project"  # a project guardrail without a Security Hub control (its references name the source)

EXCEPTIONS = load_exceptions()
# Family module name -> its rules in declaration order; policy/rules/__init__.py orders the families into RULES.
REGISTERED: dict[str, list[Rule]] = {}


def _rule(kind: str, name: str, **meta: Any) -> Callable[[Callable], Callable]:
    standards = standards_of(meta["controls"]) if meta["controls"] else (PROJECT,)

    def register(check: Callable) -> Callable:
        rule = Rule(name=name, kind=kind, check=check, standards=standards, exceptions=EXCEPTIONS, **meta)
        REGISTERED.setdefault(check.__module__, []).append(rule)
        return check

    return register


def resource_rule(name: str, **meta: Any) -> Callable[[Callable], Callable]:
    return _rule("resource", name, **meta)


def stack_rule(name: str, **meta: Any) -> Callable[[Callable], Callable]:
    return _rule("stack", name, **meta)


Findings = Iterator[tuple[Optional[Res], str]]

# --------------------------------------------------------------------------------------------------
# Helpers used by more than one family
# --------------------------------------------------------------------------------------------------

WORLD = ("0.0.0.0/0", "::/0")


def bucket_children(stack: StackView, bucket: Res, types: tuple[str, ...]) -> list[Res]:
    """The bucket's sub-resources of `types` (versioning, public access block, logging, ...) that name it."""
    return stack.referrers(bucket, types, "bucket")


def bpa_problem(stack: StackView, bucket: Res, blocks: list[Res]) -> Optional[str]:
    """Why a bucket can be made public (canned ACL, missing or partial Block Public Access), or None; the S3 rule
    and the CloudTrail bucket rule both ask it."""
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if text(bucket.get("acl")) in ("public-read", "public-read-write", "authenticated-read"):
        return f"legacy acl {bucket.get('acl')}"
    if not blocks:
        return "no BucketPublicAccessBlock"
    off = [f for f in flags if not any(truthy(b.get(f)) for b in blocks)]
    return f"public access block leaves {off} off" if off else None


def igw_routed(stack: StackView, subnet: Res) -> bool:
    """Whether a route table associated with the subnet sends the default route to an internet gateway."""
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
