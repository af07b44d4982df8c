"""The baseline in every region of `security.regions` (single account): Security Hub, Config and GuardDuty per region,
global-resource controls evaluated once, the finding aggregator and the findings route once, in the home region, and
the dev relaxations suppressed with their reason."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

from components.dev_relaxations import DEV_RELAXATIONS, DEV_RELAXED_RULES, dev_relaxed_controls
from components.security import GUARDDUTY_FEATURES
from components.security_hub import GLOBAL_CONTROLS, PRODUCTS
from offline import Capture
from policy import rules as R
from tests.conftest import capture_for

HOME, EDGE = "us-west-2", "us-east-1"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
PRODUCT = "aws:securityhub/productSubscription:ProductSubscription"
CONTROL = "aws:securityhub/standardsControlAssociation:StandardsControlAssociation"
AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
AUTOMATION = "aws:securityhub/automationRule:AutomationRule"
RECORDER = "aws:cfg/recorder:Recorder"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
STATUS = "aws:cfg/recorderStatus:RecorderStatus"
RETENTION = "aws:cfg/retentionConfiguration:RetentionConfiguration"
RULE = "aws:cfg/rule:Rule"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
EBS = "aws:ebs/encryptionByDefault:EncryptionByDefault"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
PER_REGION = (HUB, RECORDER, CHANNEL, STATUS, RETENTION, DETECTOR, EBS)


def region_of(resource: Any, home: str = HOME) -> str:
    """The region a resource lives in: its `region` input, else the provider's (the home region)."""
    region: Optional[str] = resource.inputs.get("region")
    return region or home


def in_region(capture: Capture, typ: str, region: str) -> list[Any]:
    return [r for r in capture.of_type(typ) if region_of(r) == region]


def test_default_regions_are_home_and_the_edge(prod: Capture) -> None:
    assert prod.outputs["securityRegions"] == [HOME, EDGE]


@pytest.mark.parametrize("typ", PER_REGION)
def test_one_per_region(prod: Capture, typ: str) -> None:
    for region in (HOME, EDGE):
        assert len(in_region(prod, typ, region)) == 1, (typ, region)
    assert len(prod.of_type(typ)) == 2


def test_home_region_resources_keep_their_names_and_the_provider_region(prod: Capture) -> None:
    # no replacement on upgrade: the home region's resources are the ones that existed before regions
    for typ, name in ((HUB, "hub"), (RECORDER, "recorder"), (DETECTOR, "guardduty"), (EBS, "ebs-encryption")):
        home = prod.named(f"vitality-prod-security-{name}", typ)
        assert "region" not in home.inputs or home.inputs["region"] is None
        assert prod.named(f"vitality-prod-security-{name}-{EDGE}", typ).inputs["region"] == EDGE


def test_security_hub_in_each_region_with_the_standards_and_products(prod: Capture) -> None:
    for region in (HOME, EDGE):
        (hub,) = in_region(prod, HUB, region)
        assert hub.inputs["enableDefaultStandards"] is False
        assert hub.inputs["controlFindingGenerator"] == "SECURITY_CONTROL"
        arns = sorted(s.inputs["standardsArn"] for s in in_region(prod, STANDARD, region))
        assert arns == [
            f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
            f"arn:aws:securityhub:{region}::standards/cis-aws-foundations-benchmark/v/3.0.0",
        ]
        products = sorted(p.inputs["productArn"] for p in in_region(prod, PRODUCT, region))
        assert products == sorted(f"arn:aws:securityhub:{region}::product/aws/{p}" for p in PRODUCTS)
        for child in in_region(prod, STANDARD, region) + in_region(prod, PRODUCT, region):
            assert hub.urn in child.dependencies and child.parent == hub.urn


def disabled(capture: Capture, region: str) -> dict[tuple[str, str], str]:
    """(standard suffix, control) -> reason of every disabled control in a region."""
    found = {}
    for association in in_region(capture, CONTROL, region):
        assert association.inputs["associationStatus"] == "DISABLED"
        standard = association.inputs["standardsArn"].split("standards/")[1]
        found[(standard, association.inputs["securityControlId"])] = association.inputs["updatedReason"]
    return found


