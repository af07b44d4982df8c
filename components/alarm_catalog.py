"""The alarm catalog: one declarative table from which the CloudWatch alarms, the composite alarms, the
dashboard and the table in docs/observability.md are all generated.

Plain data only (no Pulumi resources), so the settings layer can validate `observability.thresholds` keys
against `ALARM_IDS` and the docs test can render the table without running the program.

An entry's `id` is stable: it is the alarm's logical-name suffix (renaming it replaces the alarm) and the
key of a threshold override. Thresholds are per environment; `scale` multiplies the threshold by a plain
setting (ACUs, instances) so that a capacity change moves the alarm with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

GT = "GreaterThanThreshold"
GTE = "GreaterThanOrEqualToThreshold"
LT = "LessThanThreshold"

_COMPARISON_TEXT = {GT: ">", GTE: ">=", LT: "<"}


@dataclass(frozen=True)
class Service:
    """A dashboard section and a composite alarm; `edge` services have their metrics in us-east-1."""

    key: str
    title: str
    edge: bool = False


SERVICES: tuple[Service, ...] = (
    Service("aurora", "Aurora PostgreSQL"),
    Service("api", "API"),
    Service("cdn", "CloudFront", edge=True),
    Service("waf", "WAF for CloudFront", edge=True),
    Service("nat", "NAT gateways"),
    Service("rum", "Real-user monitoring"),
)
SERVICE_KEYS = tuple(s.key for s in SERVICES)


@dataclass(frozen=True)
class Threshold:
    dev: float
    prod: float

    def for_environment(self, environment: str) -> float:
        return self.prod if environment == "prod" else self.dev


@dataclass(frozen=True)
class MetricInput:
    """One metric a metric-math expression reads (same namespace and dimensions as the entry)."""

    id: str  # lower-case letter first, as metric math requires
    metric: str
    statistic: str


@dataclass(frozen=True)
class AlarmSpec:
    id: str
    service: str
    namespace: str
    metric: str  # the metric, or the label of the expression
    statistic: str  # Average | Sum | Maximum | Minimum | pNN (the expression's inputs carry their own)
    threshold: Threshold
    comparison: str
    unit: str
    severity: str  # critical: part of the service's page (composite alarm); warning: look in working hours
    description: str
    period: int = 300
    evaluation_periods: int = 3
    datapoints: int = 2
    missing: str = "notBreaching"
    platform: Optional[str] = None  # api entries: the platform they apply to
    # ecs api entries: "service" (ClusterName + ServiceName), "load_balancer" (LoadBalancer) or "target_group"
    # (LoadBalancer + TargetGroup)
    dimensions: str = "service"
    needs_readers: bool = False  # only when the cluster has reader instances
    per_nat_gateway: bool = False  # one alarm per NAT gateway
    scale: Optional[str] = None  # "max_capacity" (ACUs) | "max_instances": threshold x that setting
    ceiling: Optional[float] = None  # a scaled threshold never exceeds this
    expression: Optional[str] = None  # metric math over `inputs`
    inputs: tuple[MetricInput, ...] = ()

    def threshold_for(self, environment: str, scale_value: float = 1.0, override: Optional[float] = None) -> float:
        base = self.threshold.for_environment(environment) if override is None else override
        scaled = base * scale_value if self.scale and override is None else base
        return min(scaled, self.ceiling) if self.ceiling is not None and override is None else scaled


CATALOG: tuple[AlarmSpec, ...] = (
    # ---- Aurora PostgreSQL Serverless v2 (AWS/RDS, DBClusterIdentifier) --------------------------------------
    AlarmSpec(
        "aurora-cpu", "aurora", "AWS/RDS", "CPUUtilization", "Average", Threshold(90, 80), GT, "Percent", "critical",
        "Cluster CPU is saturated: queries queue. Check Performance Insights top SQL, then raise maxCapacity.",
    ),
    AlarmSpec(
        "aurora-connections", "aurora", "AWS/RDS", "DatabaseConnections", "Maximum", Threshold(180, 180), GT, "Count",
        "critical",
        "Connections near max_connections (about 225 per ACU of maxCapacity, at most 5000; the threshold is 80% of "
        "it). Look for connection leaks or missing pooling in the API.",
        scale="max_capacity", ceiling=4000,
    ),
    AlarmSpec(
        "aurora-acu", "aurora", "AWS/RDS", "ACUUtilization", "Maximum", Threshold(95, 90), GT, "Percent", "warning",
        "Serverless v2 capacity is at its ceiling (ACUUtilization is ServerlessDatabaseCapacity / maxCapacity). "
        "Raise database.maxCapacity or tune the workload.",
    ),
    AlarmSpec(
        "aurora-freeable-memory", "aurora", "AWS/RDS", "FreeableMemory", "Minimum", Threshold(128 * 2**20, 256 * 2**20),
        LT, "Bytes", "critical",
        "An instance is short of memory: expect swapping and evicted buffers. Raise minCapacity/maxCapacity.",
        missing="notBreaching",
    ),
    AlarmSpec(
        "aurora-replica-lag", "aurora", "AWS/RDS", "AuroraReplicaLagMaximum", "Maximum", Threshold(5000, 2000), GT,
        "Milliseconds", "warning",
        "A reader lags the writer (cluster-level maximum of AuroraReplicaLag): reads through the reader endpoint "
        "are stale. Check the writer's write load and the reader's capacity.",
        needs_readers=True,
    ),
    AlarmSpec(
        "aurora-deadlocks", "aurora", "AWS/RDS", "Deadlocks", "Maximum", Threshold(0, 0), GT, "Count/Second", "warning",
        "Transactions deadlocked. Find them in the postgresql log (saved query 'slow-queries' shows the "
        "surrounding statements) and fix the lock order.",
        evaluation_periods=1, datapoints=1,
    ),
    # ---- API on App Runner (AWS/AppRunner, ServiceName + ServiceID) ------------------------------------------
    AlarmSpec(
        "api-5xx", "api", "AWS/AppRunner", "5xxStatusResponses", "Sum", Threshold(20, 10), GT, "Count", "warning",
        "The API returned server errors. Saved query 'api-5xx-by-path' shows which routes.",
        platform="apprunner",
    ),
    AlarmSpec(
        "api-5xx-rate", "api", "AWS/AppRunner", "5xxRate", "Sum", Threshold(10, 5), GT, "Percent", "critical",
        "More than the threshold share of API requests fail with 5xx (metric math 100 x 5xx / Requests).",
        platform="apprunner",
        expression="100 * FILL(errors, 0) / requests",
        inputs=(MetricInput("errors", "5xxStatusResponses", "Sum"), MetricInput("requests", "Requests", "Sum")),
    ),
    AlarmSpec(
        "api-latency-p99", "api", "AWS/AppRunner", "RequestLatency", "p99", Threshold(3000, 2000), GT, "Milliseconds",
        "critical",
        "The slowest 1% of API requests are too slow. Check the X-Ray group's insights and the database alarms.",
        platform="apprunner",
    ),
    AlarmSpec(
        "api-cpu", "api", "AWS/AppRunner", "CPUUtilization", "Average", Threshold(90, 80), GT, "Percent", "warning",
        "API instances are CPU-bound; App Runner scales on concurrency, not CPU. Lower the concurrency target or "
        "give instances more CPU.",
        platform="apprunner",
    ),
    AlarmSpec(
        "api-memory", "api", "AWS/AppRunner", "MemoryUtilization", "Average", Threshold(90, 80), GT, "Percent",
        "warning",
        "API instances are close to their memory limit (out-of-memory restarts follow).",
        platform="apprunner",
    ),
    AlarmSpec(
        "api-instances-at-max", "api", "AWS/AppRunner", "ActiveInstances", "Maximum", Threshold(1, 1), GTE, "Count",
        "warning",
        "The API runs at api.maxInstances: it cannot scale out further. Raise maxInstances or find the load.",
        platform="apprunner", scale="max_instances",
    ),
    # ---- API on ECS Fargate behind its internal ALB -----------------------------------------------------------
    # AWS/ApplicationELB (LoadBalancer, or LoadBalancer + TargetGroup), AWS/ECS and ECS/ContainerInsights
    # (ClusterName + ServiceName)
    AlarmSpec(
        "api-elb-5xx-rate", "api", "AWS/ApplicationELB", "Elb5xxRate", "Sum", Threshold(10, 5), GT, "Percent",
        "critical",
        "The load balancer itself answers 5xx (no healthy target, target timeouts or refused connections): "
        "100 x HTTPCode_ELB_5XX_Count / RequestCount. Check the unhealthy-hosts alarm and the task logs.",
        platform="ecs", dimensions="load_balancer",
        expression="100 * FILL(errors, 0) / requests",
        inputs=(MetricInput("errors", "HTTPCode_ELB_5XX_Count", "Sum"), MetricInput("requests", "RequestCount", "Sum")),
    ),
    AlarmSpec(
        "api-target-5xx-rate", "api", "AWS/ApplicationELB", "Target5xxRate", "Sum", Threshold(10, 5), GT, "Percent",
        "critical",
        "More than the threshold share of API requests fail with 5xx from the tasks: 100 x HTTPCode_Target_5XX_Count "
        "/ RequestCount. Saved query 'api-5xx-by-path' shows which routes.",
        platform="ecs", dimensions="target_group",
        expression="100 * FILL(errors, 0) / requests",
        inputs=(MetricInput("errors", "HTTPCode_Target_5XX_Count", "Sum"), MetricInput("requests", "RequestCount", "Sum")),
    ),
    AlarmSpec(
        "api-target-latency-p99", "api", "AWS/ApplicationELB", "TargetResponseTime", "p99", Threshold(3, 2), GT,
        "Seconds", "critical",
        "The slowest 1% of API requests are too slow at the tasks. Check the X-Ray group's insights and the "
        "database alarms.",
        platform="ecs", dimensions="target_group",
    ),
    AlarmSpec(
        "api-unhealthy-hosts", "api", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", Threshold(0, 0), GT,
        "Count", "critical",
        "A task fails the load balancer's health check (api.healthCheckPath). The deployment circuit breaker rolls a "
        "bad release back; otherwise check the task logs.",
        platform="ecs", dimensions="target_group",
    ),
    AlarmSpec(
        "api-rejected-connections", "api", "AWS/ApplicationELB", "RejectedConnectionCount", "Sum", Threshold(0, 0), GT,
        "Count", "warning",
        "The load balancer rejected connections because it reached its maximum (scaling lags a traffic spike).",
        platform="ecs", dimensions="load_balancer",
    ),
    AlarmSpec(
        "api-ecs-tasks-below-desired", "api", "ECS/ContainerInsights", "TasksBelowDesired", "Maximum", Threshold(0, 0),
        GT, "Count", "critical",
        "Fewer API tasks run than the service wants (DesiredTaskCount - RunningTaskCount): tasks crash on start, "
        "cannot pull the image or cannot get capacity. The service's events say why.",
        platform="ecs",
        expression="FILL(desired, 0) - FILL(running, 0)",
        inputs=(MetricInput("desired", "DesiredTaskCount", "Maximum"), MetricInput("running", "RunningTaskCount", "Minimum")),
    ),
    AlarmSpec(
        "api-ecs-cpu", "api", "AWS/ECS", "CPUUtilization", "Average", Threshold(90, 80), GT, "Percent", "critical",
        "API tasks are CPU-bound although scaling tracks CPU: they run at api.maxInstances or cannot scale. Raise "
        "api.maxInstances or the task size.",
        platform="ecs",
    ),
    AlarmSpec(
        "api-ecs-memory", "api", "AWS/ECS", "MemoryUtilization", "Average", Threshold(90, 80), GT, "Percent",
        "critical",
        "API tasks are close to their memory limit (out-of-memory kills follow).",
        platform="ecs",
    ),
    AlarmSpec(
        "api-ecs-tasks-at-max", "api", "ECS/ContainerInsights", "RunningTaskCount", "Maximum", Threshold(1, 1), GTE,
        "Count", "warning",
        "The API runs at api.maxInstances tasks: it cannot scale out further (Container Insights metric).",
        platform="ecs", scale="max_instances",
    ),
    # ---- CloudFront (AWS/CloudFront in us-east-1, DistributionId + Region=Global) ----------------------------
    AlarmSpec(
        "cdn-5xx-rate", "cdn", "AWS/CloudFront", "5xxErrorRate", "Average", Threshold(10, 2), GT, "Percent", "critical",
        "Viewers get 5xx from CloudFront: the origin (S3 or the API) fails or is unreachable.",
    ),
    AlarmSpec(
        "cdn-error-rate", "cdn", "AWS/CloudFront", "TotalErrorRate", "Average", Threshold(25, 10), GT, "Percent",
        "warning",
        "Many viewer requests end in 4xx or 5xx: broken links after a deploy, or WAF blocks.",
    ),
    AlarmSpec(
        "cdn-origin-latency", "cdn", "AWS/CloudFront", "OriginLatency", "p90", Threshold(5000, 3000), GT,
        "Milliseconds", "warning",
        "Origins answer CloudFront slowly (needs the distribution's additional metrics subscription).",
    ),
    # ---- WAF (AWS/WAFV2 in us-east-1, WebACL + Rule=ALL; CLOUDFRONT scope has no Region dimension) -----------
    AlarmSpec(
        "waf-blocked-spike", "waf", "AWS/WAFV2", "BlockedRequests", "Sum", Threshold(1000, 2000), GT, "Count",
        "critical",
        "The web ACL blocks an unusual number of requests: an attack, or a rule blocking real users after a "
        "release. Saved query 'waf-blocks-by-rule' shows which rule.",
        evaluation_periods=1, datapoints=1,
    ),
    # ---- NAT gateways (AWS/NATGateway, NatGatewayId) ----------------------------------------------------------
    AlarmSpec(
        "nat-port-allocation", "nat", "AWS/NATGateway", "ErrorPortAllocation", "Sum", Threshold(0, 0), GT, "Count",
        "critical",
        "The NAT gateway ran out of source ports: outbound connections from private subnets fail.",
        evaluation_periods=1, datapoints=1, per_nat_gateway=True,
    ),
    AlarmSpec(
        "nat-packets-dropped", "nat", "AWS/NATGateway", "PacketsDropCount", "Sum", Threshold(1000, 100), GT, "Count",
        "warning",
        "The NAT gateway drops packets (see the AWS Health dashboard for NAT issues).",
        per_nat_gateway=True,
    ),
    # ---- CloudWatch RUM (AWS/RUM, application_name) -----------------------------------------------------------
    AlarmSpec(
        "rum-js-errors", "rum", "AWS/RUM", "JsErrorCount", "Sum", Threshold(100, 50), GT, "Count", "critical",
        "Browsers report JavaScript errors: a broken frontend release. RUM's console shows the stack traces.",
    ),
    AlarmSpec(
        "rum-lcp", "rum", "AWS/RUM", "WebVitalsLargestContentfulPaint", "Average", Threshold(4000, 4000), GT,
        "Milliseconds", "warning",
        "Largest Contentful Paint is 'poor' (> 4 s) for real users.",
    ),
)

ALARM_IDS: tuple[str, ...] = tuple(spec.id for spec in CATALOG)


def applies(spec: AlarmSpec, platform: str, readers: int) -> bool:
    """Whether an entry yields alarms for this stack (platform of the API, readers of the cluster)."""
    if spec.platform is not None and spec.platform != platform:
        return False
    return not (spec.needs_readers and readers == 0)


# --------------------------------------------------------------------------------------------------
# docs/observability.md
# --------------------------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "observability.md"
TABLE_BEGIN = "<!-- alarm-catalog:begin (generated from components/alarm_catalog.py) -->"
TABLE_END = "<!-- alarm-catalog:end -->"


def _number(value: float) -> str:
    if value >= 2**20 and value % 2**20 == 0:
        return f"{value / 2**20:g} MiB"
    return f"{value:g}"


def catalog_markdown() -> str:
    """The catalog as a Markdown table (the docs embed exactly this)."""
    rows = [
        "| id | service | namespace | metric | statistic | condition (dev / prod) | period x window (datapoints) "
        "| missing data | severity | applies when |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in CATALOG:
        op = _COMPARISON_TEXT[s.comparison]
        scale = f" x {s.scale}" if s.scale else ""
        condition = f"{op} {_number(s.threshold.dev)} / {_number(s.threshold.prod)}{scale} ({s.unit})"
        metric = f"`{s.expression}`" if s.expression else s.metric
        conditions = [f"api.platform = {s.platform}"] if s.platform else []
        if s.needs_readers:
            conditions.append("database.readers > 0")
        if s.per_nat_gateway:
            conditions.append("one per NAT gateway")
        rows.append(
            f"| `{s.id}` | {s.service} | {s.namespace} | {metric} | {s.statistic} | {condition} "
            f"| {s.period}s x {s.evaluation_periods} ({s.datapoints}) | {s.missing} | {s.severity} "
            f"| {', '.join(conditions) or 'always'} |"
        )
    return "\n".join(rows)


def render_docs(text: str) -> str:
    """The docs page with the generated table between the markers replaced by the current catalog."""
    head, _, rest = text.partition(TABLE_BEGIN)
    _, _, tail = rest.partition(TABLE_END)
    return f"{head}{TABLE_BEGIN}\n{catalog_markdown()}\n{TABLE_END}{tail}"


def write_docs() -> None:
    DOCS.write_text(render_docs(DOCS.read_text()))
