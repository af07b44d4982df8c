"""Security: the account security baseline, in every region the platform uses, and the organization's security
tooling when this is the security-tooling account's stack.

The baseline is made of account-wide singletons (one trail, one Config recorder per region, one Security Hub, one
GuardDuty detector per region, one password policy), so it is created only by the stack whose
`security.accountBaseline` is true; another stack in the same account creates none of it.

`security.organization.mode` decides who runs what:

| piece | none (single account) | member (workload account) | administrator (security-tooling account) |
|---|---|---|---|
| audit trail, CIS alarms, Config recorder per region, managed rules | yes | yes | yes |
| Security Hub, standards, aggregator, dev automation rules | yes, every region | no: central configuration | central configuration (security_org.py) |
| GuardDuty detector per region | yes | no: auto-enabled by the administrator | yes, + organization configuration |
| Access Analyzer (account) per region, EBS encryption per region, account hardening | yes | yes | yes |
| HIGH/CRITICAL findings route (home region) | yes | no: aggregated at the administrator | yes |

- audit trail (security_trail.py): audit bucket with Object Lock outside dev (CloudTrail only), the Config history
  bucket (no Object Lock: Config cannot deliver to a locked bucket), their access-log bucket, the multi-region
  CloudTrail trail with CloudWatch Logs delivery, the CIS metric filters and alarms;
- AWS Config (security_config.py): a recorder per region (global types in one region only) with the service-linked
  role, delivery to the one history bucket, retention, the managed rules mapped to Security Hub control ids, SSM
  remediation for the rules that have a safe automation;
- Security Hub (security_hub.py): explicit standards, product integrations, exceptions as disabled controls with a
  reason, global-resource controls disabled where global types are not recorded, the finding aggregator, new
  HIGH/CRITICAL findings to the critical alert topic, dev relaxations suppressed with their reason;
- GuardDuty with every protection plan FSBP checks, IAM Access Analyzer (external access per region, unused access
  once: it analyzes global IAM principals);
- account hardening: password policy, EBS encryption by default and VPC Block Public Access in block-ingress mode
  (per region), S3 account Block Public Access, the security alternate contact, a support role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import StackContext, child, policy_json, service_role
from .conformance_pack import packed_rules, soc2_conformance_pack
from .encryption import KeyRef
from .security_config import PASSWORD_MIN_LENGTH, PASSWORD_REUSE, config_service, managed_rules
from .security_hub import account_security_hub, findings_route, slug
from .security_org import ORG_ARCHIVE, organization_security
from .security_trail import COMPONENT, audit_storage, audit_trail, cis_alarms, regional
from .settings import ADMINISTRATOR, MEMBER, NO_ORGANIZATION, SecuritySettings

SUPPORT_POLICY = "AWSSupportAccess"
# GuardDuty plans the FSBP GuardDuty.5-13 controls check; a plan without the workload costs nothing.
GUARDDUTY_FEATURES: dict[str, tuple[str, ...]] = {
    "S3_DATA_EVENTS": (),
    "EKS_AUDIT_LOGS": (),
    "EBS_MALWARE_PROTECTION": (),
    "RDS_LOGIN_EVENTS": (),
    "LAMBDA_NETWORK_LOGS": (),
    # supersedes EKS_RUNTIME_MONITORING (the two cannot both be on); agents managed by GuardDuty
    "RUNTIME_MONITORING": ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT"),
}


@dataclass(frozen=True)
class SecurityArgs:
    ctx: StackContext
    settings: SecuritySettings
    audit_key: KeyRef
    logs_key: KeyRef
    topics: Topics
    log_retention_days: int
    trail_name: str  # the same name EncryptionArgs.cloudtrail_name put in the audit key policy


class Security(pulumi.ComponentResource):
    """The account baseline; without `accountBaseline` the component is empty and every attribute is None."""

    trail_arn: Optional[pulumi.Output[str]]
    audit_bucket_name: Optional[pulumi.Output[str]]
    standards_arns: Optional[dict[str, str]]  # config name -> subscribed standard ARN (home region, single account)
    detector_ids: Optional[dict[str, pulumi.Output[str]]]  # region -> GuardDuty detector id
    management_checklist: Optional[list[str]]  # administrator without a management role: the one-time commands
    organization_trail_arn: Optional[pulumi.Output[str]]
    audit_bucket_arn: Optional[pulumi.Output[str]]
    findings_rule: Optional[aws.cloudwatch.EventRule]  # the one finding filter every route targets (not in members)
    conformance_pack_name: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: SecurityArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Security", name, None, opts)
        self.trail_arn = self.audit_bucket_name = self.standards_arns = self.detector_ids = None
        self.management_checklist = self.organization_trail_arn = None
        self.audit_bucket_arn = self.findings_rule = self.conformance_pack_name = None
        self.audit_bucket_arns: list[pulumi.Output[str]] = []  # the trail's, Config's and their access-log bucket
        if args.settings.account_baseline:
            self._baseline(name, args)
        self.register_outputs(
            {
                "trailArn": self.trail_arn,
                "auditBucketName": self.audit_bucket_name,
                "securityHubStandards": self.standards_arns,
                "guardDutyDetectorIds": self.detector_ids,
                "managementChecklist": self.management_checklist,
                "organizationTrailArn": self.organization_trail_arn,
            }
        )

    def _baseline(self, name: str, args: SecurityArgs) -> None:
        ctx, settings = args.ctx, args.settings
        mode = settings.organization.mode
        trail_arn = ctx.arn("cloudtrail", f"trail/{args.trail_name}")
        archive = [f"{name}-{ORG_ARCHIVE}"] if mode == ADMINISTRATOR and settings.organization.organization_trail else []
        storage = audit_storage(name, ctx, self, settings, args.audit_key, trail_arn, extra_log_sources=archive)
        trail = audit_trail(
            name, ctx, self, settings, trail_name=args.trail_name, trail_arn=trail_arn, audit_key=args.audit_key,
            logs_key=args.logs_key, log_retention_days=args.log_retention_days, storage=storage,
        )
        cis_alarms(name, ctx, self, trail.log_group, args.topics)
        packed = packed_rules(managed_rules(settings))
        config = config_service(
            name, ctx, self, settings, audit_key=args.audit_key, storage=storage,
            trail_arn=trail_arn,
            packed=packed.keys(),
        )
        # every account with a baseline evaluates its own pack: its rules remediate with this account's role
        pack = soc2_conformance_pack(name, ctx, self, packed, remediation_role_arn=config.remediation_role.arn,
                                     automatic=settings.automatic_remediation, organization=False, depends_on=[config.status])
        self.conformance_pack_name = pack.name
        if mode == NO_ORGANIZATION:
            self.standards_arns, self.findings_rule = account_security_hub(name, ctx, self, settings, args.topics)
        if mode != MEMBER:
            detectors = {region: self._guardduty(name, ctx, region) for region in settings.regions}
            self.detector_ids = {region: d.id for region, d in detectors.items()}
        if mode == ADMINISTRATOR:
            organization = organization_security(name, ctx, self, settings, detectors=detectors, storage=storage,
                                                 guardduty_features=GUARDDUTY_FEATURES)
            self.findings_rule = findings_route(name, ctx, self, args.topics)
            self.management_checklist = organization.checklist or None
            if organization.trail is not None:
                self.organization_trail_arn = organization.trail.arn
        for region in settings.regions:
            self._access_analyzer(name, ctx, settings, region)
            ebs_name, region_arg = regional(f"{name}-ebs-encryption", ctx, region)
            aws.ebs.EncryptionByDefault(ebs_name, enabled=True, region=region_arg, opts=child(self))
            # EC2.172, decided in docs/decisions.md: block-ingress keeps NAT gateway egress working (AWS EC2 API
            # reference, BlockPublicAccessStates); block-bidirectional would cut it. A CloudFront VPC origin needs its
            # load balancer's subnets excluded (VPC User Guide, "VPC BPA basics"; rule vpc-block-public-access-exclusions).
            bpa_name, _ = regional(f"{name}-vpc-block-public-access", ctx, region)
            aws.ec2.VpcBlockPublicAccessOptions(
                bpa_name, internet_gateway_block_mode="block-ingress", region=region_arg, opts=child(self)
            )
        self._account_hardening(name, ctx, settings)
        self.trail_arn = trail.trail.arn
        self.audit_bucket_name = storage.bucket.name
        self.audit_bucket_arn = storage.bucket.arn
        self.audit_bucket_arns = storage.arns

    def _guardduty(self, name: str, ctx: StackContext, region: str) -> aws.guardduty.Detector:
        detector_name, region_arg = regional(f"{name}-guardduty", ctx, region)
        detector = aws.guardduty.Detector(
            detector_name,
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            tags=ctx.tags(COMPONENT),
            region=region_arg,
            opts=child(self),
        )
        for feature, agents in GUARDDUTY_FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{detector_name}-{slug(feature)}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(name=agent, status="ENABLED") for agent in agents
                ]
                or None,
                region=region_arg,
                opts=child(detector),
            )
        return detector

    def _access_analyzer(self, name: str, ctx: StackContext, settings: SecuritySettings, region: str) -> None:
        analyzer_name, region_arg = regional(f"{name}-external-access", ctx, region)
        aws.accessanalyzer.Analyzer(
            analyzer_name,
            analyzer_name=f"{ctx.name_prefix}-external-access",
            type="ACCOUNT",
            tags=ctx.tags(COMPONENT),
            region=region_arg,
            opts=child(self),
        )
        if region != ctx.region:
            return  # unused access concerns IAM principals, which are global: one analyzer, billed per principal
        aws.accessanalyzer.Analyzer(
            f"{name}-unused-access",
            analyzer_name=f"{ctx.name_prefix}-unused-access",
            type="ACCOUNT_UNUSED_ACCESS",
            configuration=aws.accessanalyzer.AnalyzerConfigurationArgs(
                unused_access=aws.accessanalyzer.AnalyzerConfigurationUnusedAccessArgs(
                    unused_access_age=settings.unused_access_age_days
                )
            ),
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )

    def _account_hardening(self, name: str, ctx: StackContext, settings: SecuritySettings) -> None:
        aws.iam.AccountPasswordPolicy(
            f"{name}-password-policy",
            minimum_password_length=PASSWORD_MIN_LENGTH,
            password_reuse_prevention=PASSWORD_REUSE,
            require_lowercase_characters=True,
            require_uppercase_characters=True,
            require_numbers=True,
            require_symbols=True,
            allow_users_to_change_password=True,
            max_password_age=settings.password_max_age_days or None,
            hard_expiry=False,
            opts=child(self),
        )
        aws.s3.AccountPublicAccessBlock(
            f"{name}-s3-public-access",
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child(self),
        )
        contact = settings.security_contact
        assert contact is not None, "the settings parser requires securityContact with accountBaseline"
        aws.account.AlternativeContact(
            f"{name}-security-contact",
            alternate_contact_type="SECURITY",
            name=contact.name,
            email_address=contact.email,
            phone_number=contact.phone,
            title=contact.title,
            opts=child(self),
        )
        root = ctx.account_id.apply(lambda a: f"arn:{ctx.partition}:iam::{a}:root")
        service_role(
            f"{name}-support",
            ctx,
            COMPONENT,
            self,
            services=[],
            description="AWS Support cases for people of this account (CIS IAM.18)",
            managed_policy_arns=[f"arn:{ctx.partition}:iam::aws:policy/{SUPPORT_POLICY}"],
            trust_policy=policy_json(
                [
                    {
                        "Sid": "AccountPrincipalsWithMfa",
                        "Effect": "Allow",
                        "Principal": {"AWS": root},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ]
            ),
        )

