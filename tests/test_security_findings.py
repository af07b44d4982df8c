"""SecurityFindings: unified Security Hub, ticketing connector, webhook route, SOC 2 conformance pack, weekly report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import capture_for, config_error, policy, statements

from components.conformance_pack import CONTROL_CRITERIA, packed_rules
from components.security_config import managed_rules
from components.settings import SecuritySettings
from offline import Capture
from offline.stack_config import SECRET_PLACEHOLDER
from policy.rules import RULES

JIRA = {"vitality:securityFindings.connector": {"provider": "jira", "projectKey": "SEC"}}
WEBHOOK = {"vitality:securityFindings.webhook": {"url": "https://hooks.example.com/vitality", "headerName": "X-Api-Key",
                                                  "token": {"secure": "v1:abc"}}}
SERVICENOW = {"vitality:securityFindings.connector": {"provider": "servicenow", "instanceName": "acme", "clientId": "id-1",
                                                      "clientSecret": {"secure": "v1:def"}}}


def _of(capture: Capture, typ: str) -> list[Any]:
    return capture.of_type(typ)


def test_unified_hub_and_aggregator_beside_the_classic_cspm_only_in_the_baseline_stack(prod: Capture, dev: Capture) -> None:
    assert len(_of(prod, "aws:securityhub/accountV2:AccountV2")) == 1
    # CSPM keeps evaluating the controls, in every region of security.regions
    assert len(_of(prod, "aws:securityhub/account:Account")) == len(prod.outputs["securityRegions"])
    aggregator = prod.one("aws:securityhub/aggregatorV2:AggregatorV2")
    assert aggregator.inputs["regionLinkingMode"] == "SPECIFIED_REGIONS"
    assert aggregator.inputs["linkedRegions"] == prod.outputs["securityRegions"][1:]
    assert prod.one("aws:securityhub/accountV2:AccountV2").urn in aggregator.dependencies
    for typ in ("aws:securityhub/accountV2:AccountV2", "aws:cfg/conformancePack:ConformancePack",
                "aws:scheduler/schedule:Schedule"):
        assert _of(dev, typ) == [], typ  # account singletons: only the baseline owner builds them
    # the only function in dev is the database bootstrap (every stack has its own database); no report
    assert [f.name for f in _of(dev, "aws:lambda/function:Function")] == ["vitality-dev-db-bootstrap"]
    assert "securityHubV2Arn" in prod.outputs and "securityConnectorAuthUrl" not in prod.outputs


def test_jira_connector_opens_tickets_for_new_critical_and_high_findings() -> None:
    capture = capture_for("prod", overrides=JIRA)
    connector = capture.one("aws:securityhub/connectorV2:ConnectorV2")
    assert connector.inputs["connectorProvider"] == {"jiraCloud": {"projectKey": "SEC"}}
    assert connector.inputs["kmsKeyArn"] == capture.named("vitality-prod-kms-data", "aws:kms/key:Key").outputs["arn"]
    assert capture.one("aws:securityhub/aggregatorV2:AggregatorV2").urn in connector.dependencies
    rule = capture.one("aws:securityhub/automationRuleV2:AutomationRuleV2")
    assert rule.inputs["action"] == {"type": "EXTERNAL_INTEGRATION",
                                     "externalIntegrationConfiguration": {"connectorArn": connector.outputs["arn"]}}
    criteria = json.loads(rule.inputs["criteria"]["ocsfFindingCriteriaJson"])
    values = [[f["Filter"]["Value"] for f in c["StringFilters"]] for c in criteria["CompositeFilters"]]
    assert values == [["Critical", "High"], ["New"]] and criteria["CompositeOperator"] == "AND"
    url = capture.outputs["securityConnectorAuthUrl"]
    assert url.startswith("Open this URL once") and "https://auth.atlassian.com/authorize" in url


def test_servicenow_credentials_live_in_a_secret_under_the_data_key() -> None:
    capture = capture_for("prod", overrides=SERVICENOW)
    secret = capture.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == capture.named("vitality-prod-kms-data", "aws:kms/key:Key").outputs["arn"]
    provider = capture.one("aws:securityhub/connectorV2:ConnectorV2").inputs["connectorProvider"]["serviceNow"]
    assert provider == {"instanceName": "acme", "secretArn": secret.outputs["arn"]}
    assert "securityConnectorAuthUrl" not in capture.outputs


def test_webhook_route_shares_the_one_finding_filter_with_retries_and_an_alarmed_dead_letter_queue() -> None:
    capture = capture_for("prod", overrides=WEBHOOK)
    rules = _of(capture, "aws:cloudwatch/eventRule:EventRule")
    findings = [r for r in rules if "aws.securityhub" in r.inputs.get("eventPattern", "")]
    assert len(findings) == 1  # one filter, defined once
    targets = [t for t in _of(capture, "aws:cloudwatch/eventTarget:EventTarget") if t.inputs["rule"] == findings[0].outputs["name"]]
    destination = capture.one("aws:cloudwatch/eventApiDestination:EventApiDestination")
    assert {t.name for t in targets} == {"vitality-prod-security-hub-findings-to-critical",
                                          "vitality-prod-findings-findings-to-webhook"}  # e-mail route and webhook
    webhook = next(t for t in targets if t.inputs["arn"] == destination.outputs["arn"])
    queue = capture.one("aws:sqs/queue:Queue")
    assert webhook.inputs["deadLetterConfig"] == {"arn": queue.outputs["arn"]}
    assert webhook.inputs["retryPolicy"] == {"maximumRetryAttempts": 185, "maximumEventAgeInSeconds": 86400}
    assert destination.inputs["invocationEndpoint"] == "https://hooks.example.com/vitality"
    assert queue.inputs["kmsMasterKeyId"] == capture.named("vitality-prod-kms-messaging", "aws:kms/key:Key").outputs["arn"]
    send = statements(policy(capture.one("aws:sqs/queuePolicy:QueuePolicy")))[0]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": findings[0].outputs["arn"]}}
    alarm = capture.named("vitality-prod-findings-webhook-dlq-alarm")
    assert alarm.inputs["dimensions"] == {"QueueName": queue.outputs["name"]} and alarm.inputs["threshold"] == 0
    connection = capture.one("aws:cloudwatch/eventConnection:EventConnection")
    data_key = capture.named("vitality-prod-kms-data", "aws:kms/key:Key")
    assert connection.inputs["kmsKeyIdentifier"] == data_key.outputs["arn"]
    assert data_key.inputs["tags"]["EventBridgeApiDestinations"] == "true"
    invoker = capture.named("vitality-prod-findings-webhook-invoker-policy")
    assert statements(policy(invoker)) == [{"Sid": "InvokeWebhook", "Effect": "Allow", "Action": ["events:InvokeApiDestination"],
                                            "Resource": destination.outputs["arn"]}]


def _plain_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        if value.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270":
            return []  # a secret value: encrypted in the state, masked in the preview
        return [s for v in value.values() for s in _plain_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _plain_strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("overrides", [WEBHOOK, SERVICENOW], ids=["webhook", "servicenow"])
def test_no_credential_appears_in_any_resource_input_in_plain_text(overrides: dict[str, Any]) -> None:
    capture = capture_for("prod", overrides=overrides)
    leaks = [r.name for r in capture.resources if any(SECRET_PLACEHOLDER in s for s in _plain_strings(r.inputs))]
    assert leaks == []
    carriers = [r for r in capture.resources if SECRET_PLACEHOLDER in json.dumps(r.inputs, default=str)]
    assert carriers, "the credential reaches AWS (as a secret)"


def test_conformance_pack_holds_the_soc2_rules_with_their_remediation_and_no_rule_twice(prod: Capture) -> None:
    pack = prod.one("aws:cfg/conformancePack:ConformancePack")
    template = json.loads(pack.inputs["templateBody"])
    packed = {r["Properties"]["Source"]["SourceIdentifier"] for r in template["Resources"].values()
              if r["Type"] == "AWS::Config::ConfigRule"}
    standalone = {r.inputs["source"]["sourceIdentifier"] for r in prod.of_type("aws:cfg/rule:Rule")}
    assert packed and standalone and not packed & standalone
    assert packed | standalone == set(managed_rules(SecuritySettings(account_baseline=True)))
    remediations = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Config::RemediationConfiguration"]
    role = prod.named("vitality-prod-security-remediation-role", "aws:iam/role:Role").outputs["arn"]
    assert {r["TargetId"] for r in remediations} == {
        "AWSConfigRemediation-EnableCloudTrailLogFileValidation", "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
        "AWSConfigRemediation-RestrictBucketSSLRequestsOnly", "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules"}
    assert all(r["Parameters"]["AutomationAssumeRole"] == {"StaticValue": {"Values": [role]}} for r in remediations)
    assert all(r["Automatic"] is True for r in remediations)  # prod: security.remediation automatic
    assert prod.named("vitality-prod-security-recorder-status").urn in pack.dependencies
    assert "DeliveryS3Bucket" not in pack.inputs and pack.inputs["name"] == "vitality-prod-soc2"


def test_the_criteria_table_is_the_policy_packs_mapping() -> None:
    derived: dict[str, set[str]] = {}
    for rule in RULES:
        for control in rule.controls:
            derived.setdefault(control, set()).update(rule.tsc)
    rules = managed_rules(SecuritySettings(account_baseline=True))
    controls = {c for r in rules.values() for c in r.controls}
    assert {c: set(v) for c, v in CONTROL_CRITERIA.items()} == {c: derived[c] for c in controls if derived.get(c)}
    assert len(packed_rules(rules)) == len(rules) - 4  # root-account and key-deletion rules have no SOC 2 criterion


def test_weekly_report_function_schedule_role_logs_and_alarm(prod: Capture) -> None:
    function = prod.named("vitality-prod-findings-report", "aws:lambda/function:Function")
    env = function.inputs["environment"]["variables"]
    assert env["REPORT_BUCKET"] == prod.outputs["auditBucketName"] and env["CONFORMANCE_PACK"] == "vitality-prod-soc2"
    assert env["SUMMARY_TOPIC_ARN"] == prod.outputs["warningTopicArn"]
    logs = prod.named("vitality-prod-findings-report-logs")
    assert function.inputs["loggingConfig"]["logGroup"] == logs.outputs["name"] == "/aws/lambda/vitality-prod-compliance-report"
    assert logs.inputs["retentionInDays"] == 365 and logs.inputs["kmsKeyId"] == prod.outputs["kmsKeyArns"]["logs"]
    schedule = prod.one("aws:scheduler/schedule:Schedule")
    assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule.inputs["scheduleExpression"] == "cron(0 6 ? * MON *)"
    assert schedule.inputs["kmsKeyArn"] == prod.outputs["kmsKeyArns"]["data"]
    assert schedule.inputs["target"]["arn"] == function.outputs["arn"]
    granted = {a: s["Resource"] for s in statements(policy(prod.named("vitality-prod-findings-report-role-policy")))
               for a in s["Action"]}
    assert granted["s3:PutObject"].endswith("/compliance-reports/*") and granted["sns:Publish"] == prod.outputs["warningTopicArn"]
    assert not any(a.endswith(":*") or a == "*" for a in granted)
    alarm = prod.named("vitality-prod-findings-report-errors")
    assert alarm.inputs["metricName"] == "Errors" and alarm.inputs["dimensions"] == {"FunctionName": function.outputs["name"]}


BAD_VALUES = [
    ("connector", {"provider": "github"}, "connector.provider"),
    ("connector", {"provider": "jira", "projectKey": "sec"}, "connector.projectKey"),
    ("connector", {"provider": "jira", "projectKey": "SEC", "instanceName": "acme"}, "connector.instanceName"),
    ("connector", {"provider": "servicenow", "instanceName": "Acme!", "clientId": "x", "clientSecret": {"secure": "v"}},
     "connector.instanceName"),
    ("connector", {"provider": "servicenow", "instanceName": "acme", "clientId": "x", "clientSecret": "plain"},
     "connector.clientSecret"),
    ("connector", {"provider": "jira", "projectKey": "SEC", "projectkey": "SEC"}, "connector.projectkey"),
    ("webhook", {"url": "http://hooks.example.com", "token": {"secure": "v"}}, "webhook.url"),
    ("webhook", {"url": "https://hooks.example.com/x?token=1", "token": {"secure": "v"}}, "webhook.url"),
    ("webhook", {"url": "https://hooks.example.com/x", "token": "in-clear-text"}, "webhook.token"),
    ("webhook", {"url": "https://hooks.example.com/x", "headerName": "bad header", "token": {"secure": "v"}}, "webhook.headerName"),
    ("reportSchedule", "every monday", "reportSchedule"),
    ("reportSchedule", "rate(5 minutes)", "reportSchedule"),
    ("reportTimezone", "Mars/Olympus", "reportTimezone"),
]


def test_good_schedules_are_accepted() -> None:
    capture = capture_for("prod", overrides={"vitality:securityFindings.reportSchedule": "rate(7 days)",
                                             "vitality:securityFindings.reportTimezone": "Europe/Berlin"})
    schedule = capture.one("aws:scheduler/schedule:Schedule")
    assert (schedule.inputs["scheduleExpression"], schedule.inputs["scheduleExpressionTimezone"]) == ("rate(7 days)", "Europe/Berlin")


@pytest.mark.parametrize(("key", "value", "reported"), BAD_VALUES, ids=[f"{k}-{r}-{i}" for i, (k, _, r) in enumerate(BAD_VALUES)])
def test_bad_values_are_rejected_with_the_fix(key: str, value: Any, reported: str) -> None:
    error = config_error("prod", {f"vitality:securityFindings.{key}": value})
    assert error.keys == [f"vitality:securityFindings.{reported}"]
    assert "in-clear-text" not in str(error) and "plain" not in str(error).split("allowed")[0]
    assert f"--path securityFindings.{reported}" in str(error)


def test_preview_with_every_route_configured_leaves_computed_values_unknown() -> None:
    capture = capture_for("prod", preview=True, overrides={**JIRA, **WEBHOOK})
    connector = capture.one("aws:securityhub/connectorV2:ConnectorV2")
    assert connector.inputs["name"] == "vitality-prod-jira"
    rule = capture.one("aws:securityhub/automationRuleV2:AutomationRuleV2")
    assert rule.inputs["action"]["type"] == "EXTERNAL_INTEGRATION"
    assert len(capture.of_type("aws:cloudwatch/eventApiDestination:EventApiDestination")) == 1
    assert len(capture.of_type("aws:sqs/queue:Queue")) == 1


def test_report_roles_trust_only_their_service_in_this_account(prod: Capture) -> None:
    lambda_trust = statements(policy(prod.named("vitality-prod-findings-report-role", "aws:iam/role:Role"), "assumeRolePolicy"))[0]
    assert lambda_trust["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    assert lambda_trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    scheduler = statements(policy(prod.named("vitality-prod-findings-report-scheduler", "aws:iam/role:Role"), "assumeRolePolicy"))[0]
    assert scheduler["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:scheduler:us-west-2:111122223333:schedule-group/default"}
    schedule = prod.one("aws:scheduler/schedule:Schedule")
    assert schedule.inputs.get("groupName", "default") == "default"


def test_the_function_ships_exactly_its_handler(prod: Capture) -> None:
    code = prod.named("vitality-prod-findings-report", "aws:lambda/function:Function").inputs["code"]
    assert set(code.assets) == {"handler.py"}  # a pulumi.AssetArchive
    assert code.assets["handler.py"].path.endswith("functions/compliance_report/handler.py")
    assert prod.named("vitality-prod-findings-report", "aws:lambda/function:Function").inputs["handler"] == "handler.handler"


def test_ticket_criteria_validate_against_the_security_hub_api_model() -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    rule = capture_for("prod", overrides=JIRA).one("aws:securityhub/automationRuleV2:AutomationRuleV2")
    criteria = json.loads(rule.inputs["criteria"]["ocsfFindingCriteriaJson"])
    shape = botocore.session.get_session().get_service_model("securityhub").shape_for("OcsfFindingFilters")
    report = ParamValidator().validate(criteria, shape)
    assert not report.has_errors(), report.generate_report()
    fields = shape.members["CompositeFilters"].member.members["StringFilters"].member.members["FieldName"].enum
    assert {"severity", "status"} <= set(fields)


def test_a_home_region_only_baseline_has_no_aggregator_and_refuses_a_connector() -> None:
    home_only = {"vitality:security.regions": ["us-west-2"]}
    capture = capture_for("prod", overrides=home_only)
    # SPECIFIED_REGIONS without a linked region is rejected by Security Hub, so no aggregator at all
    assert _of(capture, "aws:securityhub/aggregatorV2:AggregatorV2") == []
    assert len(_of(capture, "aws:securityhub/accountV2:AccountV2")) == 1
    error = config_error("prod", {**home_only, **JIRA})
    assert error.keys == ["vitality:securityFindings.connector"]
    assert "links at least one more region" in str(error)
    assert "pulumi config rm --path securityFindings.connector --stack prod" in str(error)


def test_every_aggregator_links_at_least_one_region(any_capture: Capture) -> None:
    for aggregator in _of(any_capture, "aws:securityhub/aggregatorV2:AggregatorV2"):
        assert aggregator.inputs["linkedRegions"], aggregator.name
