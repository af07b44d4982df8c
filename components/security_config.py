"""AWS Config: a recorder in every region of `security.regions` (one service-linked role; global types in one region),
delivery to its own history bucket, the managed rules this platform relies on (each mapped to the Security Hub controls it evidences) and SSM remediation for the rules that have a
safe automation. Built by `Security`."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from .common import ServiceRole, StackContext, Statement, allow, child, service_role
from .encryption import KeyRef
from .security_trail import COMPONENT, CONFIG_PREFIX, AuditStorage, regional
from .settings import SecuritySettings

CONFIG_SERVICE = "config.amazonaws.com"
MAX_CONFIG_RETENTION_DAYS = 2557  # the longest history AWS Config keeps (7 years)
PASSWORD_MIN_LENGTH = 14  # CIS IAM.15
PASSWORD_REUSE = 24  # CIS IAM.16


@dataclass(frozen=True)
class Remediation:
    """An AWS-owned SSM automation document and how its parameters are filled for a non-compliant resource."""

    document: str
    resource_type: str
    resource_parameter: str  # receives the non-compliant resource's id (RESOURCE_ID)
    static: Mapping[str, str] = field(default_factory=dict)


# Managed rules whose trigger type is Periodic, as each rule's page in the AWS Config Developer Guide lists it
# (docs.aws.amazon.com/config/latest/developerguide/<rule-name>.html, "Trigger type"). AWS rejects a resource
# scope on a periodic rule with InvalidParameterValueException (cloud-custodian PR #10008, citing AWS Support), so
# these rules get no scope; every other rule here is change-triggered and is scoped to its resource types.
PERIODIC_RULES = frozenset(
    {
        "MULTI_REGION_CLOUD_TRAIL_ENABLED",
        "CLOUD_TRAIL_ENCRYPTION_ENABLED",
        "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
        "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",
        "CLOUDTRAIL_S3_DATAEVENTS_ENABLED",
        "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC",
        "VPC_FLOW_LOGS_ENABLED",
        "EC2_EBS_ENCRYPTION_BY_DEFAULT",
        "IAM_PASSWORD_POLICY",
        "ACCESS_KEYS_ROTATED",
        "IAM_ROOT_ACCESS_KEY_CHECK",
        "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS",
        "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED",
        "ROOT_ACCOUNT_MFA_ENABLED",
        "CMK_BACKING_KEY_ROTATION_ENABLED",
        "KMS_CMK_NOT_SCHEDULED_FOR_DELETION",
        "ECR_PRIVATE_IMAGE_SCANNING_ENABLED",  # "Trigger type: Periodic" although it evaluates AWS::ECR::Repository
        "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
        "GUARDDUTY_ENABLED_CENTRALIZED",
    }
)


@dataclass(frozen=True)
class ManagedRule:
    controls: tuple[str, ...]  # Security Hub control ids the rule evidences (FSBP / CIS v3.0 / NIST)
    description: str
    resource_types: tuple[str, ...] = ()  # scope of change-triggered rules; periodic rules take none
    parameters: Mapping[str, str] = field(default_factory=dict)
    remediation: Optional[Remediation] = None


def rule_scope(identifier: str, spec: ManagedRule) -> Optional[aws.cfg.RuleScopeArgs]:
    """The resource scope of a change-triggered rule; None for a periodic one (AWS refuses a scope there)."""
    if identifier in PERIODIC_RULES:
        if spec.resource_types:
            raise ValueError(f"Config rule {identifier} is periodic: AWS rejects a resource scope on it")
        return None
    if not spec.resource_types:
        raise ValueError(f"Config rule {identifier} is change-triggered: give it the resource types it evaluates")
    return aws.cfg.RuleScopeArgs(compliance_resource_types=list(spec.resource_types))


def managed_rules(settings: SecuritySettings) -> dict[str, ManagedRule]:
    """Config managed rule identifier -> the controls it covers. Security Hub runs its own service-linked rules
    for the standards; these are ours because remediation can only be attached to rules we own, and because they
    give the auditor one place that maps evidence to controls."""
    password = {
        "RequireUppercaseCharacters": "true",
        "RequireLowercaseCharacters": "true",
        "RequireSymbols": "true",
        "RequireNumbers": "true",
        "MinimumPasswordLength": str(PASSWORD_MIN_LENGTH),
        "PasswordReusePrevention": str(PASSWORD_REUSE),
    }
    if settings.password_max_age_days:
        password["MaxPasswordAge"] = str(settings.password_max_age_days)
    bucket = ("AWS::S3::Bucket",)
    return {
        "MULTI_REGION_CLOUD_TRAIL_ENABLED": ManagedRule(("CloudTrail.1",), "A multi-region trail records management events"),
        "CLOUD_TRAIL_ENCRYPTION_ENABLED": ManagedRule(("CloudTrail.2",), "Trails encrypt with a KMS key"),
        "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED": ManagedRule(
            ("CloudTrail.4",),
            "Trails validate their log files",
            remediation=Remediation("AWSConfigRemediation-EnableCloudTrailLogFileValidation", "AWS::CloudTrail::Trail", "TrailName"),
        ),
        "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED": ManagedRule(("CloudTrail.5",), "Trails deliver to CloudWatch Logs"),
        "CLOUDTRAIL_S3_DATAEVENTS_ENABLED": ManagedRule(("S3.22", "S3.23"), "A trail records S3 object-level events"),
        "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC": ManagedRule(("S3.1",), "Account-level S3 Block Public Access"),
        "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED": ManagedRule(
            ("S3.8",),
            "Bucket-level S3 Block Public Access",
            bucket,
            remediation=Remediation(
                "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
                "AWS::S3::Bucket",
                "BucketName",
                {"BlockPublicAcls": "true", "IgnorePublicAcls": "true", "BlockPublicPolicy": "true", "RestrictPublicBuckets": "true"},
            ),
        ),
        "S3_BUCKET_SSL_REQUESTS_ONLY": ManagedRule(
            ("S3.5",),
            "Buckets refuse requests without TLS",
            bucket,
            remediation=Remediation("AWSConfigRemediation-RestrictBucketSSLRequestsOnly", "AWS::S3::Bucket", "BucketName"),
        ),
        "S3_BUCKET_LOGGING_ENABLED": ManagedRule(("S3.9",), "Buckets have server access logging", bucket),
        "S3_BUCKET_ACL_PROHIBITED": ManagedRule(("S3.12",), "Buckets do not use ACLs", bucket),
        "S3_BUCKET_VERSIONING_ENABLED": ManagedRule(("S3.14",), "Buckets are versioned", bucket),
        "S3_DEFAULT_ENCRYPTION_KMS": ManagedRule(("S3.17",), "Buckets encrypt with KMS by default", bucket),
        "VPC_DEFAULT_SECURITY_GROUP_CLOSED": ManagedRule(
            ("EC2.2",),
            "Default security groups allow no traffic",
            ("AWS::EC2::SecurityGroup",),
            remediation=Remediation("AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules", "AWS::EC2::SecurityGroup", "GroupId"),
        ),
        "VPC_FLOW_LOGS_ENABLED": ManagedRule(("EC2.6",), "Every VPC has a flow log"),
        "EC2_EBS_ENCRYPTION_BY_DEFAULT": ManagedRule(("EC2.7",), "EBS encryption by default is on"),
        "IAM_PASSWORD_POLICY": ManagedRule(("IAM.7", "IAM.15", "IAM.16"), "The account password policy is strong", parameters=password),
        "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS": ManagedRule(("IAM.1",), "No customer policy grants *:*", ("AWS::IAM::Policy",)),
        "IAM_USER_NO_POLICIES_CHECK": ManagedRule(("IAM.2",), "No policies attached to IAM users", ("AWS::IAM::User",)),
        "ACCESS_KEYS_ROTATED": ManagedRule(("IAM.3",), "Access keys are rotated within 90 days", parameters={"maxAccessKeyAge": "90"}),
        "IAM_ROOT_ACCESS_KEY_CHECK": ManagedRule(("IAM.4",), "The root user has no access key"),
        "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS": ManagedRule(("IAM.5",), "Console users have MFA"),
        "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED": ManagedRule(("IAM.6",), "The root user has hardware MFA"),
        "ROOT_ACCOUNT_MFA_ENABLED": ManagedRule(("IAM.9",), "The root user has MFA"),
        "CMK_BACKING_KEY_ROTATION_ENABLED": ManagedRule(("KMS.4",), "Customer-managed keys rotate"),
        "KMS_CMK_NOT_SCHEDULED_FOR_DELETION": ManagedRule(("KMS.3",), "No key is pending deletion"),
        "RDS_CLUSTER_ENCRYPTED_AT_REST": ManagedRule(("RDS.27",), "Aurora clusters are encrypted", ("AWS::RDS::DBCluster",)),
        "RDS_CLUSTER_DELETION_PROTECTION_ENABLED": ManagedRule(("RDS.7",), "Aurora clusters have deletion protection", ("AWS::RDS::DBCluster",)),
        "RDS_INSTANCE_PUBLIC_ACCESS_CHECK": ManagedRule(("RDS.2",), "Database instances are not public", ("AWS::RDS::DBInstance",)),
        "SECRETSMANAGER_ROTATION_ENABLED_CHECK": ManagedRule(("SecretsManager.1",), "Secrets rotate", ("AWS::SecretsManager::Secret",)),
        "ECR_PRIVATE_IMAGE_SCANNING_ENABLED": ManagedRule(("ECR.1",), "Images are scanned"),
        "ECR_PRIVATE_TAG_IMMUTABILITY_ENABLED": ManagedRule(("ECR.2",), "Image tags are immutable", ("AWS::ECR::Repository",)),
        "CW_LOGGROUP_RETENTION_PERIOD_CHECK": ManagedRule(("CloudWatch.16",), "Log groups keep a year", parameters={"MinRetentionTime": "365"}),
        "SNS_ENCRYPTED_KMS": ManagedRule(("SNS.1",), "Topics encrypt with KMS", ("AWS::SNS::Topic",)),
        "GUARDDUTY_ENABLED_CENTRALIZED": ManagedRule(("GuardDuty.1",), "GuardDuty is enabled"),
        "CLOUDWATCH_ALARM_ACTION_CHECK": ManagedRule(
            ("CloudWatch.15",), "Alarms notify on ALARM", ("AWS::CloudWatch::Alarm",),
            parameters={"alarmActionRequired": "true", "insufficientDataActionRequired": "false", "okActionRequired": "false"},
        ),
    }


REMEDIATION_ATTEMPTS = 5
REMEDIATION_RETRY_SECONDS = 60
REMEDIATION_CONCURRENCY_PERCENT = 10
REMEDIATION_ERROR_PERCENT = 10


@dataclass
class ConfigService:
    recorders: dict[str, aws.cfg.Recorder]  # region -> recorder
    status: aws.cfg.RecorderStatus  # the home region's: rules and conformance packs wait for the running recorder
    rules: dict[str, aws.cfg.Rule]
    remediations: dict[str, aws.cfg.RemediationConfiguration]
    remediation_role: ServiceRole


def config_service(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings, *,
                   audit_key: KeyRef, storage: AuditStorage, trail_arn: pulumi.Output[str],
                   packed: Collection[str] = ()) -> ConfigService:
    """`packed`: managed rules a conformance pack evaluates (conformance_pack.py); they are not created here too."""
    slr = aws.iam.ServiceLinkedRole(
        f"{name}-config-slr",
        aws_service_name=CONFIG_SERVICE,
        description="AWS Config records resource configuration (Config.1 requires the service-linked role)",
        tags=ctx.tags(COMPONENT),
        opts=child(parent),
    )
    global_region = settings.global_resource_region or ctx.region
    recorders: dict[str, aws.cfg.Recorder] = {}
    statuses: dict[str, aws.cfg.RecorderStatus] = {}
    for region in settings.regions:
        recorders[region], statuses[region] = _recorder(name, ctx, parent, settings, region, slr=slr, audit_key=audit_key,
                                                        storage=storage, global_types=region == global_region)
    status = statuses[ctx.region]
    documents = sorted({spec.remediation.document for spec in managed_rules(settings).values() if spec.remediation})
    role = _remediation_role(name, ctx, parent, trail_arn, storage.arns, documents)
    rules: dict[str, aws.cfg.Rule] = {}
    remediations: dict[str, aws.cfg.RemediationConfiguration] = {}
    for identifier, spec in managed_rules(settings).items():
        if identifier in packed:
            continue
        slug = identifier.lower().replace("_", "-")
        rule = aws.cfg.Rule(
            f"{name}-rule-{slug}",
            description=f"{spec.description} (Security Hub {', '.join(spec.controls)})",
            source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=identifier),
            scope=rule_scope(identifier, spec),
            input_parameters=json.dumps(dict(spec.parameters)) if spec.parameters else None,
            tags=ctx.tags(COMPONENT, SecurityHubControls=" ".join(spec.controls)),
            # a rule cannot be created before a recorder exists; these run once, in the home region (Security Hub's
            # own service-linked rules evaluate every region)
            opts=child(parent, depends_on=[status]),
        )
        rules[identifier] = rule
        if spec.remediation is not None:
            remediations[identifier] = _remediation(f"{name}-remediate-{slug}", settings, rule, spec.remediation, role)
    return ConfigService(recorders=recorders, status=status, rules=rules, remediations=remediations, remediation_role=role)


def _recorder(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings, region: str, *,
              slr: aws.iam.ServiceLinkedRole, audit_key: KeyRef, storage: AuditStorage,
              global_types: bool) -> tuple[aws.cfg.Recorder, aws.cfg.RecorderStatus]:
    """One recorder per account and region, delivering to the one Config history bucket (in the home region; Config
    writes to a bucket of another region) with the home region's audit key, which the bucket uses."""
    recorder_name, region_arg = regional(f"{name}-recorder", ctx, region)
    suffix = recorder_name[len(f"{name}-recorder"):]
    recorder = aws.cfg.Recorder(
        recorder_name,
        # one recorder per account and region: a fixed, readable name (the status resource refers to it)
        name=ctx.name_prefix,
        role_arn=slr.arn,
        recording_group=aws.cfg.RecorderRecordingGroupArgs(
            all_supported=True,
            # IAM and other global types are recorded once, in one region, not once per region
            include_global_resource_types=global_types,
        ),
        recording_mode=aws.cfg.RecorderRecordingModeArgs(recording_frequency="CONTINUOUS"),
        region=region_arg,
        opts=child(parent),
    )
    channel = aws.cfg.DeliveryChannel(
        f"{name}-delivery{suffix}",
        name=ctx.name_prefix,
        # not the audit bucket: Config cannot deliver to a bucket with Object Lock
        s3_bucket_name=storage.config.name,
        s3_key_prefix=CONFIG_PREFIX,
        s3_kms_key_arn=audit_key.arn,
        snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(delivery_frequency="TwentyFour_Hours"),
        region=region_arg,
        opts=child(parent, depends_on=[recorder, *storage.config_ready]),
    )
    status = aws.cfg.RecorderStatus(
        f"{name}-recorder-status{suffix}",
        name=recorder.name,
        is_enabled=True,
        region=region_arg,
        opts=child(recorder, depends_on=[channel, *storage.config_ready]),
    )
    aws.cfg.RetentionConfiguration(
        f"{name}-config-retention{suffix}",
        retention_period_in_days=min(settings.audit_retention_years * 365, MAX_CONFIG_RETENTION_DAYS),
        region=region_arg,
        opts=child(recorder),
    )
    return recorder, status


