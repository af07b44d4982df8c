"""Security: the account security baseline.

Everything here is an account-wide singleton (one trail, one Config recorder, one Security Hub, one GuardDuty
detector, one password policy per account), so it is created only by the stack whose
`security.accountBaseline` is true; the other stack in the same account creates none of it.

- audit trail (security_trail.py): audit bucket with Object Lock in prod (CloudTrail only), the Config history
  bucket (no Object Lock: Config cannot deliver to a locked bucket), their access-log bucket, the multi-region
  CloudTrail trail with CloudWatch Logs delivery, the CIS metric filters and alarms;
- AWS Config (security_config.py): recorder with the service-linked role, delivery channel, retention, the managed
  rules mapped to Security Hub control ids, SSM remediation for the rules that have a safe automation;
- Security Hub: explicit standards, product integrations, accepted exceptions as disabled controls with a reason,
  new HIGH/CRITICAL findings to the critical alert topic;
- GuardDuty with every protection plan FSBP checks, IAM Access Analyzer (external and unused access);
- account hardening: password policy, EBS encryption by default, S3 account Block Public Access, VPC Block
  Public Access in block-ingress mode, the security alternate contact, a support role.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import StackContext, child, policy_json, service_role
from .conformance_pack import packed_rules, soc2_conformance_pack
from .encryption import KeyRef
from .security_config import PASSWORD_MIN_LENGTH, PASSWORD_REUSE, config_service, managed_rules
from .security_trail import COMPONENT, audit_storage, audit_trail, cis_alarms
from .settings import SECURITY_STANDARDS, SecuritySettings

SUPPORT_POLICY = "AWSSupportAccess"
# Security Hub integrations that import findings from other AWS services (product/aws/<name>)
PRODUCTS = ("guardduty", "inspector", "access-analyzer", "config")
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
    standards_arns: Optional[dict[str, str]]  # config name -> subscribed standard ARN
    detector_id: Optional[pulumi.Output[str]]
    audit_bucket_arn: Optional[pulumi.Output[str]]
    findings_rule: Optional[aws.cloudwatch.EventRule]  # the one finding filter every route targets
    conformance_pack_name: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: SecurityArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Security", name, None, opts)
        self.trail_arn = self.audit_bucket_name = self.standards_arns = self.detector_id = None
        self.audit_bucket_arn = self.findings_rule = self.conformance_pack_name = None
        if args.settings.account_baseline:
            self._baseline(name, args)
        self.register_outputs(
            {"trailArn": self.trail_arn, "auditBucketName": self.audit_bucket_name, "securityHubStandards": self.standards_arns}
        )

    def _baseline(self, name: str, args: SecurityArgs) -> None:
        ctx, settings = args.ctx, args.settings
        trail_arn = ctx.arn("cloudtrail", f"trail/{args.trail_name}")
        storage = audit_storage(name, ctx, self, settings, args.audit_key, trail_arn)
        trail = audit_trail(
            name, ctx, self, settings, trail_name=args.trail_name, trail_arn=trail_arn, audit_key=args.audit_key,
            logs_key=args.logs_key, log_retention_days=args.log_retention_days, storage=storage,
        )
        cis_alarms(name, ctx, self, trail.log_group, args.topics)
        packed = packed_rules(managed_rules(settings))
        config = config_service(
            name, ctx, self, settings, audit_key=args.audit_key, storage=storage,
            trail_arn_pattern=ctx.account_id.apply(lambda a: f"arn:{ctx.partition}:cloudtrail:*:{a}:trail/*"),
            packed=packed.keys(),
        )
        pack = soc2_conformance_pack(name, ctx, self, packed, remediation_role_arn=config.remediation_role.arn,
                                     automatic=settings.automatic_remediation, organization=False, depends_on=[config.status])
        self.conformance_pack_name = pack.name
        self.standards_arns, self.findings_rule = self._security_hub(name, ctx, settings, args.topics)
        self.detector_id = self._guardduty(name, ctx)
        self._access_analyzer(name, ctx, settings)
        self._account_hardening(name, ctx, settings)
        self.trail_arn = trail.trail.arn
        self.audit_bucket_name = storage.bucket.name
        self.audit_bucket_arn = storage.bucket.arn

    def _security_hub(self, name: str, ctx: StackContext, settings: SecuritySettings,
                      topics: Topics) -> tuple[dict[str, str], aws.cloudwatch.EventRule]:
        hub = aws.securityhub.Account(
            f"{name}-hub",
            # the API would otherwise subscribe FSBP and CIS v1.2 on its own; standards are chosen below
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
            opts=child(self),
        )
        arns = {s: f"arn:{ctx.partition}:securityhub:{ctx.region}::standards/{SECURITY_STANDARDS[s]}" for s in settings.standards}
        subscriptions = {
            s: aws.securityhub.StandardsSubscription(f"{name}-standard-{s}", standards_arn=arn, opts=child(hub, depends_on=[hub]))
            for s, arn in arns.items()
        }
        for product in PRODUCTS:
            aws.securityhub.ProductSubscription(
                f"{name}-product-{product}",
                product_arn=f"arn:{ctx.partition}:securityhub:{ctx.region}::product/aws/{product}",
                opts=child(hub, depends_on=[hub]),
            )
        for exception in settings.control_exceptions:
            for standard in [exception.standard] if exception.standard else list(settings.standards):
                aws.securityhub.StandardsControlAssociation(
                    f"{name}-exception-{standard}-{_slug(exception.control_id)}",
                    standards_arn=arns[standard],
                    security_control_id=exception.control_id,
                    association_status="DISABLED",
                    updated_reason=exception.reason,
                    opts=child(subscriptions[standard], depends_on=[subscriptions[standard]]),
                )
        findings = aws.cloudwatch.EventRule(
            f"{name}-hub-findings",
            description="New HIGH or CRITICAL Security Hub findings",
            event_pattern=json.dumps(
                {
                    "source": ["aws.securityhub"],
                    "detail-type": ["Security Hub Findings - Imported"],
                    "detail": {
                        "findings": {
                            "Severity": {"Label": ["HIGH", "CRITICAL"]},
                            "Workflow": {"Status": ["NEW"]},
                            "RecordState": ["ACTIVE"],
                        }
                    },
                }
            ),
            tags=ctx.tags(COMPONENT),
            opts=child(hub),
        )
        aws.cloudwatch.EventTarget(f"{name}-hub-findings-to-critical", rule=findings.name, arn=topics.critical, opts=child(findings))
        return arns, findings

    def _guardduty(self, name: str, ctx: StackContext) -> pulumi.Output[str]:
        detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        for feature, agents in GUARDDUTY_FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{name}-guardduty-{_slug(feature)}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(name=agent, status="ENABLED") for agent in agents
                ]
                or None,
                opts=child(detector),
            )
        return detector.id

    def _access_analyzer(self, name: str, ctx: StackContext, settings: SecuritySettings) -> None:
        aws.accessanalyzer.Analyzer(
            f"{name}-external-access",
            analyzer_name=f"{ctx.name_prefix}-external-access",
            type="ACCOUNT",
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
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
        aws.ebs.EncryptionByDefault(f"{name}-ebs-encryption", enabled=True, opts=child(self))
        # EC2.172, decided in docs/decisions.md: block-ingress keeps NAT gateway egress working (AWS EC2 API
        # reference, BlockPublicAccessStates); block-bidirectional would cut it. A CloudFront VPC origin needs its
        # load balancer's subnets excluded (VPC User Guide, "VPC BPA basics"; rule vpc-block-public-access-exclusions).
        aws.ec2.VpcBlockPublicAccessOptions(
            f"{name}-vpc-block-public-access", internet_gateway_block_mode="block-ingress", opts=child(self)
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


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
