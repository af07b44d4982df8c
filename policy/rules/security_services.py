"""Account baseline rules: CloudTrail, AWS Config, Security Hub, GuardDuty, Access Analyzer, EBS default encryption,
the security contact, and the presence of the whole baseline in the stack that owns it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..framework import (
    ADVISORY,
    Res,
    StackView,
    as_list,
    dig,
    text,
    truthy,
)
from .shared import (
    ACCOUNT_BPA,
    ANALYZER,
    BPA,
    BUCKETS,
    CONTACT,
    DELIVERY_CHANNEL,
    DETECTOR,
    DETECTOR_FEATURE,
    EBS_DEFAULT,
    HUB,
    HUB_STANDARD,
    LOGGING,
    PASSWORD_POLICY,
    RECORDER,
    RECORDER_STATUS,
    ROLE_ATTACH,
    TRAIL,
    VPC_BPA,
    Findings,
    bpa_problem,
    bucket_children,
    resource_rule,
    stack_rule,
)

# The singletons a stack owns when it owns the account baseline (security.accountBaseline).
BASELINE_TYPES = (HUB, RECORDER, DETECTOR, TRAIL, ANALYZER, PASSWORD_POLICY, EBS_DEFAULT, ACCOUNT_BPA)


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
        why = bpa_problem(stack, bucket, bucket_children(stack, bucket, BPA))
        if why:
            yield trail, f"bucket {bucket.name}: {why}"
        if not any(text(log.get("targetBucket")) for log in bucket_children(stack, bucket, LOGGING)):
            yield trail, f"bucket {bucket.name} has no server access logging"


CONFIG_SLR = "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"


@stack_rule(
    "config-recorder-all-resources",
    types=(RECORDER,),
    controls=("Config.1",),
    severity="critical",
    tsc=("CC7.1", "CC8.1", "CC3.2"),
    description="Every Config recorder uses the Config service-linked role and records all supported resource types; "
    "exactly one (one region) records the global ones.",
    remediation="role_arn=<AWSServiceRoleForConfig ARN>, recording_group={all_supported: True, "
    "include_global_resource_types: True in one region only}.",
)
def _recorder(stack: StackView) -> Findings:
    recorders = stack.of(RECORDER)
    for res in recorders:
        if CONFIG_SLR not in text(res.get("roleArn")):
            yield res, "role_arn is not the Config service-linked role"
        if not truthy(dig(res.get("recordingGroup"), "allSupported"), default=True):
            yield res, "recording_group.all_supported is false"
    # global types (IAM) once per account: a second region would record and evaluate the same data again
    global_ones = [r for r in recorders if truthy(dig(r.get("recordingGroup"), "includeGlobalResourceTypes"))]
    if recorders and len(global_ones) != 1:
        subject = global_ones[1] if len(global_ones) > 1 else recorders[0]
        yield subject, f"{len(global_ones)} recorders record global resource types; exactly one must"


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


_FSBP_CIS = ("aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/3.0.0")
CONFIGURATION_POLICY = "aws:securityhub/configurationPolicy:ConfigurationPolicy"


def _organization_mode(s: StackView) -> str:
    """security.organization.mode as the baseline's trail is tagged (components/security_trail.py); an
    administrator whose delegation is not registered yet is `administrator-pending`."""
    for trail in s.of(TRAIL):
        mode = text(trail.get("tags", "OrganizationMode"))
        if mode:
            return f"{mode}-pending" if text(trail.get("tags", "DelegatedAdministrator")) == "pending" else mode
    return "none"


def _security_hub_standards(s: StackView) -> bool:
    """The account's own hub with the standards; a member's are the administrator's; the administrator's are in a
    central configuration policy (docs/security.md, Organization mode)."""
    mode = _organization_mode(s)
    if mode in ("member", "administrator-pending"):
        return True  # the administrator's central configuration; pending: its registration checklist comes first
    if mode == "administrator":
        return any(all(any(std in text(arn) for arn in as_list(p.get("configurationPolicy", "enabledStandardArns")))
                       for std in _FSBP_CIS) for p in s.of(CONFIGURATION_POLICY))
    return bool(s.of(HUB)) and all(any(std in text(x.get("standardsArn")) for x in s.of(HUB_STANDARD)) for std in _FSBP_CIS)


# What a stack that owns the account baseline must hold (presence; settings are checked by the rules above).
BASELINE_REQUIREMENTS: tuple[tuple[str, str, Callable[[StackView], bool]], ...] = (
    ("Config.1", "Config recorder, recorder status and delivery channel",
     lambda s: bool(s.of(RECORDER) and s.of(RECORDER_STATUS) and s.of(DELIVERY_CHANNEL))),
    ("(Security Hub)", "Security Hub with the FSBP v1.0.0 and CIS v3.0.0 standards", _security_hub_standards),
    ("GuardDuty.1", "a GuardDuty detector", lambda s: bool(s.of(DETECTOR)) or _organization_mode(s) == "member"),
    ("CloudTrail.1", "a multi-region CloudTrail trail", lambda s: any(truthy(t.get("isMultiRegionTrail")) for t in s.of(TRAIL))),
    ("IAM.28", "an IAM Access Analyzer of type ACCOUNT or ORGANIZATION",
     lambda s: any(text(a.get("type")) in ("", "ACCOUNT", "ORGANIZATION") for a in s.of(ANALYZER))),
    ("IAM.7", "the account password policy", lambda s: bool(s.of(PASSWORD_POLICY))),
    ("EC2.7", "EBS encryption by default", lambda s: bool(s.of(EBS_DEFAULT))),
    ("S3.1", "the account-level S3 Block Public Access", lambda s: bool(s.of(ACCOUNT_BPA))),
    ("IAM.18", "a support role with AWSSupportAccess",
     lambda s: any(text(a.get("policyArn")).endswith(":policy/AWSSupportAccess") for a in s.of(ROLE_ATTACH))),
    ("Account.1", "the SECURITY alternate contact",
     lambda s: any(text(c.get("alternateContactType")) == "SECURITY" for c in s.of(CONTACT))),
    ("EC2.172", "VPC Block Public Access (block-ingress)", lambda s: bool(s.of(VPC_BPA))),
)


@stack_rule(
    "account-baseline-complete",
    types=BASELINE_TYPES,
    controls=("Config.1", "GuardDuty.1", "CloudTrail.1", "IAM.28", "IAM.7", "EC2.7", "S3.1", "IAM.18", "Account.1",
              "EC2.172"),
    severity="high",
    tsc=("CC2.1", "CC3.2", "CC6.1", "CC7.1", "CC7.2"),
    description="A stack that owns account-level singletons (security.accountBaseline) owns all of them: Config, "
    "Security Hub standards, GuardDuty, a multi-region trail, Access Analyzer, password policy, EBS default "
    "encryption, account S3 Block Public Access, the support role, the security contact and VPC Block Public "
    "Access.",
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
