"""The cost estimator: arithmetic per priced type (hand-computed), coverage of every type the program creates,
the price file, usage overrides, --set / --compare, and the command line."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import io
import keyword
import re
from pathlib import Path
from typing import Any

import pytest

from offline import cost
from offline.__main__ import main
from offline.cost import estimator
from offline.engine import Capture, Resource
from tests.conftest import capture_for

PRICES = cost.load_prices()
KEYS = cost.load_usage_keys()


def usage(**values: float) -> dict[str, float]:
    """A profile with every key at 0 except the ones a test sets."""
    profile = dict.fromkeys(KEYS, 0.0)
    profile.update(values)
    return profile


def res(typ: str, logical: str = "r", **inputs: Any) -> Resource:
    return Resource(urn=f"urn:{typ}::{logical}", type=typ, name=logical, custom=True, parent=None, provider="", protect=False,
                    retain_on_delete=False, delete_before_replace=False, dependencies=[], property_dependencies={},
                    ignore_changes=[], additional_secret_outputs=[], inputs=inputs, id=f"id-{logical}")


def synthetic(*resources: Resource, stack: str = "prod") -> Capture:
    """The stack's real config (region, environment) with only the given resources."""
    return dataclasses.replace(capture_for(stack), resources=list(resources))


def line_of(resources: list[Resource], profile: dict[str, float], name: str = "r") -> cost.Line:
    result = cost.estimate(synthetic(*resources), profile)
    return next(line for line in result.lines if line.resource.name == name)


def assert_cost(line: cost.Line, idle: float, used: float) -> None:
    assert line.status == "priced", line.reason
    assert line.unpriced_charges == [], [c.charge for c in line.unpriced_charges]
    assert line.idle == pytest.approx(idle, abs=1e-6), f"idle {line.idle} != {idle}"
    assert line.used == pytest.approx(used, abs=1e-6), f"with usage {line.used} != {used}"


# --------------------------------------------------------------------------------------------------
# Arithmetic per priced type: the expected values are computed by hand in the comments
# --------------------------------------------------------------------------------------------------


def test_nat_gateway_zonal_hours_and_data() -> None:
    # idle: 730 h x $0.045 = $32.85; with 100 GB: + 100 x $0.045 = $4.50 -> $37.35
    line = line_of([res("aws:ec2/natGateway:NatGateway", connectivityType="public")], usage(nat_data_gb=100))
    assert_cost(line, 32.85, 37.35)


def test_nat_gateway_data_is_shared_between_gateways() -> None:
    # 300 GB over 3 NATs = 100 GB each: 32.85 + 4.50
    nats = [res("aws:ec2/natGateway:NatGateway", f"n{i}") for i in range(3)]
    result = cost.estimate(synthetic(*nats), usage(nat_data_gb=300))
    assert [round(line.used, 2) for line in result.lines] == [37.35] * 3


def test_regional_nat_gateway_is_billed_per_az() -> None:
    # 3 AZs x 730 h x $0.045 = $98.55
    zones = [{"availabilityZone": f"us-west-2{z}", "allocationIds": [f"eipalloc-{z}"]} for z in "abc"]
    line = line_of([res("aws:ec2/natGateway:NatGateway", availabilityMode="regional", availabilityZoneAddresses=zones)], usage())
    assert_cost(line, 98.55, 98.55)


def test_public_ipv4_address() -> None:
    # 730 h x $0.005 = $3.65
    assert_cost(line_of([res("aws:ec2/eip:Eip", domain="vpc")], usage()), 3.65, 3.65)


def test_interface_endpoint_per_az_and_gateway_endpoint_free() -> None:
    # 3 AZ x 730 h x $0.01 = $21.90; + 50 GB x $0.01 = $0.50 -> $22.40
    interface = res("aws:ec2/vpcEndpoint:VpcEndpoint", "r", vpcEndpointType="Interface", subnetIds=["a", "b", "c"])
    gateway = res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", vpcEndpointType="Gateway")
    result = cost.estimate(synthetic(interface, gateway), usage(endpoint_data_gb=50))
    lines = {line.resource.name: line for line in result.lines}
    assert_cost(lines["r"], 21.90, 22.40)
    assert_cost(lines["s3"], 0.0, 0.0)


