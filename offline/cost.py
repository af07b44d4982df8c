"""Monthly cost estimate of a stack, from the offline capture, the price file and a usage profile.

    python -m offline cost --stack prod [--usage nat_data_gb=500] [--usage-file usage.yaml] [--detail]
    python -m offline cost --stack prod --set network.natGateways=regional     # what a config edit changes
    python -m offline cost --stack dev --compare prod                            # one stack against another

Every resource the program registers is either priced (a function in `PRICERS` turns its inputs and the usage
profile into quantities of `prices.yaml` entries), free (`FREE`, with the reason), or reported as "no price":
nothing is silently counted as zero. Two columns: idle (minimum capacity, no traffic: only usage keys marked
`idle: true` apply) and with the usage profile (`usage.yaml`, defaults per environment).
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, TypeGuard, TypeVar

import yaml

from .engine import UNKNOWN, Capture, Resource, run

HERE = Path(__file__).parent
PRICES_FILE = HERE / "prices.yaml"
USAGE_FILE = HERE / "usage.yaml"
HOURS = 730  # hours in the average month, as AWS's pricing pages count
GLOBAL = "global"


# --------------------------------------------------------------------------------------------------
# Prices and usage
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    key: str
    unit: str
    per: float
    values: Mapping[str, float]
    read: str
    source: str
    note: str = ""

    def value(self, region: str) -> Optional[float]:
        """The price in `region`; services billed globally (CloudFront, WAF, Route 53) use `global`."""
        if region in self.values:
            return self.values[region]
        return self.values.get(GLOBAL)


def load_prices(path: Path = PRICES_FILE) -> dict[str, Price]:
    data = yaml.safe_load(path.read_text())["prices"]
    return {
        key: Price(
            key=key,
            unit=entry["unit"],
            per=float(entry.get("per", 1)),
            values={region: float(v) for region, v in (entry.get("regions") or {}).items()},
            read=str(entry["read"]),
            source=entry["source"],
            note=" ".join(str(entry.get("note", "")).split()),
        )
        for key, entry in data.items()
    }


@dataclass(frozen=True)
class UsageKey:
    name: str
    unit: str
    defaults: Mapping[str, float]  # environment -> value
    idle: bool
    spread: bool


def load_usage_keys(path: Path = USAGE_FILE) -> dict[str, UsageKey]:
    data = yaml.safe_load(path.read_text())["usage"]
    return {
        name: UsageKey(
            name=name,
            unit=entry["unit"],
            defaults={env: float(entry[env]) for env in ("dev", "prod")},
            idle=bool(entry["idle"]),
            spread=entry.get("spread") == "evenly",
        )
        for name, entry in data.items()
    }


class UsageError(ValueError):
    """A usage override names an unknown key or is not a number."""


def _check_usage(keys: Mapping[str, UsageKey], given: Mapping[str, Any], where: str) -> dict[str, float]:
    checked: dict[str, float] = {}
    for name, raw in given.items():
        if name not in keys:
            close = difflib.get_close_matches(name, list(keys), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(keys))}"
            raise UsageError(f"{where}: unknown usage key {name!r}{hint}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise UsageError(f"{where}: usage {name} must be a number, got {raw!r}") from None
        if value < 0 or math.isnan(value):
            raise UsageError(f"{where}: usage {name} must be zero or more, got {raw!r}")
        checked[name] = value
    return checked


def parse_usage(pairs: Iterable[str]) -> dict[str, str]:
    """`--usage nat_data_gb=500` -> {"nat_data_gb": "500"} (values are checked by `usage_profile`)."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--usage takes KEY=VALUE, got {pair!r}")
        parsed[key.strip()] = value.strip()
    return parsed


