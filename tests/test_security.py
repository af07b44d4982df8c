"""The account security baseline: prod owns it (every piece once, with its properties), dev creates none of it."""

from __future__ import annotations

import json

import pytest

from components.conformance_pack import packed_rules
from components.security import GUARDDUTY_FEATURES
from components.security_config import managed_rules
from components.security_hub import PRODUCTS
from components.security_trail import CIS_FILTERS
from components.settings import CONTROL_ID_RE, SecuritySettings
from offline import UNKNOWN
from tests.conftest import capture_for, policy, statements

SECURITY = "vitality:platform:Security"
# every account-wide type the baseline creates; a stack without the baseline must create none of them
ACCOUNT_WIDE = (
    "aws:cloudtrail/trail:Trail",
    "aws:cfg/recorder:Recorder",
    "aws:cfg/deliveryChannel:DeliveryChannel",
    "aws:cfg/recorderStatus:RecorderStatus",
    "aws:cfg/retentionConfiguration:RetentionConfiguration",
    "aws:cfg/rule:Rule",
    "aws:cfg/remediationConfiguration:RemediationConfiguration",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    "aws:securityhub/account:Account",
    "aws:securityhub/standardsSubscription:StandardsSubscription",
    "aws:securityhub/productSubscription:ProductSubscription",
    "aws:securityhub/standardsControlAssociation:StandardsControlAssociation",
    "aws:guardduty/detector:Detector",
    "aws:guardduty/detectorFeature:DetectorFeature",
    "aws:accessanalyzer/analyzer:Analyzer",
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
    "aws:ebs/encryptionByDefault:EncryptionByDefault",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
    "aws:account/alternativeContact:AlternativeContact",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter",
)
SINGLETONS = (
    "aws:cloudtrail/trail:Trail",
    "aws:cfg/recorder:Recorder",
    "aws:cfg/deliveryChannel:DeliveryChannel",
    "aws:cfg/recorderStatus:RecorderStatus",
    "aws:cfg/retentionConfiguration:RetentionConfiguration",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    "aws:securityhub/account:Account",
    "aws:guardduty/detector:Detector",
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
    "aws:ebs/encryptionByDefault:EncryptionByDefault",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
    "aws:account/alternativeContact:AlternativeContact",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
)


def home_of_type(capture, typ):
    """Resources of a type in the home region (the provider's: no `region` input); the other regions are covered by
    tests/test_security_regions.py."""
    return [r for r in capture.of_type(typ) if not r.inputs.get("region")]


def home_one(capture, typ):
    (found,) = home_of_type(capture, typ)
    return found


def security_resources(capture):
    component = capture.one(SECURITY)
    return list(capture.descendants(component.urn))


# ------------------------------------------------------------------------------------------------ ownership


def test_dev_without_the_baseline_creates_no_account_wide_resource(dev) -> None:
    assert security_resources(dev) == []
    for typ in ACCOUNT_WIDE:
        assert dev.of_type(typ) == [], typ
    for key in ("trailArn", "auditBucketName", "securityHubStandards"):
        assert key not in dev.outputs


def test_prod_creates_each_singleton_once_under_the_component(prod) -> None:
    component = prod.one(SECURITY)
    inside = {r.urn for r in prod.descendants(component.urn)}
    for typ in SINGLETONS:
        assert home_one(prod, typ).urn in inside, typ


def test_baseline_resources_are_tagged(prod) -> None:
    tagged = ("aws:cloudtrail/trail:Trail", "aws:guardduty/detector:Detector", "aws:cfg/rule:Rule", "aws:s3/bucket:Bucket")
    for r in security_resources(prod):
        if r.type in tagged:
            assert r.tags.get("Component") == "security", r.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program_runs_in_preview(stack: str) -> None:
    capture = capture_for(stack, preview=True)
    if stack == "prod":
        assert capture.outputs["trailArn"] == UNKNOWN
        assert capture.one("aws:cloudtrail/trail:Trail").inputs["name"] == "vitality-prod-trail"
    else:
        assert capture.of_type("aws:cloudtrail/trail:Trail") == []