def _cluster(**inputs: Any) -> Resource:
    return res("aws:rds/cluster:Cluster", "cluster", **inputs)


def _instance(name: str = "r") -> Resource:
    return res("aws:rds/clusterInstance:ClusterInstance", name, instanceClass="db.serverless", clusterIdentifier="id-cluster")


def test_aurora_instance_minimum_capacity() -> None:
    # idle: 0.5 ACU x 730 h x $0.12 = $43.80; with 100 ACU-h above the floor: + 100 x $0.12 = $12 -> $55.80
    cluster = _cluster(serverlessv2ScalingConfiguration={"minCapacity": 0.5, "maxCapacity": 16})
    assert_cost(line_of([cluster, _instance()], usage(db_acu_hours_above_min=100)), 43.80, 55.80)


def test_aurora_instance_auto_pause_costs_nothing_idle() -> None:
    # min 0: paused when idle -> $0; awake 160 h at 0.5 ACU: 80 ACU-h + 40 above = 120 x $0.12 = $14.40
    cluster = _cluster(serverlessv2ScalingConfiguration={"minCapacity": 0, "maxCapacity": 4})
    assert_cost(line_of([cluster, _instance()], usage(db_active_hours=160, db_acu_hours_above_min=40)), 0.0, 14.40)


def test_aurora_io_optimized_compute_rate() -> None:
    # 0.5 ACU x 730 h x $0.156 = $56.94
    cluster = _cluster(storageType="aurora-iopt1", serverlessv2ScalingConfiguration={"minCapacity": 0.5})
    assert_cost(line_of([cluster, _instance()], usage()), 56.94, 56.94)


def test_aurora_readers_each_pay_the_floor() -> None:
    # writer + 2 readers at 0.5 ACU: 3 x $43.80 = $131.40
    cluster = _cluster(serverlessv2ScalingConfiguration={"minCapacity": 0.5})
    result = cost.estimate(synthetic(cluster, _instance("w"), _instance("r1"), _instance("r2")), usage())
    assert sum(line.idle for line in result.lines if line.resource.type.endswith("ClusterInstance")) == pytest.approx(131.40)


def test_aurora_cluster_storage_io_backup_and_managed_secret() -> None:
    # storage 100 GB x $0.10 = $10; backup (400 - 100 free) x $0.021 = $6.30; I/O 300M x $0.20/M = $60;
    # managed master secret $0.40 + 100,000 calls / 10,000 x $0.05 = $0.50
    # idle: storage and backups stay (idle keys), no I/O, no calls: 10 + 6.30 + 0.40 = $16.70
    # with usage: 10 + 6.30 + 60 + 0.40 + 0.50 = $77.20
    cluster = _cluster(manageMasterUserPassword=True)
    profile = usage(db_storage_gb=100, db_backup_gb=400, db_io_million=300, secrets_api_calls=100000)
    assert_cost(line_of([cluster], profile, "cluster"), 16.70, 77.20)


def test_aurora_backups_within_cluster_size_are_free() -> None:
    # 50 GB of backups <= 100 GB of storage: only storage, $10
    assert_cost(line_of([_cluster()], usage(db_storage_gb=100, db_backup_gb=50), "cluster"), 10.0, 10.0)


def test_secrets_manager_secret() -> None:
    # $0.40 + 100,000 / 10,000 x $0.05 = $0.90
    assert_cost(line_of([res("aws:secretsmanager/secret:Secret")], usage(secrets_api_calls=100000)), 0.40, 0.90)


def test_backup_vault_storage() -> None:
    # 300 GB x $0.021 = $6.30 (recovery points exist without traffic)
    assert_cost(line_of([res("aws:backup/vault:Vault")], usage(backup_vault_gb=300)), 6.30, 6.30)