def _remediation(name: str, settings: SecuritySettings, rule: aws.cfg.Rule, spec: Remediation,
                 role: ServiceRole) -> aws.cfg.RemediationConfiguration:
    parameters = [
        # the AWS-owned documents run with no role unless it is passed explicitly
        aws.cfg.RemediationConfigurationParameterArgs(name="AutomationAssumeRole", static_value=role.arn),
        aws.cfg.RemediationConfigurationParameterArgs(name=spec.resource_parameter, resource_value="RESOURCE_ID"),
        *(aws.cfg.RemediationConfigurationParameterArgs(name=k, static_value=v) for k, v in spec.static.items()),
    ]
    return aws.cfg.RemediationConfiguration(
        name,
        config_rule_name=rule.name,
        target_type="SSM_DOCUMENT",
        target_id=spec.document,
        resource_type=spec.resource_type,
        parameters=parameters,
        automatic=settings.automatic_remediation,
        maximum_automatic_attempts=REMEDIATION_ATTEMPTS,
        retry_attempt_seconds=REMEDIATION_RETRY_SECONDS,
        execution_controls=aws.cfg.RemediationConfigurationExecutionControlsArgs(
            ssm_controls=aws.cfg.RemediationConfigurationExecutionControlsSsmControlsArgs(
                concurrent_execution_rate_percentage=REMEDIATION_CONCURRENCY_PERCENT,
                error_percentage=REMEDIATION_ERROR_PERCENT,
            )
        ),
        opts=child(rule),
    )


