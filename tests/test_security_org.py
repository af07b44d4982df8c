"""Organization mode: the security-tooling stack (administrator) and dev/prod as member accounts, per region: what
each topology must create and what it must leave to the other accounts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.dev_relaxations import dev_relaxed_controls
from components.security import GUARDDUTY_FEATURES
from offline import Capture
from policy.evaluate import evaluate
from tests.conftest import capture_for, policy, statements
from tests.test_security_regions import EDGE, HOME, in_region, region_of

ADMIN_ID, MANAGEMENT_ID, ORG_ID = "111122223333", "999988887777", "o-a1b2c3d4e5"  # Pulumi.security.yaml
ROLE_ARN = f"arn:aws:iam::{MANAGEMENT_ID}:role/vitality-security-delegation"
CENTRAL = "aws:securityhub/organizationConfiguration:OrganizationConfiguration"
POLICY = "aws:securityhub/configurationPolicy:ConfigurationPolicy"
ASSOCIATION = "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation"
AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
AUTOMATION = "aws:securityhub/automationRule:AutomationRule"
GD_ORG = "aws:guardduty/organizationConfiguration:OrganizationConfiguration"
GD_ORG_FEATURE = "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature"
DETECTOR = "aws:guardduty/detector:Detector"
CONFIG_AGGREGATOR = "aws:cfg/configurationAggregator:ConfigurationAggregator"
RECORDER = "aws:cfg/recorder:Recorder"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
TRAIL = "aws:cloudtrail/trail:Trail"
PROVIDER = "pulumi:providers:aws"
HUB_ADMIN = "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount"
GD_ADMIN = "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount"
DELEGATED = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
TRUSTED = "aws:organizations/awsServiceAccess:AwsServiceAccess"
CT_ADMIN = "aws:cloudtrail/organizationDelegatedAdminAccount:OrganizationDelegatedAdminAccount"
REGISTRATIONS = (HUB_ADMIN, GD_ADMIN, DELEGATED, TRUSTED, CT_ADMIN)
ORGANIZATION_LEVEL = (AGGREGATOR, CENTRAL, POLICY, ASSOCIATION, GD_ORG, GD_ORG_FEATURE, CONFIG_AGGREGATOR)
WORKLOAD_COMPONENTS = ("Network", "Database", "Api", "Registry", "Frontend", "Observability")
CONTACT = {"name": "Vitality Security", "email": "security@vitality.example", "phone": "+1-206-555-0100", "title": "Security Lead"}


def member(stack: str) -> Capture:
    return capture_for(stack, overrides={
        "vitality:security.organization.mode": "member",
        "vitality:security.accountBaseline": True,
        "vitality:security.securityContact": CONTACT,
        "vitality:ci.githubRepository": "vitality-example/vitality-platform",
        # moved to the security stack: central configuration decides them (prod's file lists an exception)
        "vitality:security.controlExceptions": [],
    })


@pytest.fixture(scope="module")
def security() -> Capture:
    return capture_for("security")


def org_analyzers(capture: Capture) -> list[Any]:
    return [a for a in capture.of_type(ANALYZER) if a.inputs["type"] == "ORGANIZATION"]


# ------------------------------------------------------------------------------------------------ administrator


def test_security_stack_builds_only_the_security_pieces(security: Capture) -> None:
    for component in WORKLOAD_COMPONENTS:
        assert security.of_type(f"vitality:platform:{component}") == [], component
    assert security.of_type("aws:ec2/vpc:Vpc") == [] and security.of_type("aws:rds/cluster:Cluster") == []
    keys = {k.inputs["description"].split(": ")[0] for k in security.of_type("aws:kms/key:Key")}
    # no edge twins; the data key encrypts the findings pipeline (queues, connector secret, report schedule)
    assert keys == {"vitality-security data", "vitality-security logs", "vitality-security audit", "vitality-security messaging"}
    assert all(region_of(t) == HOME for t in security.of_type("aws:sns/topic:Topic"))  # no edge twins
    assert security.outputs["organizationMode"] == "administrator"
    assert "vpcId" not in security.outputs and "kmsKeyArns" in security.outputs


def test_central_configuration_needs_the_aggregator(security: Capture) -> None:
    aggregator = security.one(AGGREGATOR)
    assert region_of(aggregator) == HOME
    assert aggregator.inputs["linkingMode"] == "SPECIFIED_REGIONS" and aggregator.inputs["specifiedRegions"] == [EDGE]
    central = security.one(CENTRAL)
    assert central.inputs["organizationConfiguration"] == {"configurationType": "CENTRAL"}
    assert central.inputs["autoEnable"] is False and central.inputs["autoEnableStandards"] == "NONE"
    assert aggregator.urn in central.dependencies
    # the delegated administrator is designated before either exists
    assert {a.urn for a in security.of_type(HUB_ADMIN)} <= set(aggregator.dependencies)


def controls_of(configuration_policy: Any) -> dict[str, Any]:
    return configuration_policy.inputs["configurationPolicy"]["securityControlsConfiguration"]


def test_default_policy_holds_standards_exceptions_and_parameters(security: Capture) -> None:
    default = security.named("vitality-security-security-hub-policy-default", POLICY)
    body = default.inputs["configurationPolicy"]
    assert body["serviceEnabled"] is True
    assert sorted(body["enabledStandardArns"]) == [
        f"arn:aws:securityhub:{HOME}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{HOME}::standards/cis-aws-foundations-benchmark/v/3.0.0",
    ]
    assert controls_of(default)["disabledControlIdentifiers"] == ["EC2.10"]
    (iam7,) = controls_of(default)["securityControlCustomParameters"]
    assert iam7["securityControlId"] == "IAM.7"
    values = {p["name"]: p.get("int", p.get("bool")) for p in iam7["parameters"]}
    assert values["MinimumPasswordLength"] == {"value": 14} and values["PasswordReusePrevention"] == {"value": 24}
    assert values["MaxPasswordAge"] == {"value": 90} and values["RequireSymbols"] == {"value": True}
    assert all(p["valueType"] == "CUSTOM" for p in iam7["parameters"])
    assert security.one(CENTRAL).urn in default.dependencies


def test_policies_are_associated_with_the_configured_targets(security: Capture) -> None:
    by_policy: dict[str, list[str]] = {}
    for association in security.of_type(ASSOCIATION):
        owner = security.by_urn(association.parent or "")
        assert association.inputs["policyId"] == owner.id or association.inputs["policyId"]
        by_policy.setdefault(owner.name.rsplit("-", 1)[-1], []).append(association.inputs["targetId"])
    assert by_policy == {"default": ["r-a1b2"], "dev": ["444455556666"]}


def test_dev_accounts_get_their_own_policy_with_the_dev_relaxations(security: Capture) -> None:
    dev = security.named("vitality-security-security-hub-policy-dev", POLICY)
    assert set(controls_of(dev)["disabledControlIdentifiers"]) == {"EC2.10", *dev_relaxed_controls()}


def test_no_account_level_security_hub_in_the_administrator(security: Capture) -> None:
    # central configuration enables Security Hub and the standards in every account, this one included
    for typ in (HUB, STANDARD, AUTOMATION):
        assert security.of_type(typ) == [], typ


def test_guardduty_auto_enables_every_member_with_the_same_plans_per_region(security: Capture) -> None:
    for region in (HOME, EDGE):
        (detector,) = in_region(security, DETECTOR, region)
        (configuration,) = in_region(security, GD_ORG, region)
        assert configuration.inputs["autoEnableOrganizationMembers"] == "ALL"
        assert configuration.inputs["detectorId"] == detector.id or configuration.parent == detector.urn
        features = [f for f in security.of_type(GD_ORG_FEATURE) if f.parent == configuration.urn]
        assert sorted(f.inputs["name"] for f in features) == sorted(GUARDDUTY_FEATURES)
        for feature in features:
            assert feature.inputs["autoEnable"] == "ALL" and region_of(feature) == region
            agents = [a["name"] for a in feature.inputs.get("additionalConfigurations") or []]
            assert agents == list(GUARDDUTY_FEATURES[feature.inputs["name"]])
            assert all(a["autoEnable"] == "ALL" for a in feature.inputs.get("additionalConfigurations") or [])
        (admin,) = in_region(security, GD_ADMIN, region)
        assert detector.urn in admin.dependencies  # the designation adopts this detector
        assert admin.urn in configuration.dependencies


def test_config_organization_aggregator_with_its_role(security: Capture) -> None:
    aggregator = security.one(CONFIG_AGGREGATOR)
    source = aggregator.inputs["organizationAggregationSource"]
    assert source["regions"] == [HOME, EDGE] and "allRegions" not in source
    role = security.resolve(source["roleArn"]) or security.named("vitality-security-security-config-aggregator-role")
    (trust,) = statements(policy(role, "assumeRolePolicy"))
    assert trust["Principal"] == {"Service": ["config.amazonaws.com"]}
    attached = [a.inputs["policyArn"] for a in security.children(role.urn) if a.type.endswith("RolePolicyAttachment")]
    assert attached == ["arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"]


def test_organization_analyzer_in_every_region(security: Capture) -> None:
    assert sorted(region_of(a) for a in org_analyzers(security)) == sorted([HOME, EDGE])


def test_management_steps_go_through_the_assumed_role(security: Capture) -> None:
    (management,) = [p for p in security.of_type(PROVIDER) if p.inputs.get("assumeRoles")]
    roles = management.inputs["assumeRoles"]
    roles = json.loads(roles) if isinstance(roles, str) else roles  # provider inputs reach the engine as JSON
    assert [r["roleArn"] for r in roles] == [ROLE_ARN]
    for typ in REGISTRATIONS:
        found = security.of_type(typ)
        assert found, typ
        for resource in found:
            assert resource.provider.startswith(management.urn), resource.name
            assert resource.protect, resource.name
    assert {d.inputs["servicePrincipal"] for d in security.of_type(DELEGATED)} == {
        "config.amazonaws.com", "access-analyzer.amazonaws.com"}
    assert {t.inputs["servicePrincipal"] for t in security.of_type(TRUSTED)} == {
        "config.amazonaws.com", "access-analyzer.amazonaws.com", "cloudtrail.amazonaws.com"}
    assert all(d.inputs.get("accountId", d.inputs.get("adminAccountId")) == ADMIN_ID
               for typ in (HUB_ADMIN, GD_ADMIN, DELEGATED, CT_ADMIN) for d in security.of_type(typ))
    for typ in (GD_ADMIN, HUB_ADMIN):  # designated per region
        assert sorted(region_of(a) for a in security.of_type(typ)) == sorted([HOME, EDGE])
    assert "managementChecklist" not in security.outputs


def test_organization_trail_into_an_object_lock_archive(security: Capture) -> None:
    (trail,) = [t for t in security.of_type(TRAIL) if t.inputs.get("isOrganizationTrail")]
    assert trail.inputs["name"] == "vitality-security-org-trail"
    assert trail.inputs["isMultiRegionTrail"] is True and trail.inputs["enableLogFileValidation"] is True
    bucket = security.named("vitality-security-security-org-archive", "aws:s3/bucket:Bucket")
    assert bucket.inputs["objectLockEnabled"] is True and bucket.protect
    document = policy(security.named("vitality-security-security-org-archive-policy"))
    trail_arn = f"arn:aws:cloudtrail:{HOME}:{MANAGEMENT_ID}:trail/vitality-security-org-trail"
    write = next(s for s in statements(document) if s.get("Sid") == "OrganizationTrailWrite")
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert sorted(r.split("/cloudtrail/AWSLogs/")[1] for r in write["Resource"]) == [f"{MANAGEMENT_ID}/*", f"{ORG_ID}/*"]
    key = security.named("vitality-security-security-org-archive-key", "aws:kms/key:Key")
    encrypt = next(s for s in statements(policy(key)) if s.get("Sid") == "OrganizationTrailEncrypt")
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
    assert security.outputs["organizationTrailArn"]


def test_the_administrator_routes_aggregated_findings_once(security: Capture) -> None:
    routes = [r for r in security.of_type("aws:cloudwatch/eventRule:EventRule") if "aws.securityhub" in r.inputs.get("eventPattern", "")]
    assert len(routes) == 1 and region_of(routes[0]) == HOME
    # the findings pipeline (unified Security Hub, report) lives at the aggregation point, over the linked regions
    assert security.one("aws:securityhub/aggregatorV2:AggregatorV2").inputs["linkedRegions"] == [EDGE]


def test_without_the_management_role_a_checklist_and_nothing_that_needs_it() -> None:
    capture = capture_for("security", overrides={"vitality:security.organization.managementRoleArn": ""})
    for typ in (*REGISTRATIONS, *ORGANIZATION_LEVEL):
        assert capture.of_type(typ) == [], typ
    assert org_analyzers(capture) == [] and not any(t.inputs.get("isOrganizationTrail") for t in capture.of_type(TRAIL))
    assert len(capture.of_type(DETECTOR)) == 2  # created first: the designation adopts them
    steps = capture.outputs["managementChecklist"]
    for region in (HOME, EDGE):
        assert f"aws securityhub enable-organization-admin-account --admin-account-id {ADMIN_ID} --region {region}" in steps
        assert f"aws guardduty enable-organization-admin-account --admin-account-id {ADMIN_ID} --region {region}" in steps
    assert f"aws organizations register-delegated-administrator --service-principal config.amazonaws.com --account-id {ADMIN_ID}" in steps
    assert f"aws cloudtrail register-organization-delegated-admin --member-account-id {ADMIN_ID}" in steps
    assert steps[-1] == "pulumi config set --path security.organization.registered true --stack security"


def test_after_the_checklist_the_organization_pieces_without_a_second_provider() -> None:
    capture = capture_for("security", overrides={"vitality:security.organization.managementRoleArn": "",
                                                 "vitality:security.organization.registered": True})
    for typ in REGISTRATIONS:
        assert capture.of_type(typ) == [], typ
    for typ in ORGANIZATION_LEVEL:
        assert capture.of_type(typ), typ
    assert not [p for p in capture.of_type(PROVIDER) if p.inputs.get("assumeRoles")]


# ------------------------------------------------------------------------------------------------ members


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_members_leave_security_hub_and_guardduty_to_the_administrator(stack: str) -> None:
    capture = member(stack)
    for typ in (HUB, STANDARD, AGGREGATOR, AUTOMATION, DETECTOR, CENTRAL, POLICY, GD_ORG, CONFIG_AGGREGATOR,
                "aws:securityhub/accountV2:AccountV2", "aws:securityhub/aggregatorV2:AggregatorV2"):
        assert capture.of_type(typ) == [], (stack, typ)
    # the account's own SOC 2 pack stays: its remediations assume this account's role
    assert len(capture.of_type("aws:cfg/conformancePack:ConformancePack")) == 1
    assert org_analyzers(capture) == []
    assert not [r for r in capture.of_type("aws:cloudwatch/eventRule:EventRule") if "aws.securityhub" in r.inputs.get("eventPattern", "")]
    assert "securityHubStandards" not in capture.outputs and "guardDutyDetectorIds" not in capture.outputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_members_keep_what_is_per_account(stack: str) -> None:
    capture = member(stack)
    for region in (HOME, EDGE):
        assert len(in_region(capture, RECORDER, region)) == 1
        assert len(in_region(capture, "aws:ebs/encryptionByDefault:EncryptionByDefault", region)) == 1
        assert [a.inputs["type"] for a in in_region(capture, ANALYZER, region) if a.inputs["type"] == "ACCOUNT"] == ["ACCOUNT"]
    for typ in ("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", "aws:account/alternativeContact:AlternativeContact",
                "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"):
        assert len(capture.of_type(typ)) == 1, typ
    (trail,) = capture.of_type(TRAIL)
    assert not trail.inputs.get("isOrganizationTrail")
    # each account has its own GitHub OIDC provider and CI roles
    assert len(capture.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")) == 1
    assert capture.outputs["ciDeployRoleArn"]


def test_single_account_dev_shares_prods_baseline(dev: Capture) -> None:
    assert dev.outputs["organizationMode"] == "none"
    assert dev.of_type(RECORDER) == [] and dev.of_type(HUB) == []


# ------------------------------------------------------------------------------------------------ policy pack


def mandatory(capture: Capture) -> list[str]:
    return [f"{v.rule.name} {v.resource}: {v.message}" for v in evaluate(capture).mandatory]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_members_pass_the_policy_pack(stack: str) -> None:
    assert mandatory(member(stack)) == []


def test_the_security_stack_passes_the_policy_pack_in_both_delegation_paths(security: Capture) -> None:
    assert mandatory(security) == []
    # before the checklist has run, the first pass (detectors, keys, the account's baseline) must be deployable
    before = capture_for("security", overrides={"vitality:security.organization.managementRoleArn": ""})
    assert mandatory(before) == []
    assert before.one("aws:cloudtrail/trail:Trail").tags["DelegatedAdministrator"] == "pending"


def test_a_single_account_stack_still_needs_its_own_security_hub() -> None:
    capture = capture_for("prod", overrides={"vitality:security.standards": ["fsbp", "nist-800-53-r5"]})  # no CIS
    assert any("account-baseline-complete" in m and "Security Hub" in m for m in mandatory(capture))