def test_app_runner_provisioned_and_active() -> None:
    # 1 vCPU / 2 GB, 2 instances. idle: 2 x 2 GB x 730 h x $0.007 = $20.44
    # usage (active all month, 730 extra instance-hours): instance-hours 2 x 730 + 730 = 2,190;
    # vCPU 2,190 x $0.064 = $140.16; memory 2 GB x 2,190 x $0.007 = $30.66; provisioned 0 h -> $170.82
    scaling = res("aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion", "scaling", minSize=2)
    service = res("aws:apprunner/service:Service", instanceConfiguration={"cpu": "1 vCPU", "memory": "2 GB"},
                  autoScalingConfigurationArn="id-scaling")
    assert_cost(line_of([scaling, service], usage(api_active_hours=730, api_extra_instance_hours=730)), 20.44, 170.82)


def test_app_runner_partly_active_with_cpu_units() -> None:
    # "1024"/"2048" = 1 vCPU / 2 GB, 1 instance, active 160 h: provisioned 2 x 570 x 0.007 = 7.98,
    # vCPU 160 x 0.064 = 10.24, memory 2 x 160 x 0.007 = 2.24 -> $20.46; idle 2 x 730 x 0.007 = $10.22;
    # automatic deployments + $1 in both columns
    scaling = res("aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion", "scaling", minSize=1)
    service = res("aws:apprunner/service:Service", instanceConfiguration={"cpu": "1024", "memory": "2048"},
                  autoScalingConfigurationArn="id-scaling", sourceConfiguration={"autoDeploymentsEnabled": True})
    assert_cost(line_of([scaling, service], usage(api_active_hours=160)), 11.22, 21.46)


def test_ecs_fargate_service_load_balancer_and_vpc_origin() -> None:
    # 1 vCPU / 2 GB task, 2 tasks. idle: vCPU 2 x 730 x 0.04048 = 59.1008; memory 2 x 2 x 730 x 0.004445 = 12.9794
    # -> 72.0802; usage (+730 task-hours): vCPU 2,190 x 0.04048 = 88.6512; memory 4,380 x 0.004445 = 19.4691 -> 108.1203
    task = res("aws:ecs/taskDefinition:TaskDefinition", "task", cpu="1024", memory="2048")
    service = res("aws:ecs/service:Service", taskDefinition="id-task", desiredCount=2)
    assert_cost(line_of([task, service], usage(api_extra_instance_hours=730)), 72.0802, 108.1203)
    # ALB 730 x 0.0225 = 16.425; 2 LCU x 730 x 0.008 = 11.68 -> 28.105
    assert_cost(line_of([res("aws:lb/loadBalancer:LoadBalancer", loadBalancerType="application")], usage(alb_lcu=2)),
                16.425, 28.105)
    # the VPC origin itself is free; 50 GB of request bodies to the origin x 0.02 = 1.00
    assert_cost(line_of([res("aws:cloudfront/vpcOrigin:VpcOrigin")], usage(api_request_gb=50)), 0.0, 1.0)


def test_ecr_storage_and_enhanced_scanning() -> None:
    # storage 10 GB x $0.10 = $1.00 (stored images, idle too)
    assert_cost(line_of([res("aws:ecr/repository:Repository")], usage(ecr_storage_gb=10)), 1.0, 1.0)
    # 60 pushes x $0.09 = $5.40 + 300 re-scans x $0.01 = $3.00 -> $8.40; idle: re-scans only, $3.00
    scanning = res("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", scanType="ENHANCED")
    assert_cost(line_of([scanning], usage(ecr_images_scanned=60, ecr_image_rescans=300)), 3.0, 8.40)


def test_cloudfront_distribution_function_and_metrics() -> None:
    # 500 GB x $0.085 = $42.50; 50M / 10,000 x $0.01 = $50 -> $92.50; nothing when idle
    profile = usage(cdn_data_out_gb=500, cdn_requests=50_000_000)
    assert_cost(line_of([res("aws:cloudfront/distribution:Distribution")], profile), 0.0, 92.50)
    # 50M invocations x $0.10/M = $5.00
    assert_cost(line_of([res("aws:cloudfront/function:Function")], profile), 0.0, 5.00)
    # 8 additional metrics x $0.30 = $2.40
    assert_cost(line_of([res("aws:cloudfront/monitoringSubscription:MonitoringSubscription")], profile), 2.40, 2.40)


