"""Violating variants: the account baseline (CloudTrail, Config, Security Hub, GuardDuty, account settings)."""

from __future__ import annotations

from policy.rules.shared import (
    CONTACT,
    DETECTOR,
    EBS_DEFAULT,
    HUB,
    HUB_STANDARD,
    RECORDER,
    RECORDER_STATUS,
    ROLE_ATTACH,
    TRAIL,
    VPC_BPA,
)

from .core import Mutant, variant

FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
BPA = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
STACK = "stack"

MULTI_REGION = "cloudtrail-multi-region-management-events"


@variant(MULTI_REGION, "single-region trail", "value")
def _single_region(m: Mutant) -> str:
    return m.set(m.get(TRAIL), "isMultiRegionTrail", False)


@variant(MULTI_REGION, "logging stopped", "value")
def _logging_stopped(m: Mutant) -> str:
    return m.set(m.get(TRAIL), "enableLogging", False)


@variant(MULTI_REGION, "management events write-only", "partial")
def _write_only(m: Mutant) -> str:
    return m.set(m.get(TRAIL), "advancedEventSelectors", [{"name": "mgmt", "fieldSelectors": [
        {"field": "eventCategory", "equals": ["Management"]}, {"field": "readOnly", "equals": ["false"]}]}])


HARDENING = "cloudtrail-kms-validation-cloudwatch"


@variant(HARDENING, "trail without a customer key", "removed")
def _trail_key(m: Mutant) -> str:
    return m.drop(m.get(TRAIL), "kmsKeyId")


@variant(HARDENING, "log file validation off", "value")
def _trail_validation(m: Mutant) -> str:
    return m.set(m.get(TRAIL), "enableLogFileValidation", False)


@variant(HARDENING, "no CloudWatch Logs role", "partial")
def _trail_cloudwatch(m: Mutant) -> str:
    return m.drop(m.get(TRAIL), "cloudWatchLogsRoleArn")


@variant("cloudtrail-s3-data-events", "S3 data events write-only", "partial")
def _data_write_only(m: Mutant) -> str:
    def edit(props: dict) -> None:
        for selector in props["advancedEventSelectors"]:
            fields = {f["field"] for f in selector["fieldSelectors"]}
            if "resources.type" in fields:
                selector["fieldSelectors"].append({"field": "readOnly", "equals": ["false"]})

    return m.edit(m.get(TRAIL), edit)


@variant("cloudtrail-s3-data-events", "S3 data events of one bucket only", "partial")
def _data_one_bucket(m: Mutant) -> str:
    def edit(props: dict) -> None:
        for selector in props["advancedEventSelectors"]:
            fields = {f["field"] for f in selector["fieldSelectors"]}
            if "resources.type" in fields:
                selector["fieldSelectors"].append({"field": "resources.ARN", "startsWith": ["arn:aws:s3:::one/"]})

    return m.edit(m.get(TRAIL), edit)


@variant("cloudtrail-bucket-private-and-logged", "audit bucket access logging removed", "removed")
def _trail_bucket_logging(m: Mutant) -> str:
    m.remove(m.get(LOGGING, "security-audit-access-logs"))
    return m.get(TRAIL).name


@variant("cloudtrail-bucket-private-and-logged", "audit bucket public policies allowed", "value")
def _trail_bucket_bpa(m: Mutant) -> str:
    m.set(m.get(BPA, "security-audit-public-access"), "blockPublicPolicy", False)
    return m.get(TRAIL).name


@variant("config-recorder-all-resources", "recorder with a custom role", "value")
def _recorder_role(m: Mutant) -> str:
    return m.set(m.get(RECORDER), "roleArn", "arn:aws:iam::111122223333:role/config")


@variant("config-recorder-all-resources", "global resource types not recorded", "partial")
def _recorder_global(m: Mutant) -> str:
    return m.set(m.get(RECORDER), "recordingGroup.includeGlobalResourceTypes", False)


