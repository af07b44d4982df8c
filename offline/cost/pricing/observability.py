"""Observability pricing: CloudWatch alarms, dashboards, metrics and logs, RUM, Synthetics canaries, X-Ray;
SNS, EventBridge and budgets at the volumes the program produces."""

from __future__ import annotations

import re

from ...engine import Resource
from ..model import HOURS, Charge, Context, Pricer, flat, known


def _alarm_metrics(r: Resource) -> tuple[int, bool]:
    """(billed alarm metrics, high resolution) of a metric alarm."""
    queries = r.inputs.get("metricQueries") or []
    periods = [r.inputs.get("period")] + [(q.get("metric") or {}).get("period") for q in queries]
    high_res = any(known(p) and int(p) < 60 for p in periods if p is not None)
    if not queries:
        return 1, high_res
    metrics = sum(1 for q in queries if q.get("metric"))
    bands = sum(1 for q in queries if "ANOMALY_DETECTION_BAND" in str(q.get("expression", "")))
    return max(1, metrics) + 2 * bands, high_res


def _metric_alarm(r: Resource, ctx: Context) -> list[Charge]:
    metrics, high_res = _alarm_metrics(r)
    price = "cloudwatch.alarm_high_res_metric_month" if high_res else "cloudwatch.alarm_metric_month"
    return [flat(f"{metrics} alarm metric(s), {'high' if high_res else 'standard'} resolution", price, metrics)]


def _composite_alarm(r: Resource, ctx: Context) -> list[Charge]:
    return [flat("composite alarm", "cloudwatch.composite_alarm_month", 1)]


def _dashboard(r: Resource, ctx: Context) -> list[Charge]:
    return [flat("dashboard", "cloudwatch.dashboard_month", 1)]


def _metric_filter(r: Resource, ctx: Context) -> list[Charge]:
    transformation = r.inputs.get("metricTransformation") or {}
    dimensions = len(transformation.get("dimensions") or {})
    label = "custom metric (one per dimension value combination)" if dimensions else "custom metric"
    return [flat(label, "cloudwatch.metric_month", 1)]


def _log_group(r: Resource, ctx: Context) -> list[Charge]:
    idle, used = ctx.share("logs_ingested_gb", ctx.of_types(r.type))
    retention = r.inputs.get("retentionInDays")
    # the bill after a year of operation: a month's logs are kept for min(retention, 12 months)
    months = min(float(retention), 365.0) / (365.0 / 12) if known(retention) and retention else 12.0
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
        return [flat("runs once on start", "synthetics.canary_run", 1)]
    if not match:
        return [flat(f"runs of schedule {expression!r} (only rate() is modelled)", "synthetics.canary_run.unmodelled", 1)]
    every = int(match.group(1)) * {"minute": 1, "hour": 60, "day": 1440}[match.group(2).rstrip("s")]
    runs = HOURS * 60 / every
    return [flat(f"{runs:,.0f} runs ({expression})", "synthetics.canary_run", runs)]


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


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:apprunner/observabilityConfiguration:ObservabilityConfiguration": _observability_configuration,
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
}

# Types with no charge of their own, and why.
FREE: dict[str, str] = {
    "aws:sns/topic:Topic": "no charge per topic; alarm notifications stay within SNS's always-free tier "
    "(1M publishes, 1,000 e-mail deliveries a month)",
    "aws:sns/topicPolicy:TopicPolicy": "no charge for topic policies",
    "aws:sns/topicSubscription:TopicSubscription": "e-mail deliveries within the always-free 1,000 a month at alarm volume",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "no charge for resource policies",
    "aws:cloudwatch/eventRule:EventRule": "events from AWS services on the default bus are free",
    "aws:cloudwatch/eventTarget:EventTarget": "delivery to SNS from the default bus is free (SNS bills the topic)",
    "aws:cloudwatch/queryDefinition:QueryDefinition": "saved queries are free (queries are billed when run)",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": "billed on the log delivery",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "billed on the log delivery",
    "aws:cloudwatch/logDeliveryDestinationPolicy:LogDeliveryDestinationPolicy": "billed on the log delivery",
    "aws:cognito/identityPool:IdentityPool": "Cognito identity pools are free",
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment": "Cognito identity pools are free",
    "aws:xray/samplingRule:SamplingRule": "no charge for rules (recorded traces are billed)",
    "aws:xray/encryptionConfig:EncryptionConfig": "no charge for the setting (KMS bills the key)",
    "aws:budgets/budget:Budget": "budgets are free (only action-enabled budgets beyond two are billed)",
}