def test_global_resource_controls_are_disabled_outside_the_recording_region(prod: Capture) -> None:
    fsbp, cis = "aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/3.0.0"
    home, edge = disabled(prod, HOME), disabled(prod, EDGE)
    assert not any(control in GLOBAL_CONTROLS for _, control in home)  # evaluated where IAM is recorded
    expected = {(fsbp if s == "fsbp" else cis, c) for c, standards in GLOBAL_CONTROLS.items() for s in standards
                if s in ("fsbp", "cis-3.0")}
    assert {k for k in edge if k[1] in GLOBAL_CONTROLS} == expected
    assert (fsbp, "IAM.1") in edge and (cis, "IAM.1") not in edge  # only where the standard contains the control
    assert "us-west-2" in edge[(fsbp, "IAM.1")]
    # single-region controls on global resources stay on: CloudFront is evaluated only in us-east-1
    assert not any(control.startswith(("CloudFront.", "WAF.", "Route53.")) for _, control in {**home, **edge})


def test_accepted_exceptions_apply_in_every_region(prod: Capture) -> None:
    for region in (HOME, EDGE):
        reason = disabled(prod, region)[("aws-foundational-security-best-practices/v/1.0.0", "EC2.10")]
        assert reason.startswith("No EC2 instances")


def test_global_types_recorded_only_in_the_home_region(prod: Capture) -> None:
    (home,) = in_region(prod, RECORDER, HOME)
    (edge,) = in_region(prod, RECORDER, EDGE)
    assert home.inputs["recordingGroup"]["includeGlobalResourceTypes"] is True
    assert edge.inputs["recordingGroup"]["includeGlobalResourceTypes"] is False
    assert edge.inputs["recordingGroup"]["allSupported"] is True
    assert edge.inputs["roleArn"] == home.inputs["roleArn"]  # the one service-linked role


def test_every_region_delivers_to_the_one_history_bucket(prod: Capture) -> None:
    channels = prod.of_type(CHANNEL)
    assert len({c.inputs["s3BucketName"] for c in channels}) == 1
    assert len({c.inputs["s3KmsKeyArn"] for c in channels}) == 1
    for region in (HOME, EDGE):
        (status,) = in_region(prod, STATUS, region)
        (channel,) = in_region(prod, CHANNEL, region)
        assert status.inputs["isEnabled"] is True and channel.urn in status.dependencies


def test_managed_rules_run_once_in_the_home_region(prod: Capture) -> None:
    assert prod.of_type(RULE) and all(region_of(r) == HOME for r in prod.of_type(RULE))


def test_guardduty_with_the_same_plans_in_every_region(prod: Capture) -> None:
    for region in (HOME, EDGE):
        (detector,) = in_region(prod, DETECTOR, region)
        features = [f for f in prod.of_type(FEATURE) if f.parent == detector.urn]
        assert sorted(f.inputs["name"] for f in features) == sorted(GUARDDUTY_FEATURES)
        assert all(region_of(f) == region and f.inputs["status"] == "ENABLED" for f in features)
    assert set(prod.outputs["guardDutyDetectorIds"]) == {HOME, EDGE}


def test_access_analyzers_external_per_region_unused_once(prod: Capture) -> None:
    by_type: dict[str, list[str]] = {}
    for analyzer in prod.of_type(ANALYZER):
        by_type.setdefault(analyzer.inputs["type"], []).append(region_of(analyzer))
    assert sorted(by_type["ACCOUNT"]) == sorted([HOME, EDGE])
    assert by_type["ACCOUNT_UNUSED_ACCESS"] == [HOME]  # IAM principals are global: one analyzer, billed once


def test_one_aggregator_in_the_home_region_links_the_others(prod: Capture) -> None:
    aggregator = prod.one(AGGREGATOR)
    assert region_of(aggregator) == HOME
    assert aggregator.inputs["linkingMode"] == "SPECIFIED_REGIONS"
    assert aggregator.inputs["specifiedRegions"] == [EDGE]
    for hub in prod.of_type(HUB):
        assert hub.urn in aggregator.dependencies


def test_findings_are_routed_once_from_the_home_region(prod: Capture) -> None:
    routes = [r for r in prod.of_type(EVENT_RULE) if "aws.securityhub" in r.inputs.get("eventPattern", "")]
    assert len(routes) == 1 and region_of(routes[0]) == HOME
    pattern = json.loads(routes[0].inputs["eventPattern"])
    assert pattern["detail"]["findings"]["Severity"]["Label"] == ["HIGH", "CRITICAL"]