@variant("config-recorder-all-resources", "only some resource types recorded", "partial")
def _recorder_some(m: Mutant) -> str:
    return m.set(m.get(RECORDER), "recordingGroup.allSupported", False)


@variant("config-recorder-enabled", "recorder stopped", "value")
def _recorder_stopped(m: Mutant) -> str:
    return m.set(m.get(RECORDER_STATUS), "isEnabled", False)


@variant("securityhub-no-default-standards", "default standards enabled", "value")
def _hub_defaults(m: Mutant) -> str:
    return m.set(m.get(HUB), "enableDefaultStandards", True)


@variant("securityhub-no-default-standards", "per-standard control findings", "value")
def _hub_generator(m: Mutant) -> str:
    return m.set(m.get(HUB), "controlFindingGenerator", "STANDARD_CONTROL")


@variant("guardduty-detector-enabled", "detector disabled", "value")
def _detector_off(m: Mutant) -> str:
    return m.set(m.get(DETECTOR), "enable", False)


@variant("guardduty-detector-enabled", "deprecated datasources block", "sibling")
def _detector_datasources(m: Mutant) -> str:
    return m.set(m.get(DETECTOR), "datasources", {"s3Logs": {"enable": True}})


@variant("guardduty-workload-protections", "RDS login events disabled", "value")
def _rds_logins(m: Mutant) -> str:
    m.set(m.get(FEATURE, "security-guardduty-rds-login-events"), "status", "DISABLED")
    return m.get(DETECTOR).name


@variant("guardduty-workload-protections", "S3 protection removed", "removed")
def _s3_protection(m: Mutant) -> str:
    m.remove(m.get(FEATURE, "security-guardduty-s3-data-events"))
    return m.get(DETECTOR).name


@variant("guardduty-all-protection-plans", "EKS audit logs disabled", "value")
def _eks(m: Mutant) -> str:
    m.set(m.get(FEATURE, "security-guardduty-eks-audit-logs"), "status", "DISABLED")
    return m.get(DETECTOR).name


@variant("ebs-default-encryption", "EBS encryption by default off", "value")
def _ebs(m: Mutant) -> str:
    return m.set(m.get(EBS_DEFAULT), "enabled", False)


BASELINE = "account-baseline-complete"


@variant(BASELINE, "CIS v3.0.0 standard not subscribed", "removed")
def _no_cis(m: Mutant) -> str:
    for subscription in m.all(HUB_STANDARD):  # in every region of security.regions
        if "cis-aws-foundations-benchmark/v/3.0.0" in str(subscription.inputs.get("standardsArn")):
            m.remove(subscription)
    return STACK


@variant(BASELINE, "support role attachment removed", "removed")
def _no_support(m: Mutant) -> str:
    m.remove(m.get(ROLE_ATTACH, "security-support-AWSSupportAccess"))
    return STACK


@variant(BASELINE, "security contact removed (Account.1)", "removed")
def _no_contact(m: Mutant) -> str:
    m.remove(m.get(CONTACT))
    return STACK


@variant(BASELINE, "contact changed to the billing contact (Account.1)", "value")
def _billing_contact(m: Mutant) -> str:
    m.set(m.get(CONTACT), "alternateContactType", "BILLING")
    return STACK


@variant(BASELINE, "VPC Block Public Access removed (EC2.172)", "removed")
def _no_vpc_bpa(m: Mutant) -> str:
    m.remove(*m.all(VPC_BPA))  # in every region of security.regions
    return STACK


@variant("account-security-contact", "security contact without a phone number", "removed")
def _contact_phone(m: Mutant) -> str:
    return m.drop(m.get(CONTACT), "phoneNumber")


@variant("account-security-contact", "security contact with an empty email", "value")
def _contact_email(m: Mutant) -> str:
    return m.set(m.get(CONTACT), "emailAddress", "")
