"""The security-tooling account of an AWS Organization (`security.organization.mode: administrator`): delegated
administrator of Security Hub CSPM, GuardDuty, AWS Config, IAM Access Analyzer and (optionally) CloudTrail for every
account. Built by `Security`, next to the account's own baseline.

Management-account steps (trusted access and delegated-administrator registrations) are resources of this stack
through a second provider that assumes `security.organization.managementRoleArn`; without that role they are a
printed one-time checklist (`management_checklist`, stack output `managementChecklist`), and everything that needs
the registrations waits for `security.organization.registered`.

Once registered:
- Security Hub central configuration (https://docs.aws.amazon.com/securityhub/latest/userguide/central-configuration-intro.html):
  the finding aggregator in the home region (a prerequisite of central configuration), the organization
  configuration CENTRAL, a configuration policy (standards, exceptions as disabled controls, IAM.7 parameters from
  the same constants as the password policy) associated with the configured roots, OUs or accounts, and a dev policy
  for the dev accounts that also disables the controls dev may relax. Central configuration disables the controls on
  global resources outside the home region by itself ("Suggested controls to disable");
- GuardDuty, in every region (a delegated administrator is designated per region): organization configuration
  auto-enabling ALL members with the same protection plans as the account detectors;
- AWS Config: an organization aggregator of every covered region, through a role with AWSConfigRoleForOrganizations;
- IAM Access Analyzer: an ORGANIZATION analyzer (zone of trust: the organization) in every region;
- optionally an organization CloudTrail trail into an Object Lock archive bucket; the management account owns an
  organization trail even when the delegated administrator creates it
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-delegated-administrator.html), hence its ARN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from .common import (
    BucketEncryption,
    HardenedBucket,
    LifecycleRule,
    StackContext,
    Statement,
    allow,
    child,
    hardened_bucket,
    kms_key,
    service_role,
)
from .dev_relaxations import dev_relaxed_controls
from .security_config import PASSWORD_MIN_LENGTH, PASSWORD_REUSE
from .security_hub import standard_arn
from .security_trail import ARCHIVE_AFTER_DAYS, COMPONENT, OWNER_ACL, TRAIL_PREFIX, AuditStorage, object_lock, regional
from .settings import OrganizationSettings, SecuritySettings

CONFIG = "config.amazonaws.com"
ACCESS_ANALYZER = "access-analyzer.amazonaws.com"
CLOUDTRAIL = "cloudtrail.amazonaws.com"
CONFIG_ORGANIZATIONS_POLICY = "service-role/AWSConfigRoleForOrganizations"
ORG_ARCHIVE = "org-archive"  # logical-name suffix of the organization trail's bucket (its access logs are admitted)


def organization_trail_name(ctx: StackContext) -> str:
    return f"{ctx.name_prefix}-org-trail"


def checklist(ctx: StackContext, settings: SecuritySettings) -> list[str]:
    """The one-time commands for the management account (AWS CLI, management-account credentials), in order."""
    org = settings.organization
    admin = org.administrator_account_id
    steps = [
        f"aws organizations enable-aws-service-access --service-principal {CONFIG}",
        f"aws organizations register-delegated-administrator --service-principal {CONFIG} --account-id {admin}",
        f"aws organizations enable-aws-service-access --service-principal {ACCESS_ANALYZER}",
        f"aws organizations register-delegated-administrator --service-principal {ACCESS_ANALYZER} --account-id {admin}",
        # enables Security Hub's trusted access itself; one designation per region (AWS::SecurityHub::DelegatedAdmin
        # is created in each region that has the administrator), so the linked regions report to the same account
        *(f"aws securityhub enable-organization-admin-account --admin-account-id {admin} --region {r}" for r in settings.regions),
        # per region, after the first `pulumi up` created this account's detectors: the designation adopts them
        *(f"aws guardduty enable-organization-admin-account --admin-account-id {admin} --region {r}" for r in settings.regions),
    ]
    if org.organization_trail:
        steps += [
            f"aws organizations enable-aws-service-access --service-principal {CLOUDTRAIL}",
            f"aws cloudtrail register-organization-delegated-admin --member-account-id {admin}",
        ]
    steps.append(f"pulumi config set --path security.organization.registered true --stack {ctx.stack}")
    return steps


@dataclass
class OrganizationArchive:
    bucket: HardenedBucket
    key: aws.kms.Key
    ready: list[pulumi.Resource]  # everything the organization trail must wait for


@dataclass
class OrganizationSecurity:
    registrations: list[pulumi.Resource] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)  # empty when the management role registers everything
    configuration_policies: dict[str, aws.securityhub.ConfigurationPolicy] = field(default_factory=dict)
    trail: Optional[aws.cloudtrail.Trail] = None
    archive: Optional[OrganizationArchive] = None


def organization_security(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings, *,
                          detectors: Mapping[str, aws.guardduty.Detector], storage: AuditStorage,
                          guardduty_features: Mapping[str, Sequence[str]]) -> OrganizationSecurity:
    org = settings.organization
    result = OrganizationSecurity()
    if org.organization_trail:
        result.archive = _archive(name, ctx, parent, settings, storage)
    if org.management_role_arn:
        result.registrations = _registrations(name, ctx, parent, settings, detectors)
    else:
        result.checklist = checklist(ctx, settings)
    if not org.delegated:
        return result  # only what needs no delegation exists until the checklist has been run
    after = result.registrations
    hub = _central_configuration(name, ctx, parent, settings, after)
    result.configuration_policies = hub
    for region, detector in detectors.items():
        _guardduty_organization(name, ctx, detector, region, guardduty_features, after)
    _config_aggregator(name, ctx, parent, settings, after)
    for region in settings.regions:
        analyzer_name, region_arg = regional(f"{name}-organization-access", ctx, region)
        aws.accessanalyzer.Analyzer(
            analyzer_name,
            analyzer_name=f"{ctx.name_prefix}-organization-access",
            type="ORGANIZATION",
            tags=ctx.tags(COMPONENT),
            region=region_arg,
            opts=child(parent, depends_on=after),
        )
    if result.archive is not None:
        result.trail = _organization_trail(name, ctx, parent, settings, result.archive, after)
    return result


def _registrations(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings,
                   detectors: Mapping[str, aws.guardduty.Detector]) -> list[pulumi.Resource]:
    """The management account's part, through a provider that assumes managementRoleArn. Protected: deregistering a
    delegated administrator switches off the organization's security tooling."""
    org = settings.organization
    admin = org.administrator_account_id
    assert admin and org.management_role_arn, "settings require both in administrator mode with a management role"
    management = aws.Provider(
        f"{name}-management",
        region=ctx.region,
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=org.management_role_arn, session_name=f"{ctx.name_prefix}-delegation")],
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(ctx.base_tags)),
        opts=child(parent),
    )

    def opts(depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=management, protect=ctx.protect, depends_on=list(depends_on))

    done: list[pulumi.Resource] = []
    principals = [CONFIG, ACCESS_ANALYZER] + ([CLOUDTRAIL] if org.organization_trail else [])
    access = {
        p: aws.organizations.AwsServiceAccess(f"{name}-trusted-{p.split('.')[0]}", service_principal=p, opts=opts())
        for p in principals
    }
    for principal in (CONFIG, ACCESS_ANALYZER):
        done.append(
            aws.organizations.DelegatedAdministrator(
                f"{name}-delegated-{principal.split('.')[0]}",
                account_id=admin,
                service_principal=principal,
                opts=opts([access[principal]]),
            )
        )
    if org.organization_trail:
        done.append(aws.cloudtrail.OrganizationDelegatedAdminAccount(
            f"{name}-delegated-cloudtrail", account_id=admin, opts=opts([access[CLOUDTRAIL]])
        ))
    # Security Hub and GuardDuty enable their trusted access themselves when the administrator is designated, in
    # each region
    for region in settings.regions:
        hub_admin, region_arg = regional(f"{name}-delegated-securityhub", ctx, region)
        done.append(aws.securityhub.OrganizationAdminAccount(hub_admin, admin_account_id=admin, region=region_arg, opts=opts()))
    for region, detector in detectors.items():
        admin_name, region_arg = regional(f"{name}-delegated-guardduty", ctx, region)
        # after this account's detector exists: the designation adopts it instead of creating one of its own
        done.append(aws.guardduty.OrganizationAdminAccount(admin_name, admin_account_id=admin, region=region_arg,
                                                           opts=opts([detector])))
    return done