def test_outputs(prod) -> None:
    assert prod.outputs["trailArn"] == "arn:aws:cloudtrail:us-west-2:111122223333:trail/vitality-prod-trail"
    assert prod.outputs["auditBucketName"] == prod.one("aws:cloudtrail/trail:Trail").inputs["s3BucketName"]
    assert prod.outputs["securityHubStandards"] == {
        "fsbp": "arn:aws:securityhub:us-west-2::standards/aws-foundational-security-best-practices/v/1.0.0",
        "cis-3.0": "arn:aws:securityhub:us-west-2::standards/cis-aws-foundations-benchmark/v/3.0.0",
    }


# ------------------------------------------------------------------------------------------------ audit bucket


def test_audit_bucket_is_kms_encrypted_versioned_locked_and_protected(prod) -> None:
    bucket = prod.named("vitality-prod-security-audit")
    assert bucket.protect and bucket.inputs["objectLockEnabled"] is True and bucket.inputs["forceDestroy"] is False
    sse = prod.named("vitality-prod-security-audit-encryption").inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    audit_key = prod.named("vitality-prod-kms-audit", "aws:kms/key:Key")
    assert sse == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": audit_key.outputs["arn"]}
    assert prod.named("vitality-prod-security-audit-versioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    lock = prod.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs
    assert lock["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 365}
    rule = prod.named("vitality-prod-security-audit-lifecycle").inputs["rules"][0]
    assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER"}]
    assert rule["expiration"]["days"] == 7 * 365
    block = prod.named("vitality-prod-security-audit-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))


def test_audit_bucket_access_logs_go_to_a_separate_sse_s3_bucket(prod) -> None:
    logging = prod.named("vitality-prod-security-audit-access-logs")
    assert logging.type == "aws:s3/bucketLogging:BucketLogging"
    log_bucket = prod.named("vitality-prod-security-access-logs")
    assert log_bucket.type == "aws:s3/bucket:Bucket" and log_bucket.protect
    assert logging.inputs["targetBucket"] == log_bucket.id != prod.outputs["auditBucketName"]
    sse = prod.named("vitality-prod-security-access-logs-encryption").inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse == {"sseAlgorithm": "AES256"}
    doc = policy(prod.named("vitality-prod-security-access-logs-policy"))
    delivery = next(s for s in statements(doc) if s["Sid"] == "S3ServerAccessLogs")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == ["s3:PutObject"]
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    # exactly the two source buckets, by ARN: a name prefix would admit any bucket named like them (issue #15)
    config_bucket = prod.named("vitality-prod-security-config-history")
    assert "ArnLike" not in delivery["Condition"]
    assert delivery["Condition"]["ArnEquals"] == {
        "aws:SourceArn": [f"arn:aws:s3:::{prod.outputs['auditBucketName']}", config_bucket.outputs["arn"]]
    }
    assert log_bucket.outputs["arn"] not in delivery["Condition"]["ArnEquals"]["aws:SourceArn"]
    config_logging = prod.named("vitality-prod-security-config-history-access-logs")
    assert config_logging.inputs["targetBucket"] == log_bucket.id
    assert config_logging.inputs["bucket"] == config_bucket.id and config_logging.inputs["targetPrefix"] == "config/"


def test_audit_bucket_policy_admits_exactly_this_trail(prod) -> None:
    doc = policy(prod.named("vitality-prod-security-audit-policy"))
    allows = [s for s in statements(doc) if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allows} == {"cloudtrail.amazonaws.com"}
    trail_arn = prod.outputs["trailArn"]
    bucket = prod.outputs["auditBucketName"]
    by_sid = {s["Sid"]: s for s in allows}
    assert set(by_sid) == {"CloudTrailAclCheck", "CloudTrailWrite"}
    assert by_sid["CloudTrailAclCheck"]["Action"] == ["s3:GetBucketAcl"]
    assert by_sid["CloudTrailAclCheck"]["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
    write = by_sid["CloudTrailWrite"]
    assert write["Resource"] == f"arn:aws:s3:::{bucket}/cloudtrail/AWSLogs/111122223333/*"
    assert write["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements(doc))


# ------------------------------------------------------------------------------------------------ Config bucket


def test_config_history_has_its_own_bucket_without_object_lock(prod) -> None:
    """AWS Config cannot deliver to a bucket with Object Lock, so it must not share the locked audit bucket."""
    bucket = prod.named("vitality-prod-security-config-history")
    assert bucket.type == "aws:s3/bucket:Bucket"
    assert bucket.id != prod.outputs["auditBucketName"]
    assert "objectLockEnabled" not in bucket.inputs
    assert bucket.protect and bucket.inputs["forceDestroy"] is False
    locks = prod.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert [lock.inputs["bucket"] for lock in locks] == [prod.outputs["auditBucketName"]]
    sse = prod.named("vitality-prod-security-config-history-encryption").inputs["rules"][0]
    audit_key = prod.named("vitality-prod-kms-audit", "aws:kms/key:Key")
    assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": audit_key.outputs["arn"]}
    assert sse["bucketKeyEnabled"] is True
    assert prod.named("vitality-prod-security-config-history-versioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    rule = prod.named("vitality-prod-security-config-history-lifecycle").inputs["rules"][0]
    assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER"}]
    assert rule["expiration"]["days"] == 7 * 365
    block = prod.named("vitality-prod-security-config-history-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert prod.named("vitality-prod-security-config-history-ownership").inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_config_bucket_policy_admits_exactly_config_of_this_account(prod) -> None:
    doc = policy(prod.named("vitality-prod-security-config-history-policy"))
    bucket = prod.named("vitality-prod-security-config-history").id
    allows = [s for s in statements(doc) if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allows} == {"config.amazonaws.com"}
    by_sid = {s["Sid"]: s for s in allows}
    assert set(by_sid) == {"ConfigAclCheck", "ConfigBucketExistenceCheck", "ConfigWrite"}
    assert by_sid["ConfigAclCheck"]["Action"] == ["s3:GetBucketAcl"]
    assert by_sid["ConfigBucketExistenceCheck"]["Action"] == ["s3:ListBucket"]
    for sid in ("ConfigAclCheck", "ConfigBucketExistenceCheck"):
        assert by_sid[sid]["Resource"] == f"arn:aws:s3:::{bucket}"
        assert by_sid[sid]["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    write = by_sid["ConfigWrite"]
    assert write["Action"] == ["s3:PutObject"]
    assert write["Resource"] == f"arn:aws:s3:::{bucket}/config/AWSLogs/111122223333/Config/*"
    assert write["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333", "s3:x-amz-acl": "bucket-owner-full-control"}
    denies = [s for s in statements(doc) if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in denies]
    assert {"NumericLessThan": {"s3:TlsVersion": "1.2"}} in [s["Condition"] for s in denies]


# ------------------------------------------------------------------------------------------------ CloudTrail


def test_trail_is_multi_region_validated_and_kms_encrypted(prod) -> None:
    trail = prod.one("aws:cloudtrail/trail:Trail").inputs
    assert trail["name"] == "vitality-prod-trail"
    assert trail["isMultiRegionTrail"] is True
    assert trail["includeGlobalServiceEvents"] is True
    assert trail["enableLogFileValidation"] is True
    assert trail["enableLogging"] is True
    assert trail["kmsKeyId"] == prod.named("vitality-prod-kms-audit", "aws:kms/key:Key").outputs["arn"]
    assert trail["s3BucketName"] == prod.outputs["auditBucketName"]
    assert [s["insightType"] for s in trail["insightSelectors"]] == ["ApiCallRateInsight", "ApiErrorRateInsight"]


def test_trail_name_matches_the_audit_key_policy(prod) -> None:
    key = policy(prod.named("vitality-prod-kms-audit", "aws:kms/key:Key"))
    encrypt = next(s for s in statements(key) if s["Sid"] == "CloudTrailEncrypt")
    assert encrypt["Condition"]["StringEquals"]["aws:SourceArn"] == prod.outputs["trailArn"]


def test_trail_records_management_and_s3_data_events_of_every_bucket(prod) -> None:
    selectors = prod.one("aws:cloudtrail/trail:Trail").inputs["advancedEventSelectors"]
    fields = [{f["field"]: f for f in s["fieldSelectors"]} for s in selectors]
    assert [{k: f["equals"] for k, f in s.items()} for s in fields[:1]] == [{"eventCategory": ["Management"]}]
    data = fields[1]
    # S3.22/S3.23 (CIS) accept only a trail over all current and future buckets: no ARN filter
    assert set(data) == {"eventCategory", "resources.type"}
    assert data["eventCategory"]["equals"] == ["Data"] and data["resources.type"]["equals"] == ["AWS::S3::Object"]


def test_s3_data_events_can_be_turned_off() -> None:
    capture = capture_for("prod", overrides={"vitality:security.s3DataEvents": False})
    selectors = capture.one("aws:cloudtrail/trail:Trail").inputs["advancedEventSelectors"]
    assert [[f["equals"] for f in s["fieldSelectors"]] for s in selectors] == [[["Management"]]]


def test_trail_is_created_after_the_bucket_policy_and_its_log_role(prod) -> None:
    deps = set(prod.one("aws:cloudtrail/trail:Trail").dependencies)
    for name in ("vitality-prod-security-audit-policy", "vitality-prod-security-audit-object-lock",
                 "vitality-prod-security-access-logs-policy", "vitality-prod-security-trail-logs-role-policy"):
        assert prod.named(name).urn in deps, name


def test_trail_delivers_to_an_encrypted_log_group_through_a_least_privilege_role(prod) -> None:
    trail = prod.one("aws:cloudtrail/trail:Trail").inputs
    group = prod.named("vitality-prod-security-trail-logs")
    assert trail["cloudWatchLogsGroupArn"] == group.outputs["arn"] + ":*"
    assert group.inputs["kmsKeyId"] == prod.named("vitality-prod-kms-logs", "aws:kms/key:Key").outputs["arn"]
    assert group.inputs["retentionInDays"] == 365 and group.protect
    role = prod.named("vitality-prod-security-trail-logs-role")
    assert trail["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    trust = statements(policy(role, "assumeRolePolicy"))[0]
    assert trust["Principal"] == {"Service": ["cloudtrail.amazonaws.com"]}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": prod.outputs["trailArn"]}
    inline = statements(policy(prod.named("vitality-prod-security-trail-logs-role-policy")))
    assert len(inline) == 1
    assert inline[0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert inline[0]["Resource"] == group.outputs["arn"] + ":log-stream:*"


def test_cis_metric_filters_and_alarms_on_the_trail_log_group(prod) -> None:
    group = prod.named("vitality-prod-security-trail-logs")
    filters = prod.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert len(filters) == len(CIS_FILTERS) == 14
    assert {f.inputs["logGroupName"] for f in filters} == {group.outputs["name"]}
    metrics = {f.inputs["metricTransformation"]["name"]: f for f in filters}
    assert set(metrics) == set(CIS_FILTERS)
    assert '$.userIdentity.type = "Root"' in metrics["RootAccountUsage"].inputs["pattern"]
    assert "StopLogging" in metrics["CloudTrailConfigChanges"].inputs["pattern"]
    topics = {"critical": prod.outputs["alarmTopicArn"], "warning": prod.outputs["warningTopicArn"]}
    alarms = {a.inputs["metricName"]: a for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
              if a.inputs.get("namespace") == "Vitality/CISBenchmark"}
    assert set(alarms) == set(CIS_FILTERS)
    for metric, (severity, _, _) in CIS_FILTERS.items():
        alarm = alarms[metric].inputs
        assert alarm["alarmActions"] == [topics[severity]], metric
        assert alarm["threshold"] == 1 and alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarms["RootAccountUsage"].inputs["alarmActions"] == [topics["critical"]]


# ------------------------------------------------------------------------------------------------ AWS Config


def test_recorder_uses_the_service_linked_role_and_records_everything(prod) -> None:
    slr = prod.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert slr.inputs["awsServiceName"] == "config.amazonaws.com"
    recorder = home_one(prod, "aws:cfg/recorder:Recorder").inputs
    assert recorder["roleArn"] == slr.outputs["arn"]
    assert recorder["roleArn"].endswith("role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
    assert recorder["recordingGroup"] == {"allSupported": True, "includeGlobalResourceTypes": True}
    assert recorder["recordingMode"] == {"recordingFrequency": "CONTINUOUS"}


def test_global_resource_types_only_in_the_home_region() -> None:
    capture = capture_for("prod", overrides={"vitality:security.globalResourceRegion": "us-east-1"})
    assert home_one(capture, "aws:cfg/recorder:Recorder").inputs["recordingGroup"]["includeGlobalResourceTypes"] is False
    edge = [r for r in capture.of_type("aws:cfg/recorder:Recorder") if r.inputs.get("region") == "us-east-1"]
    assert [r.inputs["recordingGroup"]["includeGlobalResourceTypes"] for r in edge] == [True]


def test_delivery_channel_status_and_retention(prod) -> None:
    channel = home_one(prod, "aws:cfg/deliveryChannel:DeliveryChannel")
    config_bucket = prod.named("vitality-prod-security-config-history")
    assert channel.inputs["s3BucketName"] == config_bucket.id != prod.outputs["auditBucketName"]
    assert channel.inputs["s3KeyPrefix"] == "config"
    assert channel.inputs["s3KmsKeyArn"] == prod.named("vitality-prod-kms-audit", "aws:kms/key:Key").outputs["arn"]
    status = home_one(prod, "aws:cfg/recorderStatus:RecorderStatus")
    for part in ("policy", "public-access", "encryption", "versioning", "lifecycle", "access-logs"):
        urn = prod.named(f"vitality-prod-security-config-history-{part}").urn
        assert urn in channel.dependencies and urn in status.dependencies, part
    assert prod.named("vitality-prod-security-access-logs-policy").urn in channel.dependencies
    assert prod.named("vitality-prod-security-audit-policy").urn not in channel.dependencies
    assert status.inputs["isEnabled"] is True
    assert status.inputs["name"] == home_one(prod, "aws:cfg/recorder:Recorder").inputs["name"]
    assert channel.urn in status.dependencies
    retention = home_one(prod, "aws:cfg/retentionConfiguration:RetentionConfiguration")
    assert retention.inputs["retentionPeriodInDays"] == 2555


def test_managed_rules_map_to_control_ids(prod) -> None:
    table = managed_rules(SecuritySettings(account_baseline=True))
    rules = prod.of_type("aws:cfg/rule:Rule")
    # the SOC 2 rules live in the conformance pack (tests/test_security_findings.py); the rest stay standalone
    assert sorted(r.inputs["source"]["sourceIdentifier"] for r in rules) == sorted(set(table) - set(packed_rules(table)))
    for identifier, spec in table.items():
        assert spec.controls and all(CONTROL_ID_RE.fullmatch(c) for c in spec.controls), identifier
    status = home_one(prod, "aws:cfg/recorderStatus:RecorderStatus")
    for rule in rules:
        assert rule.inputs["source"]["owner"] == "AWS"
        assert status.urn in rule.dependencies
        spec = table[rule.inputs["source"]["sourceIdentifier"]]
        assert rule.inputs["tags"]["SecurityHubControls"] == " ".join(spec.controls)
    pack = {r["Properties"]["Source"]["SourceIdentifier"]: r["Properties"] for r in _pack(prod)["Resources"].values()
            if r["Type"] == "AWS::Config::ConfigRule"}
    assert pack["IAM_PASSWORD_POLICY"]["InputParameters"]["MinimumPasswordLength"] == "14"
    covered = {c for spec in table.values() for c in spec.controls}
    assert {"CloudTrail.1", "CloudTrail.2", "CloudTrail.4", "CloudTrail.5", "S3.5", "S3.8", "EC2.2", "EC2.6", "IAM.15"} <= covered


def _pack(capture) -> dict:
    return json.loads(capture.one("aws:cfg/conformancePack:ConformancePack").inputs["templateBody"])


def _remediations(capture) -> list[dict]:
    return [r["Properties"] for r in _pack(capture)["Resources"].values() if r["Type"] == "AWS::Config::RemediationConfiguration"]


def test_remediations_pass_the_assume_role_with_retries_and_rate_limits(prod) -> None:
    role = prod.named("vitality-prod-security-remediation-role")
    remediations = _remediations(prod)
    assert prod.of_type("aws:cfg/remediationConfiguration:RemediationConfiguration") == []  # they moved into the pack
    documents = {r["TargetId"] for r in remediations}
    assert documents == {
        "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
        "AWSConfigRemediation-RestrictBucketSSLRequestsOnly",
        "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules",
        "AWSConfigRemediation-EnableCloudTrailLogFileValidation",
    }
    rule_names = {r["Properties"]["ConfigRuleName"] for r in _pack(prod)["Resources"].values()
                  if r["Type"] == "AWS::Config::ConfigRule"}
    for i in remediations:
        params = i["Parameters"]
        assert params["AutomationAssumeRole"] == {"StaticValue": {"Values": [role.outputs["arn"]]}}
        assert sum(1 for p in params.values() if p.get("ResourceValue") == {"Value": "RESOURCE_ID"}) == 1
        assert i["ConfigRuleName"] in rule_names
        assert i["TargetType"] == "SSM_DOCUMENT"
        assert i["Automatic"] is True
        assert i["MaximumAutomaticAttempts"] == 5 and i["RetryAttemptSeconds"] == 60
        assert i["ExecutionControls"]["SsmControls"] == {"ConcurrentExecutionRatePercentage": 10, "ErrorPercentage": 10}


def test_dev_style_manual_remediation_from_config() -> None:
    capture = capture_for("prod", overrides={"vitality:security.remediation": "manual"})
    remediations = _remediations(capture)
    assert remediations and all(r["Automatic"] is False for r in remediations)


def test_remediation_role_is_least_privilege(prod) -> None:
    role = prod.named("vitality-prod-security-remediation-role")
    trust = statements(policy(role, "assumeRolePolicy"))[0]
    assert trust["Principal"] == {"Service": ["ssm.amazonaws.com"]}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111122223333"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ssm:us-west-2:111122223333:automation-execution/*"},
    }
    inline = statements(policy(prod.named("vitality-prod-security-remediation-role-policy")))
    for s in inline:
        for action in s["Action"]:
            assert not action.endswith(":*") and action != "*", action
        if s["Resource"] == "*":
            assert all(a.split(":")[1].startswith(("Describe", "List")) for a in s["Action"]), s["Sid"]


def test_remediation_never_rewrites_the_audit_buckets(prod) -> None:
    inline = statements(policy(prod.named("vitality-prod-security-remediation-role-policy")))
    by_sid = {s["Sid"]: s for s in inline}
    writes = {"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration"}
    assert writes <= set(by_sid["S3PublicAccessAndTls"]["Action"])
    assert by_sid["S3PublicAccessAndTls"]["Resource"] == "arn:aws:s3:::*"
    deny = by_sid["NeverTheAuditBuckets"]
    assert deny["Effect"] == "Deny" and set(deny["Action"]) == writes
    buckets = [prod.outputs["auditBucketName"], prod.named("vitality-prod-security-config-history").id,
               prod.named("vitality-prod-security-access-logs").id]
    assert deny["Resource"] == [f"arn:aws:s3:::{b}" for b in buckets]
    assert "Condition" not in deny


def test_remediation_role_has_what_the_runbooks_list_on_this_trail_only(prod) -> None:
    """Each runbook's "Required IAM permissions" (Systems Manager Automation Runbook Reference): the S3-TLS one also
    needs DeleteBucketPolicy, PutEncryptionConfiguration and StartAutomationExecution; log-file validation updates
    exactly this stack's trail, not every trail of the account (issue #15)."""
    by_sid = {s["Sid"]: s for s in statements(policy(prod.named("vitality-prod-security-remediation-role-policy")))}
    assert {"s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration", "s3:GetBucketPolicy"} <= set(by_sid["S3PublicAccessAndTls"]["Action"])
    assert by_sid["TrailValidation"]["Resource"] == "arn:aws:cloudtrail:us-west-2:111122223333:trail/vitality-prod-trail"
    assert by_sid["TrailValidation"]["Resource"] == prod.outputs["trailArn"]
    start = by_sid["StartRemediationRunbooks"]
    assert start["Action"] == ["ssm:StartAutomationExecution"]
    # every remediation document, whether a RemediationConfiguration or the conformance pack runs it
    documents = sorted({spec.remediation.document for spec in managed_rules(SecuritySettings(account_baseline=True)).values() if spec.remediation})
    assert "AWSConfigRemediation-RestrictBucketSSLRequestsOnly" in documents
    assert start["Resource"] == [f"arn:aws:ssm:us-west-2:*:automation-definition/{d}:*" for d in documents]


# ------------------------------------------------------------------------------------------------ Security Hub


def test_security_hub_account_without_default_standards(prod) -> None:
    hub = home_one(prod, "aws:securityhub/account:Account").inputs
    assert hub["enableDefaultStandards"] is False
    assert hub["controlFindingGenerator"] == "SECURITY_CONTROL"
    assert hub["autoEnableControls"] is True


def test_standards_subscribed_after_the_account(prod) -> None:
    hub = home_one(prod, "aws:securityhub/account:Account")
    subs = home_of_type(prod, "aws:securityhub/standardsSubscription:StandardsSubscription")
    assert sorted(s.inputs["standardsArn"] for s in subs) == sorted(prod.outputs["securityHubStandards"].values())
    assert all(hub.urn in s.dependencies for s in subs)


def test_nist_standard_by_config() -> None:
    capture = capture_for("prod", overrides={"vitality:security.standards": ["fsbp", "cis-3.0", "nist-800-53-r5"]})
    arns = {s.inputs["standardsArn"] for s in home_of_type(capture, "aws:securityhub/standardsSubscription:StandardsSubscription")}
    assert "arn:aws:securityhub:us-west-2::standards/nist-800-53/v/5.0.0" in arns and len(arns) == 3


def test_product_integrations(prod) -> None:
    arns = {p.inputs["productArn"] for p in home_of_type(prod, "aws:securityhub/productSubscription:ProductSubscription")}
    assert arns == {f"arn:aws:securityhub:us-west-2::product/aws/{p}" for p in PRODUCTS}
    assert {"guardduty", "inspector", "access-analyzer", "config"} == set(PRODUCTS)


def test_control_exceptions_are_disabled_with_their_reason(prod) -> None:
    association = home_one(prod, "aws:securityhub/standardsControlAssociation:StandardsControlAssociation")
    assert association.inputs["securityControlId"] == "EC2.10"
    assert association.inputs["associationStatus"] == "DISABLED"
    assert association.inputs["standardsArn"] == prod.outputs["securityHubStandards"]["fsbp"]
    assert "No EC2 instances" in association.inputs["updatedReason"]


def test_exception_without_a_standard_applies_to_every_subscribed_standard() -> None:
    capture = capture_for("prod", overrides={"vitality:security.controlExceptions": [
        {"controlId": "IAM.6", "reason": "Root hardware MFA is held by the finance office; virtual MFA is used."}]})
    associations = home_of_type(capture, "aws:securityhub/standardsControlAssociation:StandardsControlAssociation")
    assert sorted(a.inputs["standardsArn"] for a in associations) == sorted(capture.outputs["securityHubStandards"].values())
    assert all(a.inputs["securityControlId"] == "IAM.6" for a in associations)


def test_high_and_critical_findings_go_to_the_critical_topic(prod) -> None:
    rule = prod.named("vitality-prod-security-hub-findings")
    assert rule.type == "aws:cloudwatch/eventRule:EventRule"
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.securityhub"]
    assert pattern["detail"]["findings"]["Severity"]["Label"] == ["HIGH", "CRITICAL"]
    assert pattern["detail"]["findings"]["Workflow"]["Status"] == ["NEW"]
    (target,) = [t for t in prod.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.inputs["rule"] == rule.outputs["name"]]
    assert target.inputs["arn"] == prod.outputs["alarmTopicArn"]
    assert target.inputs["rule"] == rule.outputs["name"]


# ------------------------------------------------------------------------------------------------ GuardDuty, Access Analyzer


def test_guardduty_with_every_plan(prod) -> None:
    detector = home_one(prod, "aws:guardduty/detector:Detector")
    assert detector.inputs["enable"] is True and detector.inputs["findingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert "datasources" not in detector.inputs
    features = {f.inputs["name"]: f.inputs for f in home_of_type(prod, "aws:guardduty/detectorFeature:DetectorFeature")}
    assert set(features) == {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
                             "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"} == set(GUARDDUTY_FEATURES)
    for name, f in features.items():
        assert f["status"] == "ENABLED" and f["detectorId"] == detector.id, name
    agents = {a["name"]: a["status"] for a in features["RUNTIME_MONITORING"]["additionalConfigurations"]}
    assert agents == {"EKS_ADDON_MANAGEMENT": "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT": "ENABLED", "EC2_AGENT_MANAGEMENT": "ENABLED"}


def test_access_analyzers(prod) -> None:
    analyzers = {a.inputs["type"]: a.inputs for a in home_of_type(prod, "aws:accessanalyzer/analyzer:Analyzer")}
    assert set(analyzers) == {"ACCOUNT", "ACCOUNT_UNUSED_ACCESS"}
    assert analyzers["ACCOUNT_UNUSED_ACCESS"]["configuration"]["unusedAccess"]["unusedAccessAge"] == 90
    capture = capture_for("prod", overrides={"vitality:security.unusedAccessAgeDays": 45})
    unused = [a for a in home_of_type(capture, "aws:accessanalyzer/analyzer:Analyzer") if a.inputs["type"] == "ACCOUNT_UNUSED_ACCESS"]
    assert unused[0].inputs["configuration"]["unusedAccess"]["unusedAccessAge"] == 45


# ------------------------------------------------------------------------------------------------ account hardening


def test_password_policy_meets_cis(prod) -> None:
    p = prod.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy").inputs
    assert p["minimumPasswordLength"] >= 14
    assert p["passwordReusePrevention"] == 24
    for cls in ("requireLowercaseCharacters", "requireUppercaseCharacters", "requireNumbers", "requireSymbols"):
        assert p[cls] is True, cls
    assert p["maxPasswordAge"] == 90


def test_password_age_zero_means_no_expiry() -> None:
    capture = capture_for("prod", overrides={"vitality:security.passwordMaxAgeDays": 0})
    assert "maxPasswordAge" not in capture.one("aws:iam/accountPasswordPolicy:AccountPasswordPolicy").inputs


def test_ebs_encryption_s3_account_block_and_security_contact(prod) -> None:
    assert home_one(prod, "aws:ebs/encryptionByDefault:EncryptionByDefault").inputs["enabled"] is True
    block = prod.one("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    contact = prod.one("aws:account/alternativeContact:AlternativeContact").inputs
    assert contact == {"alternateContactType": "SECURITY", "name": "Vitality Security", "emailAddress": "security@vitality.example",
                       "phoneNumber": "+1-206-555-0100", "title": "Security Lead"}


def test_support_role_with_aws_support_access(prod) -> None:
    role = prod.named("vitality-prod-security-support")
    trust = statements(policy(role, "assumeRolePolicy"))[0]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    attachment = prod.named("vitality-prod-security-support-AWSSupportAccess")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AWSSupportAccess"
    assert attachment.inputs["role"] == role.outputs["name"]


def test_a_dev_environment_owning_the_baseline_keeps_the_audit_bucket_deletable() -> None:
    contact = {"name": "Security Team", "email": "security@example.com", "phone": "+1-206-555-0100", "title": "Security Lead"}
    capture = capture_for("dev", overrides={"vitality:security.accountBaseline": True, "vitality:security.securityContact": contact})
    bucket = capture.named("vitality-dev-security-audit")
    assert not bucket.protect and bucket.inputs["forceDestroy"] is True and "objectLockEnabled" not in bucket.inputs
    assert capture.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    config_bucket = capture.named("vitality-dev-security-config-history")
    assert not config_bucket.protect and config_bucket.inputs["forceDestroy"] is True
    assert home_one(capture, "aws:cfg/deliveryChannel:DeliveryChannel").inputs["s3BucketName"] == config_bucket.id
    assert capture.one("aws:cloudtrail/trail:Trail").inputs["name"] == "vitality-dev-trail"
    remediations = _remediations(capture)
    assert remediations and all(r["Automatic"] is False for r in remediations)