def test_a_single_region_stack_has_no_aggregator() -> None:
    capture = capture_for("prod", overrides={"vitality:security.regions": [HOME]})
    assert capture.of_type(AGGREGATOR) == []
    assert len(capture.of_type(HUB)) == 1 and len(capture.of_type(RECORDER)) == 1
    assert not any(c.inputs["securityControlId"] in GLOBAL_CONTROLS for c in capture.of_type(CONTROL))


def test_a_third_region_is_covered_and_linked() -> None:
    capture = capture_for("prod", overrides={"vitality:security.regions": [EDGE, "eu-west-1"]})
    assert capture.outputs["securityRegions"] == [HOME, EDGE, "eu-west-1"]  # home first, always
    assert sorted(region_of(h) for h in capture.of_type(HUB)) == sorted([HOME, EDGE, "eu-west-1"])
    assert capture.one(AGGREGATOR).inputs["specifiedRegions"] == [EDGE, "eu-west-1"]


def test_global_types_follow_global_resource_region() -> None:
    capture = capture_for("prod", overrides={"vitality:security.globalResourceRegion": EDGE})
    recording = {region_of(r): r.inputs["recordingGroup"]["includeGlobalResourceTypes"] for r in capture.of_type(RECORDER)}
    assert recording == {HOME: False, EDGE: True}
    assert any(c.inputs["securityControlId"] == "IAM.1" for c in in_region(capture, CONTROL, HOME))
    assert not any(c.inputs["securityControlId"] == "IAM.1" for c in in_region(capture, CONTROL, EDGE))


# ------------------------------------------------------------------------------------------------ dev relaxations


def test_the_pack_relaxes_exactly_the_shared_list_in_dev() -> None:
    assert {r.name for r in R.RULES if r.prod_only} == DEV_RELAXED_RULES
    for relaxation in DEV_RELAXATIONS:
        rule = next(r for r in R.RULES if r.name == relaxation.rule)
        assert set(rule.controls) == set(relaxation.controls), rule.name
        assert rule.applies_to_environment("prod") and rule.applies_to_environment("security")
        assert not rule.applies_to_environment("dev")


def test_dev_findings_of_relaxed_controls_are_suppressed_with_the_reason(prod: Capture) -> None:
    relaxed = dev_relaxed_controls()
    assert set(relaxed) >= {"RDS.7", "RDS.15", "EC2.55", "EC2.56"}
    for region in (HOME, EDGE):
        rules = in_region(prod, AUTOMATION, region)
        controls = {}
        for rule in rules:
            criteria = rule.inputs["criteria"]
            (control,) = criteria["complianceSecurityControlIds"]
            assert control["comparison"] == "EQUALS"
            assert criteria["resourceTags"] == [{"comparison": "EQUALS", "key": "Environment", "value": "dev"}]
            assert criteria["complianceStatuses"] == [{"comparison": "EQUALS", "value": "FAILED"}]
            (action,) = rule.inputs["actions"]
            assert action["type"] == "FINDING_FIELDS_UPDATE"
            update = action["findingFieldsUpdate"]
            assert update["workflow"] == {"status": "SUPPRESSED"}
            assert relaxed[control["value"]] in update["note"]["text"]
            assert rule.inputs["ruleStatus"] == "ENABLED"
            controls[control["value"]] = rule
        assert set(controls) == set(relaxed), region


def test_dev_never_owns_suppressions_of_its_own(dev: Capture) -> None:
    assert dev.of_type(AUTOMATION) == []


# ------------------------------------------------------------------------------------------------ cost


def test_the_edge_copy_of_the_baseline_costs_its_share(prod: Capture) -> None:
    from offline.cost import estimate

    result = estimate(prod)
    share = result.usage["security_secondary_region_share"]
    assert 0 < share < 1
    lines = {line.resource.name: line for line in result.lines}
    for name in ("recorder", "hub", "guardduty"):
        home, edge = lines[f"vitality-prod-security-{name}"], lines[f"vitality-prod-security-{name}-{EDGE}"]
        assert home.used > 0 and edge.region == EDGE
        assert edge.used == pytest.approx(home.used * share), name


def test_the_organization_trail_bills_the_second_copy() -> None:
    from offline.cost import estimate

    security = capture_for("security")
    result = estimate(security)
    (line,) = [line for line in result.lines if line.resource.name == "vitality-security-security-org-trail"]
    (cost,) = line.costs
    assert cost.charge.price == "cloudtrail.management_events_copy_100k" and cost.unit_price == 2.00
    assert line.used == pytest.approx(result.usage["organization_management_events"] / 100_000 * 2.00)