def _control_settings(settings: SecuritySettings, extra_disabled: Mapping[str, str]) -> (
        aws.securityhub.ConfigurationPolicyConfigurationPolicySecurityControlsConfigurationArgs):
    disabled = sorted({e.control_id for e in settings.control_exceptions} | set(extra_disabled))
    cp = aws.securityhub
    ints = {"MinimumPasswordLength": PASSWORD_MIN_LENGTH, "PasswordReusePrevention": PASSWORD_REUSE}
    if settings.password_max_age_days and settings.password_max_age_days <= 90:  # IAM.7 accepts 1 to 90
        ints["MaxPasswordAge"] = settings.password_max_age_days
    bools = ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireSymbols", "RequireNumbers")
    parameter = cp.ConfigurationPolicyConfigurationPolicySecurityControlsConfigurationSecurityControlCustomParameterParameterArgs
    return cp.ConfigurationPolicyConfigurationPolicySecurityControlsConfigurationArgs(
        disabled_control_identifiers=disabled,
        security_control_custom_parameters=[
            cp.ConfigurationPolicyConfigurationPolicySecurityControlsConfigurationSecurityControlCustomParameterArgs(
                # IAM.7 checks the account password policy against exactly what security_config.py sets
                security_control_id="IAM.7",
                parameters=[
                    *(parameter(name=n, value_type="CUSTOM",
                                bool=cp.ConfigurationPolicyConfigurationPolicySecurityControlsConfigurationSecurityControlCustomParameterParameterBoolArgs(value=True))
                      for n in bools),
                    *(parameter(name=n, value_type="CUSTOM",
                                int=cp.ConfigurationPolicyConfigurationPolicySecurityControlsConfigurationSecurityControlCustomParameterParameterIntArgs(value=v))
                      for n, v in ints.items()),
                ],
            )
        ],
    )