def _remediation_role(name: str, ctx: StackContext, parent: pulumi.Resource, trail_arn: pulumi.Output[str],
                      audit_bucket_arns: list[pulumi.Output[str]], documents: list[str]) -> ServiceRole:
    """Exactly the calls the four remediation documents make (each runbook's "Required IAM permissions" in the
    Systems Manager Automation Runbook Reference), on the resource types they fix, on this stack's trail only and
    never on the audit buckets; assumable only by SSM Automation executions of this account and region."""
    p = ctx.partition
    keep_out: Statement = {
        # an automation must never rewrite the policy that admits only this trail and Config to the audit buckets
        "Sid": "NeverTheAuditBuckets",
        "Effect": "Deny",
        "Action": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration"],
        "Resource": audit_bucket_arns,
    }
    return service_role(
        f"{name}-remediation-role",
        ctx,
        COMPONENT,
        parent,
        services=["ssm.amazonaws.com"],
        source_arn=ctx.arn("ssm", "automation-execution/*"),
        description="SSM Automation runs the AWS Config remediation documents",
        statements=[
            keep_out,
            allow(
                "S3PublicAccessAndTls",
                # AWSConfigRemediation-RestrictBucketSSLRequestsOnly also lists DeleteBucketPolicy and
                # PutEncryptionConfiguration (docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/
                # automation-aws-s3-deny-http.html)
                ["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketPolicy", "s3:PutBucketPolicy",
                 "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration"],
                f"arn:{p}:s3:::*",
            ),
            # DescribeSecurityGroups has no resource-level permissions
            allow("DescribeSecurityGroups", ["ec2:DescribeSecurityGroups"], "*"),
            allow(
                "RevokeDefaultSecurityGroupRules",
                ["ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"],
                ctx.arn("ec2", "security-group/*"),
            ),
            allow("TrailValidation", ["cloudtrail:GetTrail", "cloudtrail:UpdateTrail"], trail_arn),
            # DescribeTrails has no resource-level permissions
            allow("DescribeTrails", ["cloudtrail:DescribeTrails"], "*"),
            allow("FollowAutomation", ["ssm:GetAutomationExecution"], ctx.arn("ssm", "automation-execution/*")),
            # the runbooks start their own steps as automations: the AWS-owned remediation documents only
            allow(
                "StartRemediationRunbooks",
                ["ssm:StartAutomationExecution"],
                [f"arn:{p}:ssm:{ctx.region}:*:automation-definition/{document}:*" for document in documents],
            ),
        ],
    )
