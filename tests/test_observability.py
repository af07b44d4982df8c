"""Observability: the catalog drives exactly one alarm per entry (and target), the composites and the dashboard;
RUM, tracing, queries, budget and canaries, for both stacks and in preview."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

import pytest

from components.alarm_catalog import (
    ALARM_IDS,
    CATALOG,
    DOCS,
    SERVICES,
    AlarmSpec,
    applies,
    render_docs,
)
from components.observability import nat_gateway_keys
from components.settings import load_settings
from offline import UNKNOWN, Capture, Resource
from tests.conftest import capture_for, config_error, policy, statements

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
EDGE = "us-east-1"

def obs(stack: str, preview: bool = False, overrides: Optional[Mapping[str, Any]] = None) -> Capture:
    return capture_for(stack, preview=preview, overrides=overrides)


def _only(capture: Capture, typ: str, **match: Any) -> Resource:
    found = [r for r in capture.of_type(typ) if all(r.inputs.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (typ, match, [r.name for r in found])
    return found[0]


def watched(capture: Capture) -> dict[str, Any]:
    """The identifiers of the resources Observability must watch, read from the resources themselves."""
    cluster = capture.one("aws:rds/cluster:Cluster")
    acl = _only(capture, "aws:wafv2/webAcl:WebAcl", scope="CLOUDFRONT")
    waf_logs = [g for g in capture.of_type("aws:cloudwatch/logGroup:LogGroup")
                if str(g.outputs.get("name", "")).startswith("aws-waf-logs-") and g.inputs.get("region") == EDGE]
    assert len(waf_logs) == 1
    out: dict[str, Any] = {
        "cluster": cluster.outputs["clusterIdentifier"],
        "distribution": capture.one("aws:cloudfront/distribution:Distribution").id,
        "waf_metric": acl.inputs["visibilityConfig"]["metricName"],
        "waf_log_group": waf_logs[0].outputs["name"],
        "site_domain": capture.outputs["frontendUrl"].removeprefix("https://"),
    }
    runner = capture.of_type("aws:apprunner/service:Service")
    if runner:
        out["apprunner_name"] = runner[0].outputs["serviceName"]
        out["apprunner_id"] = runner[0].outputs["serviceId"]
        out["trace_service"] = out["apprunner_name"]
        out["api_log_group"] = f"/aws/apprunner/{out['apprunner_name']}/{out['apprunner_id']}/application"
    else:
        # the name the ADOT sidecar's traces carry (the task's OTEL_SERVICE_NAME), and the task log group
        task = json.loads(capture.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])
        env = {e["name"]: e["value"] for e in task[0]["environment"]}
        out["trace_service"] = env["OTEL_SERVICE_NAME"]
        out["api_log_group"] = task[0]["logConfiguration"]["options"]["awslogs-group"]
        out["ecs_cluster"] = capture.one("aws:ecs/cluster:Cluster").outputs["name"]
        out["ecs_service"] = capture.one("aws:ecs/service:Service").outputs["name"]
        out["load_balancer"] = capture.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
        out["target_group"] = capture.one("aws:lb/targetGroup:TargetGroup").outputs["arnSuffix"]
    return out


def settings_of(capture: Capture):
    return load_settings(capture.config.as_engine_config(), capture.stack)


def prefix(capture: Capture) -> str:
    return f"vitality-{capture.stack}-obs"


def expected_alarms(capture: Capture) -> dict[str, tuple[AlarmSpec, str]]:
    """logical name -> (entry, NAT key or "") for every alarm the stack must have."""
    s = settings_of(capture)
    out: dict[str, tuple[AlarmSpec, str]] = {}
    for spec in CATALOG:
        if not applies(spec, s.api.platform, s.database.readers):
            continue
        keys = nat_gateway_keys(s.network) if spec.per_nat_gateway else ("",)
        for key in keys:
            out[f"{prefix(capture)}-{spec.id}" + (f"-{key}" if key else "")] = (spec, key)
    return out


def owned(capture: Capture, typ: str) -> list:
    """Resources of a type that the Observability component created (Security adds the CIS alarms)."""
    return [r for r in capture.of_type(typ) if capture.component_of(r).type == "vitality:platform:Observability"]


def topic(capture: Capture, severity: str, edge: bool) -> str:
    name = f"vitality-{capture.stack}-alerts-{'edge-' if edge else ''}{severity}"
    return capture.named(name, "aws:sns/topic:Topic").outputs["arn"]


@pytest.fixture(params=["dev", "prod", "prod-apprunner"])
def stack_capture(request: pytest.FixtureRequest) -> Capture:
    if request.param == "prod-apprunner":
        return obs("prod", overrides={"vitality:api.platform": "apprunner"})
    return obs(request.param)


# --------------------------------------------------------------------------------------------------
# Catalog -> alarms
# --------------------------------------------------------------------------------------------------


def test_catalog_ids_are_unique_and_every_service_can_page() -> None:
    assert len(set(ALARM_IDS)) == len(ALARM_IDS)
    for service in SERVICES:
        for platform in ("ecs", "apprunner"):
            members = [s for s in CATALOG if s.service == service.key and applies(s, platform, 0)]
            assert any(s.severity == "critical" for s in members), (service.key, platform)
    for spec in CATALOG:
        assert spec.severity in ("critical", "warning")
        assert 1 <= spec.datapoints <= spec.evaluation_periods
        assert spec.missing in ("notBreaching", "breaching", "ignore", "missing")


def test_each_entry_yields_exactly_one_alarm_with_actions(stack_capture: Capture) -> None:
    expected = expected_alarms(stack_capture)
    alarms = {r.name: r for r in owned(stack_capture, ALARM)}
    assert set(alarms) == set(expected)
    for name, (spec, _) in expected.items():
        inputs = alarms[name].inputs
        edge = spec.service in ("cdn", "waf")
        want = topic(stack_capture, spec.severity, edge)
        assert inputs["actionsEnabled"] is True
        assert inputs["alarmActions"] == [want], name
        assert inputs["okActions"] == [want], name
        assert alarms[name].tags["Severity"] == spec.severity
        assert inputs["treatMissingData"] == spec.missing
        assert inputs["evaluationPeriods"] == spec.evaluation_periods
        assert inputs["datapointsToAlarm"] == spec.datapoints
        assert inputs["comparisonOperator"] == spec.comparison


def test_alarm_metric_namespace_statistic_and_threshold(stack_capture: Capture) -> None:
    s = settings_of(stack_capture)
    alarms = {r.name: r for r in owned(stack_capture, ALARM)}
    for name, (spec, _) in expected_alarms(stack_capture).items():
        inputs = alarms[name].inputs
        scale = {"max_capacity": s.database.max_capacity, "max_instances": s.api.max_instances, None: 1}[spec.scale]
        assert inputs["threshold"] == spec.threshold.for_environment(s.environment) * scale, name
        if spec.expression:
            queries = {q["id"]: q for q in inputs["metricQueries"]}
            assert queries["result"]["expression"] == spec.expression and queries["result"]["returnData"] is True
            for m in spec.inputs:
                metric = queries[m.id]["metric"]
                assert (metric["namespace"], metric["metricName"], metric["stat"]) == (spec.namespace, m.metric, m.statistic)
                assert queries[m.id].get("returnData") is False
            assert "metricName" not in inputs and "namespace" not in inputs
        else:
            assert (inputs["namespace"], inputs["metricName"]) == (spec.namespace, spec.metric), name
            stat = inputs.get("extendedStatistic") if spec.statistic.startswith("p") else inputs.get("statistic")
            assert stat == spec.statistic, name
            assert inputs["period"] == spec.period


def _dimensions(alarm: Resource) -> dict[str, str]:
    if "dimensions" in alarm.inputs:
        return alarm.inputs["dimensions"]
    metric = next(q["metric"] for q in alarm.inputs["metricQueries"] if "metric" in q)
    return metric["dimensions"]


def test_dimensions_reference_the_watched_resources(stack_capture: Capture) -> None:
    s = settings_of(stack_capture)
    alarms = {r.name: r for r in owned(stack_capture, ALARM)}
    by_name = {r.name: r for r in stack_capture.of_type("aws:ec2/natGateway:NatGateway")}
    nats = {key: by_name[f"vitality-{stack_capture.stack}-net-nat-{key}"] for key in nat_gateway_keys(s.network)}
    monitor = stack_capture.one("aws:rum/appMonitor:AppMonitor")
    apprunner = s.api.platform == "apprunner"
    ids = watched(stack_capture)
    api_dimensions = {
        "service": {"ServiceName": ids["apprunner_name"], "ServiceID": ids["apprunner_id"]}
        if apprunner
        else {"ClusterName": ids["ecs_cluster"], "ServiceName": ids["ecs_service"]},
    }
    if not apprunner:
        api_dimensions["load_balancer"] = {"LoadBalancer": ids["load_balancer"]}
        api_dimensions["target_group"] = {"LoadBalancer": ids["load_balancer"], "TargetGroup": ids["target_group"]}
    expected_by_service = {
        "aurora": {"DBClusterIdentifier": ids["cluster"]},
        "cdn": {"DistributionId": ids["distribution"], "Region": "Global"},
        "waf": {"WebACL": ids["waf_metric"], "Rule": "ALL"},
        "rum": {"application_name": monitor.outputs["name"]},
    }
    for name, (spec, key) in expected_alarms(stack_capture).items():
        dims = _dimensions(alarms[name])
        if spec.service == "nat":
            assert dims == {"NatGatewayId": nats[key].id}
            assert stack_capture.resolve(dims["NatGatewayId"]) is nats[key]
        elif spec.service == "api":
            assert dims == api_dimensions[spec.dimensions], name
        else:
            assert dims == expected_by_service[spec.service], name


def test_edge_alarms_live_in_us_east_1_and_the_rest_at_home(stack_capture: Capture) -> None:
    alarms = {r.name: r for r in owned(stack_capture, ALARM)}
    for name, (spec, _) in expected_alarms(stack_capture).items():
        region = alarms[name].inputs.get("region")
        if spec.namespace in ("AWS/CloudFront", "AWS/WAFV2"):
            assert region == EDGE, name
            assert alarms[name].outputs["arn"].split(":")[3] == EDGE
        else:
            assert region is None, name  # the provider's region (the stack's)


def test_threshold_override_replaces_the_catalog_value() -> None:
    capture = obs("prod", overrides={"vitality:observability.thresholds.aurora-cpu": 65,
                                     "vitality:observability.thresholds.api-ecs-tasks-at-max": 7})
    assert capture.named("vitality-prod-obs-aurora-cpu").inputs["threshold"] == 65
    assert capture.named("vitality-prod-obs-api-ecs-tasks-at-max").inputs["threshold"] == 7
    assert obs("prod").named("vitality-prod-obs-aurora-cpu").inputs["threshold"] == 80


def test_replica_lag_only_with_readers() -> None:
    assert "vitality-dev-obs-aurora-replica-lag" not in {r.name for r in obs("dev").of_type(ALARM)}
    assert "vitality-prod-obs-aurora-replica-lag" in {r.name for r in obs("prod").of_type(ALARM)}


# --------------------------------------------------------------------------------------------------
# Composite alarms
# --------------------------------------------------------------------------------------------------


def test_one_composite_per_service_over_its_critical_alarms(stack_capture: Capture) -> None:
    expected = expected_alarms(stack_capture)
    alarms = {r.name: r for r in owned(stack_capture, ALARM)}
    composites = {r.name: r for r in stack_capture.of_type(COMPOSITE)}
    assert set(composites) == {f"{prefix(stack_capture)}-{s.key}-page" for s in SERVICES}
    for service in SERVICES:
        composite = composites[f"{prefix(stack_capture)}-{service.key}-page"]
        critical = [alarms[n].outputs["arn"] for n, (spec, _) in expected.items()
                    if spec.service == service.key and spec.severity == "critical"]
        assert composite.inputs["alarmRule"] == " OR ".join(f'ALARM("{arn}")' for arn in critical)
        want = topic(stack_capture, "critical", service.edge)
        assert composite.inputs["alarmActions"] == [want] and composite.inputs["okActions"] == [want]
        assert composite.inputs["actionsEnabled"] is True
        assert composite.inputs.get("region") == (EDGE if service.edge else None)


# --------------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------------


def test_dashboard_is_valid_json_and_lists_every_alarm(stack_capture: Capture) -> None:
    dashboard = stack_capture.one("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    widgets = body["widgets"]
    status = [w for w in widgets if w["type"] == "alarm"]
    assert [w["properties"]["region"] for w in status] == ["us-west-2", "us-east-1"]
    every = {r.outputs["arn"] for r in owned(stack_capture, ALARM) + owned(stack_capture, COMPOSITE)}
    # plus the database's restore-test alarms when it has restore tests (tests/test_database_resilience.py)
    every |= {r.outputs["arn"] for r in stack_capture.of_type(ALARM) if "-db-restore-" in r.name}
    assert {arn for w in status for arn in w["properties"]["alarms"]} == every
    for widget in status:
        # a widget reads the alarms of the region it names: each lists only its region's alarms
        assert {arn.split(":")[3] for arn in widget["properties"]["alarms"]} == {widget["properties"]["region"]}
        assert len(widget["properties"]["alarms"]) <= 100  # CloudWatch's limit per alarm widget
    assert stack_capture.outputs["dashboardName"] == dashboard.inputs["dashboardName"] == \
        f"vitality-{stack_capture.stack}-operations"


def test_dashboard_has_a_section_per_service_and_a_widget_per_alarm(stack_capture: Capture) -> None:
    body = json.loads(stack_capture.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    headers = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    headers = [h for h in headers if not h.startswith("## Aurora restore tests")]  # the database's restore tests
    assert [h.split(" (")[0] for h in headers] == [f"## {s.title}" for s in SERVICES]
    metric_widgets = [w for w in body["widgets"] if w["type"] == "metric" and "[" in w["properties"]["title"]]
    alarms = {r.name: r for r in owned(stack_capture, ALARM)}
    expected = expected_alarms(stack_capture)
    assert len(metric_widgets) == len(expected)
    for widget in metric_widgets:
        props = widget["properties"]
        alarm_id = props["title"].rsplit("[", 1)[1].rstrip("]")
        spec = next(s for s in CATALOG if s.id == alarm_id)
        assert props["region"] == (EDGE if spec.service in ("cdn", "waf") else "us-west-2")
        rows = [row for row in props["metrics"] if isinstance(row[0], str)]
        assert rows and all(row[0] == spec.namespace for row in rows)
        names = [n for n, (s, _) in expected.items() if s.id == alarm_id]
        thresholds = {alarms[n].inputs["threshold"] for n in names}
        assert props["annotations"]["horizontal"][0]["value"] in thresholds
        dims = [_dimensions(alarms[n]) for n in names]
        for row in rows:
            pairs = row[2:-1]
            assert dict(zip(pairs[::2], pairs[1::2], strict=True)) in dims, (alarm_id, row)
    for w in body["widgets"]:
        assert w["x"] >= 0 and w["x"] + w["width"] <= 24


# --------------------------------------------------------------------------------------------------
# Real-user monitoring
# --------------------------------------------------------------------------------------------------


def test_rum_guest_role_may_only_put_rum_events_on_the_monitor(capture_any: Capture) -> None:
    c = capture_any
    monitor = c.one("aws:rum/appMonitor:AppMonitor")
    pool = c.one("aws:cognito/identityPool:IdentityPool")
    assert "guestRoleArn" not in monitor.inputs["appMonitorConfiguration"]  # enhanced flow only
    (attachment,) = c.of_type("aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment")
    role = c.resolve(attachment.inputs["roles"]["unauthenticated"])
    assert role is not None and role.type == "aws:iam/role:Role"
    trust = statements(policy(role, "assumeRolePolicy"))
    assert trust == [
        {
            "Sid": "RumGuests",
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": pool.id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"},
            },
        }
    ]
    inline = [r for r in c.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == role.id]
    assert len(inline) == 1
    assert statements(policy(inline[0])) == [
        {"Sid": "PutRumEvents", "Effect": "Allow", "Action": ["rum:PutRumEvents"], "Resource": monitor.outputs["arn"]}
    ]
    attached = [r for r in c.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.inputs["role"] == role.outputs["name"]]
    assert attached == []
    attachment = c.one("aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment")
    assert attachment.inputs["identityPoolId"] == pool.id
    assert attachment.inputs["roles"] == {"unauthenticated": role.outputs["arn"]}
    assert pool.inputs["allowUnauthenticatedIdentities"] is True and pool.inputs["allowClassicFlow"] is False


@pytest.fixture(params=["dev", "prod"])
def capture_any(request: pytest.FixtureRequest) -> Capture:
    return obs(request.param)


def test_rum_monitor_configuration_per_environment(capture_any: Capture) -> None:
    c = capture_any
    s = settings_of(c)
    monitor = c.one("aws:rum/appMonitor:AppMonitor")
    config = monitor.inputs["appMonitorConfiguration"]
    assert config["sessionSampleRate"] == s.observability.rum_session_sample_rate
    assert config["sessionSampleRate"] == {"dev": 1, "prod": 0.1}[c.stack]
    assert config["telemetries"] == ["errors", "performance", "http"]
    assert config["enableXray"] is True
    assert config["identityPoolId"] == c.one("aws:cognito/identityPool:IdentityPool").id
    assert monitor.inputs["domainLists"] == [watched(c)["site_domain"]]
    assert c.outputs["rumAppMonitorId"] == monitor.outputs["appMonitorId"]
    assert c.outputs["identityPoolId"] == c.one("aws:cognito/identityPool:IdentityPool").id
    assert c.outputs["rumRegion"] == "us-west-2"


# --------------------------------------------------------------------------------------------------
# Tracing, logs, budget
# --------------------------------------------------------------------------------------------------


def test_xray_group_sampling_and_encryption(capture_any: Capture) -> None:
    c = capture_any
    s = settings_of(c)
    ids = watched(c)
    group = c.one("aws:xray/group:Group")
    assert group.inputs["filterExpression"] == f'service("{ids["trace_service"]}")'
    # insight notifications go through EventBridge, which cannot use the customer-managed X-Ray key
    assert group.inputs["insightsConfiguration"] == {"insightsEnabled": True, "notificationsEnabled": False}
    rule = c.one("aws:xray/samplingRule:SamplingRule")
    assert rule.inputs["serviceName"] == ids["trace_service"]
    assert rule.inputs["fixedRate"] == s.observability.trace_sample_rate
    assert len(rule.inputs["ruleName"]) <= 32 and len(group.inputs["groupName"]) <= 32
    encryption = c.of_type("aws:xray/encryptionConfig:EncryptionConfig")
    if s.security.account_baseline:
        assert len(encryption) == 1 and encryption[0].inputs["type"] == "KMS"
        key = c.resolve(encryption[0].inputs["keyId"])
        assert key is not None and key.tags["DataDomain"] == "data"
    else:
        assert encryption == []


def test_every_log_group_has_retention_and_a_kms_key(capture_any: Capture) -> None:
    c = capture_any
    s = settings_of(c)
    groups = c.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups
    for group in groups:
        assert group.inputs["retentionInDays"] == s.observability.log_retention_days, group.name
        key = c.resolve(group.inputs["kmsKeyId"])
        assert key is not None and key.type == "aws:kms/key:Key", group.name


def test_saved_queries(capture_any: Capture) -> None:
    c = capture_any
    ids = watched(c)
    queries = {r.inputs["name"].split("/", 1)[1]: r for r in c.of_type("aws:cloudwatch/queryDefinition:QueryDefinition")}
    assert set(queries) == {"api-5xx-by-path", "slow-queries", "waf-blocks-by-rule"}
    assert all(r.inputs["name"].startswith(f"vitality-{c.stack}/") for r in queries.values())
    assert queries["api-5xx-by-path"].inputs["logGroupNames"] == [ids["api_log_group"]]
    assert "status >= 500" in queries["api-5xx-by-path"].inputs["queryString"]
    assert queries["slow-queries"].inputs["logGroupNames"] == [f"/aws/rds/cluster/{ids['cluster']}/postgresql"]
    waf = queries["waf-blocks-by-rule"]
    assert waf.inputs["logGroupNames"] == [ids["waf_log_group"]] and waf.inputs["region"] == EDGE
    assert 'action = "BLOCK"' in waf.inputs["queryString"] and "terminatingRuleId" in waf.inputs["queryString"]


def test_monthly_budget_alerts_forecast_and_actual(capture_any: Capture) -> None:
    c = capture_any
    s = settings_of(c)
    budget = c.one("aws:budgets/budget:Budget")
    assert budget.inputs["budgetType"] == "COST" and budget.inputs["timeUnit"] == "MONTHLY"
    assert float(budget.inputs["limitAmount"]) == s.observability.monthly_budget_usd == {"dev": 150, "prod": 1500}[c.stack]
    assert budget.inputs["limitUnit"] == "USD"
    assert budget.inputs["costFilters"] == [{"name": "TagKeyValue", "values": [f"user:Environment${c.stack}"]}]
    kinds = {n["notificationType"] for n in budget.inputs["notifications"]}
    assert kinds == {"FORECASTED", "ACTUAL"}
    for n in budget.inputs["notifications"]:
        assert n["subscriberSnsTopicArns"] == [topic(c, "warning", False)]


def test_cloudfront_additional_metrics_are_subscribed(capture_any: Capture) -> None:
    sub = capture_any.one("aws:cloudfront/monitoringSubscription:MonitoringSubscription")
    assert sub.inputs["distributionId"] == watched(capture_any)["distribution"]
    status = sub.inputs["monitoringSubscription"]["realtimeMetricsSubscriptionConfig"]["realtimeMetricsSubscriptionStatus"]
    assert status == "Enabled"


def test_every_taggable_observability_resource_is_tagged(capture_any: Capture) -> None:
    c = capture_any
    component = c.named(prefix(c))
    for r in c.descendants(component.urn):
        if r.custom and "tags" in r.inputs:
            assert r.tags["Component"] == "observability", r.name
            assert r.tags["Environment"] == settings_of(c).environment


# --------------------------------------------------------------------------------------------------
# Synthetics (optional)
# --------------------------------------------------------------------------------------------------


def test_no_canaries_by_default(capture_any: Capture) -> None:
    assert capture_any.of_type("aws:synthetics/canary:Canary") == []


def test_canaries_when_enabled() -> None:
    c = obs("dev", overrides={"vitality:observability.synthetics": True, "vitality:api.image": "v1.2.0",
                              "vitality:api.port": 8080, "vitality:api.healthCheckPath": "/api/health"})
    canaries = {r.name: r for r in c.of_type("aws:synthetics/canary:Canary")}
    assert set(canaries) == {"vitality-dev-obs-canary-api", "vitality-dev-obs-canary-web"}
    health = settings_of(c).api.health_check_path
    assert health == "/api/health"
    assert canaries["vitality-dev-obs-canary-api"].inputs["runConfig"]["environmentVariables"] == {
        "TARGET_URL": c.outputs["frontendUrl"] + health}
    assert canaries["vitality-dev-obs-canary-web"].inputs["runConfig"]["environmentVariables"] == {
        "TARGET_URL": c.outputs["frontendUrl"]}
    bucket = c.named("vitality-dev-obs-canary-artifacts")
    sse = c.named("vitality-dev-obs-canary-artifacts-encryption").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    for canary in canaries.values():
        assert len(canary.inputs["name"]) <= 21 and canary.inputs["name"] == canary.inputs["name"].lower()
        assert canary.inputs["artifactS3Location"].startswith(f"s3://{bucket.id}/runs/")
        assert canary.inputs["artifactConfig"]["s3Encryption"]["encryptionMode"] == "SSE_KMS"
        role = c.resolve(canary.inputs["executionRoleArn"])
        assert role is not None
    role_policy = c.named("vitality-dev-obs-canary-policy")
    wildcard_ok = {"s3:ListAllMyBuckets", "cloudwatch:PutMetricData", "xray:PutTraceSegments"}
    for st in statements(policy(role_policy)):
        assert all("*" not in a for a in st["Action"])
        if st["Resource"] == "*":
            assert set(st["Action"]) <= wildcard_ok, st
    metric = next(st for st in statements(policy(role_policy)) if st["Sid"] == "CanaryMetrics")
    assert metric["Condition"] == {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}}


# --------------------------------------------------------------------------------------------------
# Preview and docs
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_works(stack: str) -> None:
    preview, update = obs(stack, preview=True), obs(stack)
    assert sorted(r.name for r in preview.resources) == sorted(r.name for r in update.resources)
    assert preview.outputs["dashboardName"] == f"vitality-{stack}-operations"  # a plain name, known in preview
    for key in ("rumAppMonitorId", "identityPoolId"):
        assert preview.outputs[key] == UNKNOWN


def test_docs_table_is_current() -> None:
    text = DOCS.read_text()
    assert render_docs(text) == text, "run: python -c 'from components.alarm_catalog import write_docs; write_docs()'"
    for spec in CATALOG:
        assert f"`{spec.id}`" in text


def test_apprunner_queries_and_traces_follow_the_platform() -> None:
    c = obs("prod", overrides={"vitality:api.platform": "apprunner"})
    ids = watched(c)
    service = ids["apprunner_name"]
    assert c.one("aws:xray/group:Group").inputs["filterExpression"] == f'service("{service}")'
    assert c.one("aws:xray/samplingRule:SamplingRule").inputs["serviceName"] == service
    query = next(r for r in c.of_type("aws:cloudwatch/queryDefinition:QueryDefinition")
                 if r.inputs["name"].endswith("/api-5xx-by-path"))
    assert query.inputs["logGroupNames"] == [ids["api_log_group"]]


def test_ecs_task_logs_are_the_queried_group(capture_any: Capture) -> None:
    api = capture_any.named(f"vitality-{capture_any.stack}-api")
    groups = {g.outputs["name"] for g in capture_any.descendants(api.urn) if g.type == "aws:cloudwatch/logGroup:LogGroup"}
    assert watched(capture_any)["api_log_group"] in groups


def test_connection_threshold_stays_below_aurora_max_connections() -> None:
    """Aurora PostgreSQL caps max_connections at 5000: a scaled threshold above 80% of it could never fire."""
    spec = next(s for s in CATALOG if s.id == "aurora-connections")
    assert spec.threshold_for("prod", 16) == 2880
    assert spec.threshold_for("prod", 64) == 4000
    assert spec.threshold_for("prod", 64, override=4500) == 4500


def test_heartbeat_needs_a_health_path_that_cloudfront_forwards() -> None:
    error = config_error("dev", {"vitality:observability.synthetics": True})
    problem = next(p for p in error.problems if p.key == "vitality:observability.synthetics")
    assert "outside /api/" in problem.allowed and problem.fix.endswith("observability.synthetics false --stack dev")