def _central_configuration(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings,
                           after: Sequence[pulumi.Resource]) -> dict[str, aws.securityhub.ConfigurationPolicy]:
    org = settings.organization
    linked = [r for r in settings.regions if r != ctx.region]
    aggregator = aws.securityhub.FindingAggregator(
        f"{name}-hub-aggregator",
        linking_mode="SPECIFIED_REGIONS" if linked else "NO_REGIONS",
        specified_regions=linked or None,
        opts=child(parent, depends_on=list(after)),
    )
    configuration = aws.securityhub.OrganizationConfiguration(
        f"{name}-hub-central",
        # central configuration: policies, not auto-enable, decide what every account runs
        auto_enable=False,
        auto_enable_standards="NONE",
        organization_configuration=aws.securityhub.OrganizationConfigurationOrganizationConfigurationArgs(configuration_type="CENTRAL"),
        opts=child(parent, depends_on=[aggregator]),
    )
    standards = [standard_arn(ctx, s, ctx.region) for s in settings.standards]
    variants: dict[str, tuple[str, Mapping[str, str], tuple[str, ...]]] = {
        "default": ("Standards, exceptions and parameters of every account", {}, org.targets),
    }
    if org.dev_account_ids:
        variants["dev"] = ("The default policy, plus the controls dev may relax (components/dev_relaxations.py)",
                           dev_relaxed_controls(), org.dev_account_ids)
    policies: dict[str, aws.securityhub.ConfigurationPolicy] = {}
    for variant, (description, relaxed, targets) in variants.items():
        policy = aws.securityhub.ConfigurationPolicy(
            f"{name}-hub-policy-{variant}",
            name=f"{ctx.project}-{variant}",
            description=description,
            configuration_policy=aws.securityhub.ConfigurationPolicyConfigurationPolicyArgs(
                service_enabled=True,
                enabled_standard_arns=standards,
                security_controls_configuration=_control_settings(settings, relaxed),
            ),
            opts=child(configuration, depends_on=[configuration]),
        )
        policies[variant] = policy
        for target in targets:
            aws.securityhub.ConfigurationPolicyAssociation(
                f"{name}-hub-policy-{variant}-{target}",
                policy_id=policy.id,
                target_id=target,
                opts=child(policy),
            )
    return policies


def _guardduty_organization(name: str, ctx: StackContext, detector: aws.guardduty.Detector, region: str,
                            features: Mapping[str, Sequence[str]], after: Sequence[pulumi.Resource]) -> None:
    config_name, region_arg = regional(f"{name}-guardduty-organization", ctx, region)
    configuration = aws.guardduty.OrganizationConfiguration(
        config_name,
        detector_id=detector.id,
        auto_enable_organization_members="ALL",
        region=region_arg,
        opts=child(detector, depends_on=list(after)),
    )
    for feature, agents in features.items():
        aws.guardduty.OrganizationConfigurationFeature(
            f"{config_name}-{feature.lower().replace('_', '-')}",
            detector_id=detector.id,
            name=feature,
            auto_enable="ALL",
            additional_configurations=[
                aws.guardduty.OrganizationConfigurationFeatureAdditionalConfigurationArgs(name=agent, auto_enable="ALL")
                for agent in agents
            ] or None,
            region=region_arg,
            opts=child(configuration, depends_on=[configuration]),
        )