def test_waf_web_acls_by_scope() -> None:
    rules = [{"name": f"rule{i}"} for i in range(4)]
    profile = usage(cdn_requests=50_000_000, api_requests=20_000_000)
    # CloudFront scope: $5 + 4 x $1 = $9 idle; + 50M x $0.60/M = $30 -> $39
    edge = res("aws:wafv2/webAcl:WebAcl", scope="CLOUDFRONT", rules=rules, region="us-east-1")
    assert_cost(line_of([edge], profile), 9.0, 39.0)
    # regional (API): $9 + 20M x $0.60/M = $12 -> $21
    assert_cost(line_of([res("aws:wafv2/webAcl:WebAcl", scope="REGIONAL", rules=rules)], profile), 9.0, 21.0)
    # a separately managed rule: $1
    assert_cost(line_of([res("aws:wafv2/webAclRule:WebAclRule")], profile), 1.0, 1.0)


def test_alarms_dashboards_and_metric_filters() -> None:
    # standard: 1 metric x $0.10; high resolution (period 10 s): $0.30; anomaly band: 3 metrics x $0.10 = $0.30
    assert_cost(line_of([res("aws:cloudwatch/metricAlarm:MetricAlarm", period=300)], usage()), 0.10, 0.10)
    assert_cost(line_of([res("aws:cloudwatch/metricAlarm:MetricAlarm", period=10)], usage()), 0.30, 0.30)
    queries = [{"id": "m1", "metric": {"metricName": "Latency", "period": 300}, "returnData": True},
               {"id": "ad", "expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]
    assert_cost(line_of([res("aws:cloudwatch/metricAlarm:MetricAlarm", metricQueries=queries)], usage()), 0.30, 0.30)
    # composite $0.50, dashboard $3.00, metric filter 1 custom metric $0.30
    assert_cost(line_of([res("aws:cloudwatch/compositeAlarm:CompositeAlarm")], usage()), 0.50, 0.50)
    assert_cost(line_of([res("aws:cloudwatch/dashboard:Dashboard")], usage()), 3.00, 3.00)
    assert_cost(line_of([res("aws:cloudwatch/logMetricFilter:LogMetricFilter", metricTransformation={})], usage()), 0.30, 0.30)


def test_log_groups_ingestion_and_retained_storage() -> None:
    # 60 GB over 2 groups = 30 GB each.
    # 365 days: ingest 30 x $0.50 = $15; stored 30 x 12 months = 360 GB-month x $0.03 = $10.80 -> $25.80
    # 30 days: stored 30 x (30 / (365/12)) = 29.589 GB-month x $0.03 = $0.8877 -> $15.8877
    year = res("aws:cloudwatch/logGroup:LogGroup", "year", retentionInDays=365)
    month = res("aws:cloudwatch/logGroup:LogGroup", "month", retentionInDays=30)
    result = cost.estimate(synthetic(year, month), usage(logs_ingested_gb=60))
    lines = {line.resource.name: line for line in result.lines}
    assert_cost(lines["year"], 0.0, 25.80)
    assert_cost(lines["month"], 0.0, 15.0 + 30 * 30 / (365 / 12) * 0.03)
    # Infrequent Access: 60 GB x $0.25 = $15 + 60 x 12 x $0.03 = $21.60 -> $36.60
    ia = res("aws:cloudwatch/logGroup:LogGroup", retentionInDays=365, logGroupClass="INFREQUENT_ACCESS")
    assert_cost(line_of([ia], usage(logs_ingested_gb=60)), 0.0, 36.60)


def test_log_delivery_and_data_protection() -> None:
    # 20 GB delivered x $0.25 = $5.00
    assert_cost(line_of([res("aws:cloudwatch/logDelivery:LogDelivery")], usage(delivered_log_gb=20)), 0.0, 5.0)
    # the only log group's 10 GB scanned x $0.12 = $1.20
    group = res("aws:cloudwatch/logGroup:LogGroup", "group", retentionInDays=1)
    policy = res("aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy")
    assert_cost(line_of([group, policy], usage(logs_ingested_gb=10)), 0.0, 1.20)


def test_rum_synthetics_and_xray() -> None:
    # 2M RUM events / 100,000 x $1 = $20
    assert_cost(line_of([res("aws:rum/appMonitor:AppMonitor")], usage(rum_events=2_000_000)), 0.0, 20.0)
    # rate(5 minutes): 730 x 60 / 5 = 8,760 runs x $0.0012 = $10.512, scheduled so idle too
    canary = res("aws:synthetics/canary:Canary", schedule={"expression": "rate(5 minutes)"})
    assert_cost(line_of([canary], usage()), 10.512, 10.512)
    # rate(1 hour): 730 runs x $0.0012 = $0.876
    hourly = res("aws:synthetics/canary:Canary", schedule={"expression": "rate(1 hour)"})
    assert_cost(line_of([hourly], usage()), 0.876, 0.876)
    # 2M traces x $5/M = $10 (App Runner tracing)
    tracing = res("aws:apprunner/observabilityConfiguration:ObservabilityConfiguration", traceConfiguration={"vendor": "AWSXRAY"})
    assert_cost(line_of([tracing], usage(xray_traces=2_000_000)), 0.0, 10.0)
    # a group with Insights: 2M traces x $1/M = $2; without Insights it is free
    insights = res("aws:xray/group:Group", insightsConfiguration={"insightsEnabled": True})
    assert_cost(line_of([insights], usage(xray_traces=2_000_000)), 0.0, 2.0)
    assert_cost(line_of([res("aws:xray/group:Group")], usage(xray_traces=2_000_000)), 0.0, 0.0)


def test_kms_keys_and_requests() -> None:
    # 2 keys, 2M requests -> 1M each: $1 + 100 x $0.03 = $4.00; idle $1
    keys = [res("aws:kms/key:Key", f"k{i}") for i in range(2)]
    result = cost.estimate(synthetic(*keys), usage(kms_requests=2_000_000))
    for line in result.lines:
        assert_cost(line, 1.0, 4.0)


def test_cloudtrail_data_events_and_insights() -> None:
    # data events 5M / 100,000 x $0.10 = $5; Insights 2 types x 1M management events / 100,000 x $0.35 = $7
    # idle: management events happen without traffic -> $7; with usage $12
    trail = res("aws:cloudtrail/trail:Trail",
                advancedEventSelectors=[{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}],
                insightSelectors=[{"insightType": "ApiCallRateInsight"}, {"insightType": "ApiErrorRateInsight"}])
    profile = usage(cloudtrail_data_events=5_000_000, cloudtrail_management_events=1_000_000)
    assert_cost(line_of([trail], profile), 7.0, 12.0)
    # management events only: the first copy is free
    assert_cost(line_of([res("aws:cloudtrail/trail:Trail")], profile), 0.0, 0.0)


def test_config_recorder_rules_and_packs() -> None:
    # continuous: 5,000 items x $0.003 = $15; daily: 5,000 x $0.012 = $60 (items come from changes: idle 0)
    profile = usage(config_items=5000, config_rule_evaluations=1500, config_conformance_evaluations=15000)
    assert_cost(line_of([res("aws:cfg/recorder:Recorder")], profile), 0.0, 15.0)
    daily = res("aws:cfg/recorder:Recorder", recordingMode={"recordingFrequency": "DAILY"})
    assert_cost(line_of([daily], profile), 0.0, 60.0)
    # 1,500 evaluations x $0.001 = $1.50 per rule (periodic: idle too); pack 15,000 x $0.001 = $15
    assert_cost(line_of([res("aws:cfg/rule:Rule")], profile), 1.50, 1.50)
    assert_cost(line_of([res("aws:cfg/conformancePack:ConformancePack")], profile), 15.0, 15.0)


def test_security_hub_guardduty_access_analyzer() -> None:
    # Security Hub: 20,000 checks x $0.001 = $20 (scheduled: idle too)
    assert_cost(line_of([res("aws:securityhub/account:Account")], usage(securityhub_checks=20000)), 20.0, 20.0)
    # GuardDuty: 1M management events x $4/M = $4 (idle too) + 20 GB x $1 = $20 -> $24
    profile = usage(cloudtrail_management_events=1_000_000, guardduty_flow_dns_gb=20, guardduty_s3_events=5_000_000)
    assert_cost(line_of([res("aws:guardduty/detector:Detector", enable=True)], profile), 4.0, 24.0)
    # S3 Protection: 5M x $0.80/M = $4
    feature = res("aws:guardduty/detectorFeature:DetectorFeature", name="S3_DATA_EVENTS", status="ENABLED")
    assert_cost(line_of([feature], profile), 0.0, 4.0)
    # unused access: 60 principals x $0.20 = $12; external access analyzer: free
    unused = res("aws:accessanalyzer/analyzer:Analyzer", type="ACCOUNT_UNUSED_ACCESS")
    assert_cost(line_of([unused], usage(access_analyzer_principals=60)), 12.0, 12.0)
    assert_cost(line_of([res("aws:accessanalyzer/analyzer:Analyzer", type="ACCOUNT")], usage(access_analyzer_principals=60)), 0.0, 0.0)


def test_route53_zone_and_s3_bucket() -> None:
    # zone $0.50 + 5M queries x $0.40/M = $2.00 -> $2.50
    assert_cost(line_of([res("aws:route53/zone:Zone")], usage(route53_queries=5_000_000)), 0.50, 2.50)
    # 200 GB x $0.023 = $4.60 (idle too); 2M PUT / 1,000 x $0.005 = $10; 5M GET / 1,000 x $0.0004 = $2 -> $16.60
    profile = usage(s3_storage_gb=200, s3_put_requests=2_000_000, s3_get_requests=5_000_000)
    assert_cost(line_of([res("aws:s3/bucket:Bucket")], profile), 4.60, 16.60)


def test_ssm_parameter_tiers() -> None:
    # standard (the program's SecureString): free; advanced: $0.05 a month
    assert_cost(line_of([res("aws:ssm/parameter:Parameter", type="SecureString")], usage()), 0.0, 0.0)
    assert_cost(line_of([res("aws:ssm/parameter:Parameter", type="SecureString", tier="Advanced")], usage()), 0.05, 0.05)


# --------------------------------------------------------------------------------------------------
# Nothing is silently zero
# --------------------------------------------------------------------------------------------------


def test_unknown_type_is_reported_not_counted() -> None:
    result = cost.estimate(synthetic(res("aws:appsync/graphQLApi:GraphQLApi", "fn"), res("aws:ec2/eip:Eip", "ip")), usage())
    lines = {line.resource.name: line for line in result.lines}
    assert lines["fn"].status == "unpriced" and lines["fn"].idle == 0
    assert [line.resource.name for line in result.unpriced] == ["fn"]
    assert result.idle == pytest.approx(3.65)
    assert "NOT PRICED (1" in cost.render(result) and "aws:appsync/graphQLApi:GraphQLApi" in cost.render(result)


def test_charge_without_a_figure_is_reported() -> None:
    feature = res("aws:guardduty/detectorFeature:DetectorFeature", name="RDS_LOGIN_EVENTS", status="ENABLED")
    result = cost.estimate(synthetic(feature), usage())
    assert [line.resource.name for line in result.unpriced] == ["r"]
    assert "guardduty.rds_protection: no price" in cost.render(result)


def test_paid_performance_insights_retention_is_reported() -> None:
    # retention beyond the free 7 days has no confirmed figure: listed, not counted (the floor $43.80 still is)
    cluster = _cluster(serverlessv2ScalingConfiguration={"minCapacity": 0.5})
    long = res("aws:rds/clusterInstance:ClusterInstance", "long", instanceClass="db.serverless", clusterIdentifier="id-cluster",
               performanceInsightsEnabled=True, performanceInsightsRetentionPeriod=31)
    free = res("aws:rds/clusterInstance:ClusterInstance", "free", instanceClass="db.serverless", clusterIdentifier="id-cluster",
               performanceInsightsEnabled=True, performanceInsightsRetentionPeriod=7)
    result = cost.estimate(synthetic(cluster, long, free), usage())
    assert [line.resource.name for line in result.unpriced] == ["long"]
    assert all(line.idle == pytest.approx(43.80) for line in result.lines if line.resource.name in ("long", "free"))


API_PLATFORMS = [None, {"vitality:api.platform": "apprunner"}]


@pytest.mark.parametrize("overrides", API_PLATFORMS, ids=["ecs", "apprunner"])
def test_every_type_the_program_creates_is_priced_or_free(stack: str, overrides: Any) -> None:
    capture = capture_for(stack, overrides=overrides)
    missing: dict[str, list[str]] = {}
    for r in capture.resources:
        if r.custom and not r.type.startswith("pulumi:providers:") and r.type not in cost.PRICERS and cost.free_reason(r.type) is None:
            missing.setdefault(r.type, []).append(r.name)
    assert not missing, "\n".join(
        f"{typ} ({', '.join(names)}) has no price: add a pricer for it to PRICERS in the offline/cost/pricing/ module "
        "of its service and its price to offline/prices.yaml, or, if AWS does not charge for it, add it to that "
        "module's FREE table with the reason"
        for typ, names in missing.items()
    )


@pytest.mark.parametrize("overrides", API_PLATFORMS, ids=["ecs", "apprunner"])
def test_every_charge_the_program_incurs_has_a_price_entry(stack: str, overrides: Any) -> None:
    result = cost.estimate(capture_for(stack, overrides=overrides))
    unknown = {c.charge.price for line in result.lines for c in line.costs if c.charge.price not in PRICES}
    assert not unknown, f"charges refer to price keys missing from offline/prices.yaml: {sorted(unknown)}"


@functools.cache
def _sdk_module_text(module: str) -> str:
    """The source of one pulumi_aws module directory (read, not imported: importing them all takes seconds)."""
    root = Path(importlib.util.find_spec("pulumi_aws").submodule_search_locations[0])
    folder = root / (f"{module}_" if keyword.iskeyword(module) else module)
    return "".join(path.read_text() for path in sorted(folder.glob("*.py")))


def _sdk_token_exists(token: str) -> bool:
    module = token.split(":")[1].split("/")[0]
    return f"'{token}'," in _sdk_module_text(module)


def test_type_tokens_exist_in_pulumi_aws() -> None:
    wrong = [t for t in list(cost.PRICERS) + list(cost.FREE) if not _sdk_token_exists(t)]
    assert not wrong, f"not pulumi-aws resource type tokens: {wrong}"


def test_priced_and_free_do_not_overlap() -> None:
    assert not set(cost.PRICERS) & set(cost.FREE)


def test_price_entries_have_unit_date_and_aws_source() -> None:
    for key, price in PRICES.items():
        assert price.unit, key
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", price.read), key
        assert price.source.startswith("https://aws.amazon.com/"), key
        assert price.per > 0, key
        if not price.values:
            assert price.note, f"{key} has no figure and must say why in note:"
    for region in ("us-west-2", "us-east-1"):
        missing = [k for k, p in PRICES.items() if p.values and p.value(region) is None]
        assert not missing, f"no {region} price for {missing}"


# --------------------------------------------------------------------------------------------------
# Usage profile
# --------------------------------------------------------------------------------------------------


def test_usage_defaults_per_environment_and_overrides(tmp_path: Any) -> None:
    dev, prod = cost.usage_profile("dev"), cost.usage_profile("prod")
    assert dev["cdn_requests"] < prod["cdn_requests"]
    file = tmp_path / "usage.yaml"
    file.write_text("nat_data_gb: 1000\nrum_events: 5\n")
    profile = cost.usage_profile("dev", {"rum_events": "7"}, cost.read_usage_file(file))
    assert profile["nat_data_gb"] == 1000 and profile["rum_events"] == 7  # flags win over the file


def test_usage_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(cost.UsageError, match="did you mean 'nat_data_gb'"):
        cost.usage_profile("dev", {"nat_data_bg": 1})
    with pytest.raises(cost.UsageError, match="must be a number"):
        cost.usage_profile("dev", {"nat_data_gb": "lots"})
    with pytest.raises(cost.UsageError, match="zero or more"):
        cost.usage_profile("dev", {"nat_data_gb": -1})
    with pytest.raises(cost.UsageError, match="KEY=VALUE"):
        cost.parse_usage(["nat_data_gb"])


def test_usage_override_moves_the_estimate(dev: Capture) -> None:
    base = cost.estimate(dev, cost.usage_profile("dev"))
    more = cost.estimate(dev, cost.usage_profile("dev", {"nat_data_gb": 1020}))
    # 1,000 GB more through the single NAT: + 1,000 x $0.045 = $45; idle unchanged
    assert more.used - base.used == pytest.approx(45.0)
    assert more.idle == pytest.approx(base.idle)


# --------------------------------------------------------------------------------------------------
# The real stacks, --set and --compare
# --------------------------------------------------------------------------------------------------


def test_stack_estimates_cover_components(capture: Capture) -> None:
    result = cost.estimate(capture)
    components = {c.name for c in capture.resources if not c.custom and c.type != "pulumi:pulumi:Stack"}
    assert components <= set(result.components())
    assert result.used >= result.idle > 0
    assert [line.resource.name for line in result.lines if line.status == "unpriced"] == []


def test_prod_network_costs_more_than_dev(dev: Capture, prod: Capture) -> None:
    # dev: 1 NAT + 1 EIP, no interface endpoints; prod: 3 NATs + 3 EIPs + 8 endpoints x 3 AZs
    dev_net = cost.estimate(dev, usage()).components()["vitality-dev-net"][0]
    prod_net = cost.estimate(prod, usage()).components()["vitality-prod-net"][0]
    assert dev_net == pytest.approx(32.85 + 3.65)
    assert prod_net == pytest.approx(3 * (32.85 + 3.65) + 8 * 21.90)


def test_set_shows_the_difference_of_a_config_change() -> None:
    base = cost.estimate(capture_for("dev"), usage())
    per_az = cost.estimate(capture_for("dev", overrides={"vitality:network.natGateways": "per_az"}), usage())
    # the network gains a second NAT and its address: 32.85 + 3.65 (the total also gains that NAT's alarms)
    net = "vitality-dev-net"
    assert per_az.components()[net][0] - base.components()[net][0] == pytest.approx(36.50)
    assert per_az.idle - base.idle >= 36.50
    text = cost.render_difference(base, per_az, "dev", "dev with --set")
    assert "+ net-nat-us-west-2b (aws:ec2:NatGateway): idle +32.85" in text
    assert "+ net-nat-us-west-2b (aws:ec2:Eip): idle +3.65" in text


@pytest.fixture(autouse=True)
def cached_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command runs the program per stack; reuse the suite's cached captures (same inputs, same result)."""
    monkeypatch.setattr(estimator, "run", lambda stack, preview=False, overrides=None: capture_for(stack, preview, overrides))


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["cost", *argv])
    return code, out.getvalue()


def test_cli_prints_table_and_price_date() -> None:
    code, text = _cli("--stack", "security")  # the one stack whose estimate uses every price date
    assert code == 0
    dates = sorted({p.read for p in PRICES.values()})
    assert f"Prices read: {', '.join(dates)}" in text
    code, text = _cli("--stack", "dev")
    assert code == 0
    assert re.search(r"^TOTAL\s+[\d,.]+\s+[\d,.]+$", text, re.M)
    assert "vitality-dev-net-nat-us-west-2a" in text


def test_cli_set_and_compare() -> None:
    code, text = _cli("--stack", "dev", "--set", "network.natGateways=per_az")
    assert code == 0 and "dev with --set vs dev as configured" in text and "Prices read:" in text
    code, text = _cli("--stack", "dev", "--compare", "prod")
    assert code == 0 and "prod vs dev" in text
    # components and resources of the two stacks line up by name without the stack prefix
    net = next(line for line in text.splitlines() if line.startswith("net "))
    assert "+248.20" in net.replace(",", "")  # prod 3 NAT + 3 IPv4 + 8 endpoints x 3 AZ vs dev 1 NAT + 1 IPv4
    assert "+ net-nat-us-west-2c (aws:ec2:NatGateway): idle +32.85" in text


def test_cli_rejects_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--stack", "dev", "--usage", "nat_gb=5"]) == 2
    assert "unknown usage key 'nat_gb'" in capsys.readouterr().err