def read_usage_file(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a map of usage key to number")
    return data


def usage_profile(
    environment: str,
    overrides: Optional[Mapping[str, Any]] = None,
    file_values: Optional[Mapping[str, Any]] = None,
    keys: Optional[Mapping[str, UsageKey]] = None,
) -> dict[str, float]:
    """Defaults for the environment, then the usage file, then `--usage` flags."""
    keys = keys or load_usage_keys()
    profile = {name: key.defaults.get(environment, key.defaults["prod"]) for name, key in keys.items()}
    profile.update(_check_usage(keys, file_values or {}, "--usage-file"))
    profile.update(_check_usage(keys, overrides or {}, "--usage"))
    return profile


# --------------------------------------------------------------------------------------------------
# The model: resources -> charges
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """A quantity of one price entry per month, idle and with the usage profile."""

    item: str
    price: str  # key in prices.yaml
    idle: float
    used: float


@dataclass
class Context:
    """What a pricer may read besides the resource itself."""

    capture: Capture
    region: str
    usage: Mapping[str, float]
    usage_keys: Mapping[str, UsageKey]

    def idle(self, key: str) -> float:
        return self.usage[key] if self.usage_keys[key].idle else 0.0

    def share(self, key: str, among: Iterable[Resource]) -> tuple[float, float]:
        """(idle, used) of a usage key for one resource; stack-wide totals are spread evenly over `among`."""
        count = max(1, len(list(among))) if self.usage_keys[key].spread else 1
        return self.idle(key) / count, self.usage[key] / count

    def of_types(self, *types: str) -> list[Resource]:
        return [r for r in self.capture.resources if r.type in types]

    def resolve(self, value: Any, typ: str) -> Optional[Resource]:
        """The resource an input refers to (by id or ARN), or the only one of its type (a preview has no ids)."""
        found = self.capture.resolve(value)
        if found is not None and found.type == typ:
            return found
        candidates = self.capture.of_type(typ)
        return candidates[0] if len(candidates) == 1 else None


Pricer = Callable[[Resource, Context], list[Charge]]


_T = TypeVar("_T")


def _known(value: Optional[_T]) -> TypeGuard[_T]:
    """Set and known at preview (not None, not the engine's UNKNOWN placeholder)."""
    return value is not None and value != UNKNOWN


def _flat(item: str, price: str, quantity: float) -> Charge:
    """A charge that does not depend on traffic."""
    return Charge(item, price, quantity, quantity)


def _nat_gateway(r: Resource, ctx: Context) -> list[Charge]:
    zones = r.inputs.get("availabilityZoneAddresses") or []
    azs = len(zones) if r.inputs.get("availabilityMode") == "regional" and zones else 1
    idle, used = ctx.share("nat_data_gb", ctx.of_types(r.type))
    label = f"{azs} AZ x " if azs > 1 else ""
    return [
        _flat(f"{label}{HOURS} h", "ec2.nat_gateway_hour", azs * HOURS),
        Charge("data processed (GB)", "ec2.nat_gateway_gb", idle, used),
    ]


def _eip(r: Resource, ctx: Context) -> list[Charge]:
    return [_flat(f"public IPv4 address, {HOURS} h", "ec2.public_ipv4_hour", HOURS)]


def _interface_endpoints(ctx: Context) -> list[Resource]:
    return [r for r in ctx.of_types("aws:ec2/vpcEndpoint:VpcEndpoint") if r.inputs.get("vpcEndpointType") == "Interface"]


def _vpc_endpoint(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("vpcEndpointType", "Gateway") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) have no hourly or data charge
    subnets = r.inputs.get("subnetIds")
    azs = len(subnets) if isinstance(subnets, list) else len(ctx.capture.config.values.get("vitality:network", {}).get("availabilityZones", [])) or 1
    idle, used = ctx.share("endpoint_data_gb", _interface_endpoints(ctx))
    return [
        _flat(f"{azs} AZ x {HOURS} h", "vpce.interface_az_hour", azs * HOURS),
        Charge("data processed (GB)", "vpce.interface_gb", idle, used),
    ]


def _scaling(cluster: Optional[Resource]) -> tuple[float, bool]:
    """(minCapacity, I/O-Optimized) of a Serverless v2 cluster."""
    if cluster is None:
        return 0.5, False
    scaling = cluster.inputs.get("serverlessv2ScalingConfiguration") or {}
    minimum = scaling.get("minCapacity")
    return (float(minimum) if _known(minimum) else 0.5), cluster.inputs.get("storageType") == "aurora-iopt1"


def _aurora_instance(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("instanceClass") != "db.serverless":
        return [_flat(f"provisioned instance class {r.inputs.get('instanceClass')}", f"rds.instance.{r.inputs.get('instanceClass')}", HOURS)]
    cluster = ctx.resolve(r.inputs.get("clusterIdentifier"), "aws:rds/cluster:Cluster")
    minimum, iopt = _scaling(cluster)
    price = "rds.aurora_iopt_acu_hour" if iopt else "rds.aurora_acu_hour"
    if minimum > 0:
        floor = _flat(f"minimum {minimum:g} ACU x {HOURS} h", price, minimum * HOURS)
    else:
        # auto-pause: no compute while paused; awake it runs at 0.5 ACU or more
        floor = Charge(f"auto-pause; awake {ctx.usage['db_active_hours']:g} h at 0.5 ACU", price, 0.0, 0.5 * ctx.usage["db_active_hours"])
    charges = [floor, Charge("ACU-hours above the floor", price, ctx.idle("db_acu_hours_above_min"), ctx.usage["db_acu_hours_above_min"])]
    retention = r.inputs.get("performanceInsightsRetentionPeriod")
    if r.inputs.get("performanceInsightsEnabled") and _known(retention) and int(retention) > 7:
        charges.append(_flat(f"Performance Insights retention {int(retention)} days (beyond the free 7)", "rds.performance_insights_long_term", 1))
    return charges


def _aurora_cluster(r: Resource, ctx: Context) -> list[Charge]:
    _, iopt = _scaling(r)
    storage = (ctx.idle("db_storage_gb"), ctx.usage["db_storage_gb"])
    backup = tuple(max(0.0, b - s) for b, s in zip((ctx.idle("db_backup_gb"), ctx.usage["db_backup_gb"]), storage, strict=True))
    charges = [
        Charge("cluster storage (GB-month)", "rds.aurora_iopt_storage_gb_month" if iopt else "rds.aurora_storage_gb_month", *storage),
        Charge("backup storage beyond the cluster's size (GB-month)", "rds.backup_gb_month", *backup),
    ]
    if r.inputs.get("databaseInsightsMode") == "advanced":
        charges.append(_flat("Database Insights advanced mode", "rds.database_insights_advanced", 1))
    if not iopt:
        charges.append(Charge("I/O requests", "rds.aurora_io_million", ctx.idle("db_io_million") * 1e6, ctx.usage["db_io_million"] * 1e6))
    if r.inputs.get("manageMasterUserPassword"):
        secrets = [*ctx.of_types("aws:secretsmanager/secret:Secret"), r]
        calls = ctx.share("secrets_api_calls", secrets)
        charges += [_flat("RDS-managed master user secret", "secretsmanager.secret_month", 1), Charge("secret API calls", "secretsmanager.api_10k", *calls)]
    return charges


def _secret(r: Resource, ctx: Context) -> list[Charge]:
    managed = [c for c in ctx.of_types("aws:rds/cluster:Cluster") if c.inputs.get("manageMasterUserPassword")]
    calls = ctx.share("secrets_api_calls", ctx.of_types(r.type) + managed)
    return [_flat("secret", "secretsmanager.secret_month", 1), Charge("API calls", "secretsmanager.api_10k", *calls)]


def _backup_vault(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("recovery points (GB-month)", "backup.aurora_warm_gb_month", *ctx.share("backup_vault_gb", ctx.of_types(r.type)))]


def _size(value: Any, default: float, unit: str) -> float:
    """App Runner/ECS sizes: "1024" (CPU units or MiB), "1 vCPU", "2 GB", "0.5 vCPU" -> vCPU or GB."""
    if not _known(value):
        return default
    text = str(value).strip()
    match = re.match(r"[0-9.]+", text)
    number = float(match.group(0)) if match else default
    return number if unit.lower() in text.lower() else number / 1024


def _api_minimum(ctx: Context) -> int:
    api = ctx.capture.config.values.get("vitality:api") or {}
    return int(api.get("minInstances", 1))


def _apprunner_service(r: Resource, ctx: Context) -> list[Charge]:
    config = r.inputs.get("instanceConfiguration") or {}
    vcpu, memory = _size(config.get("cpu"), 1.0, "vCPU"), _size(config.get("memory"), 2.0, "GB")
    scaling = ctx.resolve(r.inputs.get("autoScalingConfigurationArn"), "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion")
    minimum = int(scaling.inputs.get("minSize", 1)) if scaling is not None else _api_minimum(ctx)
    active = min(float(HOURS), ctx.usage["api_active_hours"])
    active_hours = minimum * active + ctx.usage["api_extra_instance_hours"]
    charges = [
        Charge(f"{minimum} provisioned x {memory:g} GB memory", "apprunner.provisioned_gb_hour", minimum * memory * HOURS, minimum * memory * (HOURS - active)),
        Charge(f"active vCPU ({vcpu:g} vCPU per instance)", "apprunner.active_vcpu_hour", 0.0, vcpu * active_hours),
        Charge("active memory", "apprunner.active_gb_hour", 0.0, memory * active_hours),
    ]
    source = r.inputs.get("sourceConfiguration") or {}
    if source.get("autoDeploymentsEnabled"):
        charges.append(_flat("automatic deployments", "apprunner.auto_deployment_month", 1))
    return charges


def _express_service(r: Resource, ctx: Context) -> list[Charge]:
    vcpu, memory = _size(r.inputs.get("cpu"), 1.0, "vCPU"), _size(r.inputs.get("memory"), 2.0, "GB")
    targets = r.inputs.get("scalingTargets") or []
    minimum = int(targets[0].get("minTaskCount", 1)) if targets else _api_minimum(ctx)
    task_hours = (minimum * HOURS, minimum * HOURS + ctx.usage["api_extra_instance_hours"])
    return [
        Charge(f"Fargate vCPU ({minimum} task(s) x {vcpu:g} vCPU)", "fargate.vcpu_hour", vcpu * task_hours[0], vcpu * task_hours[1]),
        Charge(f"Fargate memory ({memory:g} GB per task)", "fargate.gb_hour", memory * task_hours[0], memory * task_hours[1]),
        _flat(f"Application Load Balancer, {HOURS} h", "elb.alb_hour", HOURS),
        Charge("load balancer capacity units", "elb.alb_lcu_hour", 0.0, ctx.usage["alb_lcu"] * HOURS),
    ]


def _load_balancer(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("loadBalancerType", "application") != "application":
        return [_flat(f"{r.inputs.get('loadBalancerType')} load balancer", f"elb.{r.inputs.get('loadBalancerType')}_hour", HOURS)]
    return [_flat(f"Application Load Balancer, {HOURS} h", "elb.alb_hour", HOURS),
            Charge("load balancer capacity units", "elb.alb_lcu_hour", 0.0, ctx.usage["alb_lcu"] * HOURS)]


def _ecr_repository(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("image storage (GB-month)", "ecr.storage_gb_month", *ctx.share("ecr_storage_gb", ctx.of_types(r.type)))]


def _ecr_scanning(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("scanType") != "ENHANCED":
        return []  # basic scanning is free
    return [
        Charge("images scanned on push", "inspector.ecr_initial_scan", 0.0, ctx.usage["ecr_images_scanned"]),
        Charge("continuous re-scans", "inspector.ecr_rescan", ctx.idle("ecr_image_rescans"), ctx.usage["ecr_image_rescans"]),
    ]


def _distribution(r: Resource, ctx: Context) -> list[Charge]:
    return [
        Charge("data transfer out (GB)", "cloudfront.data_out_gb", 0.0, ctx.usage["cdn_data_out_gb"]),
        Charge("HTTPS requests", "cloudfront.https_requests_10k", 0.0, ctx.usage["cdn_requests"]),
    ]


def _cloudfront_function(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("invocations (one per viewer request)", "cloudfront.function_million", 0.0, ctx.usage["cdn_requests"])]


def _monitoring_subscription(r: Resource, ctx: Context) -> list[Charge]:
    return [_flat("8 additional distribution metrics", "cloudwatch.metric_month", 8)]


def _web_acl(r: Resource, ctx: Context) -> list[Charge]:
    rules = r.inputs.get("rules") or []
    requests = ctx.usage["cdn_requests"] if r.inputs.get("scope") == "CLOUDFRONT" else ctx.usage["api_requests"]
    charges = [
        _flat("web ACL", "waf.web_acl_month", 1),
        _flat(f"{len(rules)} rules / rule groups", "waf.rule_month", len(rules)),
        Charge(f"requests inspected ({'viewer' if r.inputs.get('scope') == 'CLOUDFRONT' else 'API'} requests)", "waf.requests_million", 0.0, requests),
    ]
    if "AWSManagedRulesBotControlRuleSet" in json.dumps(rules):
        charges.append(_flat("Bot Control subscription", "waf.bot_control_month", 1))
    return charges


def _waf_rule(r: Resource, ctx: Context) -> list[Charge]:
    return [_flat("rule / rule group", "waf.rule_month", 1)]


def _alarm_metrics(r: Resource) -> tuple[int, bool]:
    """(billed alarm metrics, high resolution) of a metric alarm."""
    queries = r.inputs.get("metricQueries") or []
    periods = [r.inputs.get("period")] + [(q.get("metric") or {}).get("period") for q in queries]
    high_res = any(_known(p) and int(p) < 60 for p in periods if p is not None)
    if not queries:
        return 1, high_res
    metrics = sum(1 for q in queries if q.get("metric"))
    bands = sum(1 for q in queries if "ANOMALY_DETECTION_BAND" in str(q.get("expression", "")))
    return max(1, metrics) + 2 * bands, high_res


def _metric_alarm(r: Resource, ctx: Context) -> list[Charge]:
    metrics, high_res = _alarm_metrics(r)
    price = "cloudwatch.alarm_high_res_metric_month" if high_res else "cloudwatch.alarm_metric_month"
    return [_flat(f"{metrics} alarm metric(s), {'high' if high_res else 'standard'} resolution", price, metrics)]


def _composite_alarm(r: Resource, ctx: Context) -> list[Charge]:
    return [_flat("composite alarm", "cloudwatch.composite_alarm_month", 1)]


def _dashboard(r: Resource, ctx: Context) -> list[Charge]:
    return [_flat("dashboard", "cloudwatch.dashboard_month", 1)]


def _metric_filter(r: Resource, ctx: Context) -> list[Charge]:
    transformation = r.inputs.get("metricTransformation") or {}
    dimensions = len(transformation.get("dimensions") or {})
    label = "custom metric (one per dimension value combination)" if dimensions else "custom metric"
    return [_flat(label, "cloudwatch.metric_month", 1)]


def _log_group(r: Resource, ctx: Context) -> list[Charge]:
    idle, used = ctx.share("logs_ingested_gb", ctx.of_types(r.type))
    retention = r.inputs.get("retentionInDays")
    # the bill after a year of operation: a month's logs are kept for min(retention, 12 months)
    months = min(float(retention), 365.0) / (365.0 / 12) if _known(retention) and retention else 12.0
    infrequent = r.inputs.get("logGroupClass") == "INFREQUENT_ACCESS"
    return [
        Charge("ingestion (GB)", "cloudwatch.logs_ia_ingest_gb" if infrequent else "cloudwatch.logs_ingest_gb", idle, used),
        Charge(f"storage after a year ({months:.1f} months of logs kept, GB-month)", "cloudwatch.logs_storage_gb_month", idle * months, used * months),
    ]


def _data_protection(r: Resource, ctx: Context) -> list[Charge]:
    idle, used = ctx.share("logs_ingested_gb", ctx.of_types("aws:cloudwatch/logGroup:LogGroup"))
    return [Charge("log data scanned (GB, the group's share of ingestion)", "cloudwatch.logs_data_protection_gb", idle, used)]


def _log_delivery(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("vended logs delivered (GB)", "cloudwatch.logs_delivery_s3_gb", 0.0, ctx.usage["delivered_log_gb"])]


def _rum(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("RUM events", "rum.events_100k", *ctx.share("rum_events", ctx.of_types(r.type)))]


_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")


def _canary(r: Resource, ctx: Context) -> list[Charge]:
    expression = str((r.inputs.get("schedule") or {}).get("expression", ""))
    match = _RATE.fullmatch(expression.strip())
    if expression.strip() == "rate(0 minute)":
        return [_flat("runs once on start", "synthetics.canary_run", 1)]
    if not match:
        return [_flat(f"runs of schedule {expression!r} (only rate() is modelled)", "synthetics.canary_run.unmodelled", 1)]
    every = int(match.group(1)) * {"minute": 1, "hour": 60, "day": 1440}[match.group(2).rstrip("s")]
    runs = HOURS * 60 / every
    return [_flat(f"{runs:,.0f} runs ({expression})", "synthetics.canary_run", runs)]


def _observability_configuration(r: Resource, ctx: Context) -> list[Charge]:
    trace = r.inputs.get("traceConfiguration") or {}
    if trace.get("vendor") != "AWSXRAY":
        return []
    return [Charge("X-Ray traces recorded", "xray.traces_recorded_million", *ctx.share("xray_traces", ctx.of_types(r.type)))]


def _xray_group(r: Resource, ctx: Context) -> list[Charge]:
    insights = r.inputs.get("insightsConfiguration") or {}
    if not insights.get("insightsEnabled"):
        return []  # a group without Insights is free
    return [Charge("traces processed by Insights", "xray.insights_traces_million", 0.0, ctx.usage["xray_traces"])]


def _kms_key(r: Resource, ctx: Context) -> list[Charge]:
    keys = ctx.of_types(r.type)
    return [_flat("customer managed key", "kms.key_month", 1), Charge("API requests", "kms.requests_10k", *ctx.share("kms_requests", keys))]


def _trail_has_data_events(r: Resource) -> bool:
    for selector in r.inputs.get("advancedEventSelectors") or []:
        for field_selector in selector.get("fieldSelectors") or []:
            if field_selector.get("field") == "eventCategory" and "Data" in (field_selector.get("equals") or []):
                return True
    return any(s.get("dataResources") for s in r.inputs.get("eventSelectors") or [])


def _trail(r: Resource, ctx: Context) -> list[Charge]:
    charges = []
    if _trail_has_data_events(r):
        charges.append(Charge("data events", "cloudtrail.data_events_100k", 0.0, ctx.usage["cloudtrail_data_events"]))
    kinds = len(r.inputs.get("insightSelectors") or [])
    if kinds:
        events = (ctx.idle("cloudtrail_management_events") * kinds, ctx.usage["cloudtrail_management_events"] * kinds)
        charges.append(Charge(f"management events analyzed by {kinds} Insights type(s)", "cloudtrail.insights_events_100k", *events))
    return charges  # the first copy of management events is free


def _recorder(r: Resource, ctx: Context) -> list[Charge]:
    mode = (r.inputs.get("recordingMode") or {}).get("recordingFrequency", "CONTINUOUS")
    price = "config.ci_periodic" if mode == "DAILY" else "config.ci_continuous"
    return [Charge(f"configuration items ({mode.lower()} recording)", price, ctx.idle("config_items"), ctx.usage["config_items"])]


def _config_rule(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("rule evaluations", "config.rule_evaluation", ctx.idle("config_rule_evaluations"), ctx.usage["config_rule_evaluations"])]


def _conformance_pack(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("conformance pack evaluations", "config.conformance_evaluation", ctx.idle("config_conformance_evaluations"), ctx.usage["config_conformance_evaluations"])]


def _securityhub(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("security checks", "securityhub.check", ctx.idle("securityhub_checks"), ctx.usage["securityhub_checks"])]


def _securityhub_v2(r: Resource, ctx: Context) -> list[Charge]:
    return [_flat("unified Security Hub (per-resource Essentials plan)", "securityhub.essentials_resource_month", 1)]


def _guardduty(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("enable") is False:
        return []
    events = ctx.idle("cloudtrail_management_events"), ctx.usage["cloudtrail_management_events"]
    return [
        Charge("CloudTrail management events analyzed", "guardduty.cloudtrail_events_million", *events),
        Charge("VPC flow and DNS logs analyzed (GB)", "guardduty.flow_dns_gb", 0.0, ctx.usage["guardduty_flow_dns_gb"]),
    ]


_GUARDDUTY_FEATURES: dict[str, Callable[[Context], Charge]] = {
    "S3_DATA_EVENTS": lambda ctx: Charge("S3 data events analyzed", "guardduty.s3_events_million", 0.0, ctx.usage["guardduty_s3_events"]),
    "RDS_LOGIN_EVENTS": lambda ctx: Charge("RDS login activity", "guardduty.rds_protection", 0.0, 1),
}


def _runtime_monitoring(ctx: Context) -> list[Charge]:
    """Runtime Monitoring bills per vCPU-hour of monitored EC2, EKS and ECS Fargate; App Runner is not covered."""
    tasks = ctx.of_types("aws:ecs/expressGatewayService:ExpressGatewayService")
    if not tasks:
        return []
    return [_flat("ECS Fargate vCPU-hours monitored", "guardduty.runtime_monitoring_vcpu_hour", 1)]


# Plans whose subject the program does not create (no EKS cluster, no EC2 instance or EBS volume) analyze
# nothing and cost nothing; a pricer for EKS or EC2 resources would be needed first, and those types are
# reported as unpriced.
_GUARDDUTY_NOTHING_TO_ANALYZE = ("EKS_AUDIT_LOGS", "EKS_RUNTIME_MONITORING", "EBS_MALWARE_PROTECTION")


def _guardduty_feature(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("status") != "ENABLED":
        return []
    name = str(r.inputs.get("name"))
    if name in _GUARDDUTY_FEATURES:
        return [_GUARDDUTY_FEATURES[name](ctx)]
    if name == "RUNTIME_MONITORING":
        return _runtime_monitoring(ctx)
    if name in _GUARDDUTY_NOTHING_TO_ANALYZE:
        return []
    return [_flat(f"protection plan {name}", f"guardduty.{name.lower()}", 1)]


def _analyzer(r: Resource, ctx: Context) -> list[Charge]:
    kind = str(r.inputs.get("type", "ACCOUNT"))
    if kind in ("ACCOUNT", "ORGANIZATION"):
        return []  # external access analysis is free
    if kind.endswith("UNUSED_ACCESS"):
        principals = ctx.idle("access_analyzer_principals"), ctx.usage["access_analyzer_principals"]
        return [Charge("IAM roles and users analyzed", "accessanalyzer.unused_principal_month", *principals)]
    return [_flat(f"{kind.lower()} analysis", f"accessanalyzer.{kind.lower()}", 1)]


def _hosted_zone(r: Resource, ctx: Context) -> list[Charge]:
    return [_flat("hosted zone", "route53.hosted_zone_month", 1), Charge("standard queries", "route53.queries_million", 0.0, ctx.usage["route53_queries"])]


def _bucket(r: Resource, ctx: Context) -> list[Charge]:
    buckets = ctx.of_types(r.type)
    return [
        Charge("S3 Standard storage (GB-month)", "s3.standard_gb_month", *ctx.share("s3_storage_gb", buckets)),
        Charge("PUT/LIST requests", "s3.put_1k", *ctx.share("s3_put_requests", buckets)),
        Charge("GET requests", "s3.get_1k", *ctx.share("s3_get_requests", buckets)),
    ]


def _ssm_parameter(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("tier", "Standard") == "Standard":
        return []  # standard parameters (SecureString included) are free; KMS bills the decrypts on the key
    return [_flat(f"{r.inputs.get('tier')} parameter", "ssm.advanced_parameter_month", 1)]


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:apprunner/service:Service": _apprunner_service,
    "aws:apprunner/observabilityConfiguration:ObservabilityConfiguration": _observability_configuration,
    "aws:ecs/expressGatewayService:ExpressGatewayService": _express_service,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": _ecr_scanning,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:cloudfront/function:Function": _cloudfront_function,
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": _monitoring_subscription,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclRule:WebAclRule": _waf_rule,
    "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation": _waf_rule,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _composite_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _metric_filter,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy": _data_protection,
    "aws:cloudwatch/logDelivery:LogDelivery": _log_delivery,
    "aws:rum/appMonitor:AppMonitor": _rum,
    "aws:synthetics/canary:Canary": _canary,
    "aws:xray/group:Group": _xray_group,
    "aws:kms/key:Key": _kms_key,
    "aws:cloudtrail/trail:Trail": _trail,
    "aws:cfg/recorder:Recorder": _recorder,
    "aws:cfg/rule:Rule": _config_rule,
    "aws:cfg/conformancePack:ConformancePack": _conformance_pack,
    "aws:securityhub/account:Account": _securityhub,
    "aws:securityhub/accountV2:AccountV2": _securityhub_v2,
    "aws:guardduty/detector:Detector": _guardduty,
    "aws:guardduty/detectorFeature:DetectorFeature": _guardduty_feature,
    "aws:accessanalyzer/analyzer:Analyzer": _analyzer,
    "aws:route53/zone:Zone": _hosted_zone,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:ssm/parameter:Parameter": _ssm_parameter,
}

# Types with no charge of their own, and why. A type in neither table is reported as "no price".
FREE: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "no charge for a VPC",
    "aws:ec2/subnet:Subnet": "no charge for subnets",
    "aws:ec2/routeTable:RouteTable": "no charge for route tables",
    "aws:ec2/route:Route": "no charge for routes",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge for route table associations",
    "aws:ec2/internetGateway:InternetGateway": "no charge for the gateway; data transfer is billed where it leaves",
    "aws:ec2/securityGroup:SecurityGroup": "no charge for security groups",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "no charge for security groups",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge for security group rules",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge for security group rules",
    "aws:ec2/networkAcl:NetworkAcl": "no charge for network ACLs",
    "aws:ec2/networkAclRule:NetworkAclRule": "no charge for network ACL rules",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "no charge for network ACLs",
    "aws:ec2/defaultRouteTable:DefaultRouteTable": "no charge for route tables",
    "aws:ec2/flowLog:FlowLog": "billed as log ingestion on its destination log group or bucket",
    "aws:iam/role:Role": "IAM is free",
    "aws:iam/rolePolicy:RolePolicy": "IAM is free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
    "aws:iam/policy:Policy": "IAM is free",
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": "IAM is free",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "IAM is free",
    "aws:kms/alias:Alias": "no charge for aliases (the key is billed)",
    "aws:kms/keyPolicy:KeyPolicy": "no charge for key policies (the key is billed)",
    "aws:account/alternativeContact:AlternativeContact": "account setting, no charge",
    "aws:s3/bucketObjectv2:BucketObjectv2": "its bytes are billed as storage of its bucket (usage s3_storage_gb)",
    "aws:securityhub/productSubscription:ProductSubscription": "findings from AWS integrations: the first 10,000 "
    "ingestion events a month per account and region are free, more than this stack produces",
    "aws:sns/topic:Topic": "no charge per topic; alarm notifications stay within SNS's always-free tier "
    "(1M publishes, 1,000 e-mail deliveries a month)",
    "aws:sns/topicPolicy:TopicPolicy": "no charge for topic policies",
    "aws:sns/topicSubscription:TopicSubscription": "e-mail deliveries within the always-free 1,000 a month at alarm volume",
    "aws:rds/subnetGroup:SubnetGroup": "no charge for DB subnet groups",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "no charge for parameter groups",
    "aws:rds/parameterGroup:ParameterGroup": "no charge for parameter groups",
    "aws:rds/clusterEndpoint:ClusterEndpoint": "no charge for custom cluster endpoints",
    "aws:secretsmanager/secretVersion:SecretVersion": "secret versions are included in the secret's monthly price",
    "aws:rds/eventSubscription:EventSubscription": "RDS event notifications are free (SNS bills the topic)",
    "aws:secretsmanager/secretRotation:SecretRotation": "rotation of the RDS-managed secret is done by RDS at no charge",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket configuration "
    "(KMS requests are billed on the key)",
    "aws:s3/bucketVersioning:BucketVersioning": "bucket configuration (stored versions are billed as bucket storage)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketLogging:BucketLogging": "access log objects are billed as storage of the target bucket",
    "aws:s3/bucketNotification:BucketNotification": "bucket configuration (the bucket is billed)",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "bucket configuration (the bucket is billed)",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": "account setting, no charge",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "account setting, no charge",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "no charge for resource policies",
    "aws:cloudwatch/eventRule:EventRule": "events from AWS services on the default bus are free",
    "aws:cloudwatch/eventTarget:EventTarget": "delivery to SNS from the default bus is free (SNS bills the topic)",
    "aws:cloudwatch/queryDefinition:QueryDefinition": "saved queries are free (queries are billed when run)",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": "billed on the log delivery",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "billed on the log delivery",
    "aws:cloudwatch/logDeliveryDestinationPolicy:LogDeliveryDestinationPolicy": "billed on the log delivery",
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "no charge for validation",
    "aws:route53/record:Record": "records are free; alias queries to CloudFront are free (the zone bills other queries)",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "no charge for origin access control",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "no charge for policies",
    "aws:cloudfront/cachePolicy:CachePolicy": "no charge for policies",
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": "no charge for policies",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "billed on the web ACL",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "billed as log ingestion on the WAF log group",
    "aws:wafv2/ipSet:IpSet": "IP sets are free (the rule that references one is billed)",
    "aws:wafv2/regexPatternSet:RegexPatternSet": "pattern sets are free (the rule that references one is billed)",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "no charge for lifecycle policies",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "no charge for repository policies",
    "aws:ecr/registryPolicy:RegistryPolicy": "no charge for registry policies",
    "aws:apprunner/vpcConnector:VpcConnector": "no charge for the connector; its traffic is billed on NAT and endpoints",
    "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion": "configuration (instances are "
    "billed on the service)",
    "aws:ecs/cluster:Cluster": "no charge for the cluster (Fargate tasks are billed on the service)",
    "aws:appautoscaling/target:Target": "Application Auto Scaling is free",
    "aws:appautoscaling/policy:Policy": "Application Auto Scaling is free (its alarms are created by AWS)",
    "aws:cognito/identityPool:IdentityPool": "Cognito identity pools are free",
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment": "Cognito identity pools are free",
    "aws:cfg/deliveryChannel:DeliveryChannel": "delivered files are billed as S3 storage",
    "aws:cfg/recorderStatus:RecorderStatus": "billed on the recorder",
    "aws:cfg/retentionConfiguration:RetentionConfiguration": "no charge for the setting",
    "aws:cfg/remediationConfiguration:RemediationConfiguration": "AWS-owned SSM Automation runbooks; steps stay "
    "within the free 100,000 a month",
    "aws:securityhub/standardsSubscription:StandardsSubscription": "checks are billed on the Security Hub account",
    "aws:securityhub/standardsControlAssociation:StandardsControlAssociation": "no charge for the setting",
    "aws:securityhub/findingAggregator:FindingAggregator": "no charge for aggregation",
    "aws:securityhub/automationRule:AutomationRule": "no charge for automation rules",
    "aws:accessanalyzer/archiveRule:ArchiveRule": "no charge for archive rules",
    "aws:xray/samplingRule:SamplingRule": "no charge for rules (recorded traces are billed)",
    "aws:xray/encryptionConfig:EncryptionConfig": "no charge for the setting (KMS bills the key)",
    "aws:backup/plan:Plan": "recovery points are billed on the vault",
    "aws:backup/selection:Selection": "recovery points are billed on the vault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "no charge for vault lock",
    "aws:backup/vaultPolicy:VaultPolicy": "no charge for vault policies",
    "aws:backup/vaultNotifications:VaultNotifications": "no charge (SNS bills the topic)",
    "aws:budgets/budget:Budget": "budgets are free (only action-enabled budgets beyond two are billed)",
    "aws:lambda/permission:Permission": "no charge for permissions",
}


def free_reason(typ: str) -> Optional[str]:
    if not typ.startswith("aws:"):
        return "not an AWS resource"
    return FREE.get(typ)


# --------------------------------------------------------------------------------------------------
# Estimate
# --------------------------------------------------------------------------------------------------


@dataclass
class Cost:
    charge: Charge
    unit_price: Optional[float]  # None: no price for this charge
    region: str

    def usd(self, quantity: float, price: Price) -> float:
        return quantity / price.per * (self.unit_price or 0.0)


@dataclass
class Line:
    resource: Resource
    component: str
    region: str
    status: str  # "priced" | "free" | "unpriced"
    reason: str = ""
    costs: list[Cost] = field(default_factory=list)
    idle: float = 0.0
    used: float = 0.0

    @property
    def unpriced_charges(self) -> list[Cost]:
        return [c for c in self.costs if c.unit_price is None]


@dataclass
class Estimate:
    stack: str
    environment: str
    region: str
    usage: dict[str, float]
    lines: list[Line]
    prices: dict[str, Price]
    overrides: dict[str, Any] = field(default_factory=dict)
    component_names: list[str] = field(default_factory=list)  # every component, also those with nothing billable

    @property
    def priced(self) -> list[Line]:
        return [line for line in self.lines if line.status == "priced"]

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.status == "unpriced" or line.unpriced_charges]

    @property
    def idle(self) -> float:
        return sum(line.idle for line in self.lines)

    @property
    def used(self) -> float:
        return sum(line.used for line in self.lines)

    def components(self) -> dict[str, tuple[float, float]]:
        totals: dict[str, tuple[float, float]] = dict.fromkeys(self.component_names, (0.0, 0.0))
        for line in self.lines:
            idle, used = totals.get(line.component, (0.0, 0.0))
            totals[line.component] = (idle + line.idle, used + line.used)
        return totals

    def price_dates(self) -> list[str]:
        keys = {c.charge.price for line in self.lines for c in line.costs if c.unit_price is not None}
        return sorted({self.prices[k].read for k in keys}) or sorted({p.read for p in self.prices.values()})


def _region_of(resource: Resource, stack_region: str) -> str:
    region = resource.inputs.get("region")
    return region if isinstance(region, str) and region else stack_region


def price_resource(resource: Resource, ctx: Context, prices: Mapping[str, Price]) -> list[Cost]:
    costs = []
    for charge in PRICERS[resource.type](resource, ctx):
        price = prices.get(charge.price)
        region = _region_of(resource, ctx.region)
        costs.append(Cost(charge, price.value(region) if price else None, region))
    return costs


def estimate(
    capture: Capture,
    usage: Optional[Mapping[str, float]] = None,
    prices: Optional[Mapping[str, Price]] = None,
    usage_keys: Optional[Mapping[str, UsageKey]] = None,
) -> Estimate:
    prices = dict(prices or load_prices())
    usage_keys = usage_keys or load_usage_keys()
    environment = str(capture.config.values.get("vitality:environment", "dev"))
    region = str(capture.config.values.get("aws:region", "us-east-1"))
    profile = dict(usage if usage is not None else usage_profile(environment, keys=usage_keys))
    ctx = Context(capture, region, profile, usage_keys)
    lines = []
    for resource in capture.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        owner = capture.component_of(resource)
        component = owner.name if owner is not None else "(stack)"
        line = Line(resource, component, _region_of(resource, region), "priced")
        if resource.type in PRICERS:
            line.costs = price_resource(resource, ctx, prices)
            for cost in line.costs:
                if cost.unit_price is None:
                    continue
                price = prices[cost.charge.price]
                line.idle += cost.usd(cost.charge.idle, price)
                line.used += cost.usd(cost.charge.used, price)
        elif free_reason(resource.type) is not None:
            line.status, line.reason = "free", free_reason(resource.type) or ""
        else:
            line.status, line.reason = "unpriced", "no price entry for this type"
        lines.append(line)
    names = [r.name for r in capture.resources if not r.custom and r.type != "pulumi:pulumi:Stack"]
    return Estimate(capture.stack, environment, region, profile, lines, prices, component_names=names)


def estimate_stack(
    stack: str,
    overrides: Optional[Mapping[str, Any]] = None,
    usage_overrides: Optional[Mapping[str, Any]] = None,
    usage_file: Optional[Mapping[str, Any]] = None,
) -> Estimate:
    capture = run(stack, preview=False, overrides=overrides)
    environment = str(capture.config.values.get("vitality:environment", "dev"))
    result = estimate(capture, usage_profile(environment, usage_overrides, usage_file))
    result.overrides = dict(overrides or {})
    return result


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _short(typ: str) -> str:
    package, module, kind = [*typ.split(":"), "", ""][:3]
    return f"{package}:{module.split('/')[0]}:{kind}" if "/" in module else typ


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _header(result: Estimate) -> list[str]:
    lines = [
        f"Monthly cost estimate for {result.stack} ({result.environment}, {result.region}), USD, on-demand list prices",
        f"Prices read: {', '.join(result.price_dates())} (offline/prices.yaml; sources and notes per entry)",
    ]
    if result.overrides:
        lines.append("Config overrides: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in result.overrides.items()))
    return lines


def render(result: Estimate, detail: bool = False) -> str:
    def label(line: Line) -> str:
        return line.resource.name + (f" [{line.region}]" if line.region != result.region else "")

    width = max([len(label(line)) + 4 for line in result.priced] + [len(c) for c in result.components()] + [40])
    out = [*_header(result), ""]
    out.append(f"{'component / resource':<{width}}  {'type':<42}{'idle':>12}{'with usage':>12}")
    for component, (idle, used) in result.components().items():
        out.append(f"{component:<{width}}  {'':<42}{_money(idle):>12}{_money(used):>12}")
        for line in result.priced:
            if line.component != component or (not line.costs and not detail):
                continue
            out.append(f"  {label(line):<{width - 2}}  {_short(line.resource.type):<42}{_money(line.idle):>12}{_money(line.used):>12}")
            if detail:
                for cost in line.costs:
                    price = result.prices.get(cost.charge.price)
                    unit = f"{price.unit}" if price else cost.charge.price
                    each = "no price" if cost.unit_price is None or price is None else f"${cost.unit_price:g}" + ("" if price.per == 1 else f" per {price.per:,.0f}")
                    out.append(f"      {cost.charge.item}: {cost.charge.idle:,.2f} idle / {cost.charge.used:,.2f} with usage, in [{unit}] at {each}")
    out.append(f"{'TOTAL':<{width}}  {'':<42}{_money(result.idle):>12}{_money(result.used):>12}")
    out.append("")
    unpriced = result.unpriced
    if unpriced:
        out.append(f"NOT PRICED ({len(unpriced)}; not counted in the totals):")
        for line in unpriced:
            what = line.reason or "; ".join(f"{c.charge.item} ({c.charge.price}: no price in {c.region})" for c in line.unpriced_charges)
            out.append(f"  {line.resource.name}  {line.resource.type}: {what}")
    else:
        out.append("Every billable resource is priced.")
    free = sorted({line.resource.type for line in result.lines if line.status == "free"})
    out.append(f"Free types ({len([line for line in result.lines if line.status == 'free'])} resources): {', '.join(_short(t) for t in free)}")
    out.append("Usage profile: " + ", ".join(f"{k}={v:,.10g}" for k, v in result.usage.items()))
    return "\n".join(out)


def _stackless(name: str, stack: str) -> str:
    """`vitality-prod-net-nat-us-west-2a` -> `net-nat-us-west-2a`, so that two stacks' resources line up."""
    return name.removeprefix(f"vitality-{stack}-")


def render_difference(base: Estimate, other: Estimate, base_label: str, other_label: str) -> str:
    out = [f"Cost difference: {other_label} vs {base_label} (USD per month)"]
    out += [*_header(other)[1:], ""]
    before_components = {_stackless(k, base.stack): v for k, v in base.components().items()}
    after_components = {_stackless(k, other.stack): v for k, v in other.components().items()}
    names = list(dict.fromkeys(list(before_components) + list(after_components)))
    width = max([len(n) for n in names] + [30])
    out.append(f"{'component':<{width}}{'idle':>11}{'->':>4}{'idle':>11}{'delta':>11}  {'usage':>11}{'->':>4}{'usage':>11}{'delta':>11}")

    def row(label: str, a: tuple[float, float], b: tuple[float, float]) -> str:
        return (f"{label:<{width}}{_money(a[0]):>11}{'':>4}{_money(b[0]):>11}{b[0] - a[0]:>+11,.2f}  "
                f"{_money(a[1]):>11}{'':>4}{_money(b[1]):>11}{b[1] - a[1]:>+11,.2f}")

    for name in names:
        out.append(row(name, before_components.get(name, (0.0, 0.0)), after_components.get(name, (0.0, 0.0))))
    out.append(row("TOTAL", (base.idle, base.used), (other.idle, other.used)))
    before = {(line.resource.type, _stackless(line.resource.name, base.stack)): line for line in base.priced}
    after = {(line.resource.type, _stackless(line.resource.name, other.stack)): line for line in other.priced}
    changes = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        a_cost = (a.idle, a.used) if a else (0.0, 0.0)
        b_cost = (b.idle, b.used) if b else (0.0, 0.0)
        if a is None or b is None or abs(a_cost[0] - b_cost[0]) > 0.005 or abs(a_cost[1] - b_cost[1]) > 0.005:
            mark = "+" if a is None else "-" if b is None else "~"
            changes.append(f"  {mark} {key[1]} ({_short(key[0])}): idle {b_cost[0] - a_cost[0]:+,.2f}, usage {b_cost[1] - a_cost[1]:+,.2f}")
    out += ["", "Resources that change (+ added, - removed, ~ cost changed):"] + (changes or ["  (none)"])
    missing = base.unpriced + other.unpriced
    if missing:
        out.append(f"NOT PRICED in either estimate: {sorted({line.resource.type for line in missing})}")
    return "\n".join(out)


def as_json(result: Estimate) -> dict[str, Any]:
    return {
        "stack": result.stack,
        "environment": result.environment,
        "region": result.region,
        "priceDates": result.price_dates(),
        "total": {"idle": round(result.idle, 2), "usage": round(result.used, 2)},
        "components": {k: {"idle": round(v[0], 2), "usage": round(v[1], 2)} for k, v in result.components().items()},
        "resources": [
            {"name": line.resource.name, "type": line.resource.type, "component": line.component, "region": line.region,
             "idle": round(line.idle, 2), "usage": round(line.used, 2)}
            for line in result.priced
        ],
        "notPriced": [{"name": line.resource.name, "type": line.resource.type} for line in result.unpriced],
        "usage": result.usage,
    }


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def _command(args: argparse.Namespace) -> int:
    from .__main__ import parse_set

    try:
        flags = parse_usage(args.usage)
        from_file = read_usage_file(Path(args.usage_file)) if args.usage_file else None
        overrides = parse_set(args.set)
        result = estimate_stack(args.stack, overrides, flags, from_file)
        if args.compare:
            other = estimate_stack(args.compare, overrides, flags, from_file)
            print(render_difference(result, other, args.stack, args.compare))
            return 0
        if overrides:
            base = estimate_stack(args.stack, None, flags, from_file)
            print(render_difference(base, result, f"{args.stack} as configured", f"{args.stack} with --set"))
            return 0
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(as_json(result), indent=2) if args.json else render(result, detail=args.detail))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cost", help="estimate the monthly cost of a stack, idle and with a usage profile",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", "-s", default="dev")
    parser.add_argument("--usage", action="append", default=[], metavar="KEY=VALUE",
                        help="override a usage profile value (keys: offline/usage.yaml)")
    parser.add_argument("--usage-file", metavar="FILE", help="YAML map of usage key to value, applied before --usage")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value and show the difference it makes")
    parser.add_argument("--compare", metavar="STACK", help="show the difference from STACK")
    parser.add_argument("--detail", action="store_true", help="show each charge: quantity, unit and price")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    parser.set_defaults(func=_command)