def _config_aggregator(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings,
                       after: Sequence[pulumi.Resource]) -> aws.cfg.ConfigurationAggregator:
    role = service_role(
        f"{name}-config-aggregator-role",
        ctx,
        COMPONENT,
        parent,
        services=[CONFIG],
        description="AWS Config reads the organization's accounts for the organization aggregator",
        managed_policy_arns=[f"arn:{ctx.partition}:iam::aws:policy/{CONFIG_ORGANIZATIONS_POLICY}"],
    )
    return aws.cfg.ConfigurationAggregator(
        f"{name}-config-aggregator",
        name=f"{ctx.name_prefix}-organization",
        organization_aggregation_source=aws.cfg.ConfigurationAggregatorOrganizationAggregationSourceArgs(
            role_arn=role.arn, regions=list(settings.regions)
        ),
        tags=ctx.tags(COMPONENT),
        opts=child(parent, depends_on=[*after, *role.ready]),
    )


def _organization_trail_arn(ctx: StackContext, org: OrganizationSettings) -> str:
    return f"arn:{ctx.partition}:cloudtrail:{ctx.region}:{org.management_account_id}:trail/{organization_trail_name(ctx)}"


def _archive(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings,
             storage: AuditStorage) -> OrganizationArchive:
    """The organization trail's own key and Object Lock bucket: every account's events, kept apart from this
    account's audit bucket and writable only by the organization trail."""
    org = settings.organization
    trail_arn = _organization_trail_arn(ctx, org)
    only_trail = {"aws:SourceArn": trail_arn}
    cloudtrail = {"Service": CLOUDTRAIL}
    key = kms_key(
        f"{name}-{ORG_ARCHIVE}-key",
        ctx,
        COMPONENT,
        parent,
        domain="audit",
        description="organization CloudTrail trail",
        alias=f"alias/{ctx.name_prefix}-{ORG_ARCHIVE}",
        statements=[
            {
                "Sid": "OrganizationTrailEncrypt",
                "Effect": "Allow",
                "Principal": cloudtrail,
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": only_trail,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{ctx.partition}:cloudtrail:*:{org.management_account_id}:trail/*"
                    },
                },
            },
            {"Sid": "OrganizationTrailDescribe", "Effect": "Allow", "Principal": cloudtrail, "Action": "kms:DescribeKey",
             "Resource": "*", "Condition": {"StringEquals": only_trail}},
        ],
    )
    archive_name = f"{name}-{ORG_ARCHIVE}"
    days = settings.audit_retention_years * 365
    bucket = hardened_bucket(
        archive_name,
        ctx,
        COMPONENT,
        parent,
        encryption=BucketEncryption(kms_key_arn=key.arn),
        lifecycle=[LifecycleRule(id="archive-then-expire", transition_days=ARCHIVE_AFTER_DAYS, expire_days=days)],
        defer_policy=True,
        access_log_bucket=storage.access_logs.name,
        access_log_prefix=f"{ORG_ARCHIVE}/",
        object_lock_enabled=ctx.protect,
    )
    writes: list[Statement] = [
        allow("OrganizationTrailAclCheck", ["s3:GetBucketAcl"], bucket.arn, Principal=cloudtrail,
              Condition={"StringEquals": only_trail}),
        allow(
            "OrganizationTrailWrite",
            ["s3:PutObject"],
            [
                # the management account's own events, and every member's under the organization id
                pulumi.Output.concat(bucket.arn, f"/{TRAIL_PREFIX}/AWSLogs/{org.management_account_id}/*"),
                pulumi.Output.concat(bucket.arn, f"/{TRAIL_PREFIX}/AWSLogs/{org.organization_id}/*"),
            ],
            Principal=cloudtrail,
            Condition={"StringEquals": {**only_trail, **OWNER_ACL}},
        ),
    ]
    bucket.attach_policy(writes)
    ready: list[pulumi.Resource] = [*bucket.ready, key]
    if ctx.protect:
        ready.append(object_lock(archive_name, bucket, settings))
    return OrganizationArchive(bucket=bucket, key=key, ready=ready)


def _organization_trail(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings,
                        archive: OrganizationArchive, after: Sequence[pulumi.Resource]) -> aws.cloudtrail.Trail:
    """Management events of every account and region. CloudWatch Logs delivery, the CIS alarms and S3 data events
    stay with each account's own trail (CloudTrail.5, CloudWatch.1-14), so this copy is the tamper-evident archive."""
    trail_name = organization_trail_name(ctx)
    return aws.cloudtrail.Trail(
        f"{name}-org-trail",
        name=trail_name,
        is_organization_trail=True,
        s3_bucket_name=archive.bucket.name,
        s3_key_prefix=TRAIL_PREFIX,
        kms_key_id=archive.key.arn,
        is_multi_region_trail=True,
        include_global_service_events=True,
        enable_log_file_validation=True,
        enable_logging=True,
        advanced_event_selectors=[
            aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                name="All management events",
                field_selectors=[aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Management"])],
            )
        ],
        tags=ctx.tags(COMPONENT, name=trail_name),
        opts=child(parent, depends_on=[*after, *archive.ready]),
    )
