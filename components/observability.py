"""Observability: alarms and the dashboard generated from one catalog, tracing, real-user monitoring, saved
log queries, the cost budget and optional heartbeat canaries.

- Alarms: every applicable `alarm_catalog.CATALOG` entry becomes exactly one `common.metric_alarm` (one per
  NAT gateway for NAT entries) that notifies the topic of its severity on ALARM and OK. CloudFront and WAF
  publish their metrics in us-east-1 only, and an alarm can notify only a topic in its own region, so those
  alarms live in us-east-1 and notify the edge topics. A composite alarm per service ORs the service's
  critical alarms: it is the one page-worthy signal and goes to the critical topic of the service's region.
- Dashboard: a section per service (a widget per catalog entry, its threshold drawn in) and an alarm-status
  widget per region (composite alarms included): a widget reads the alarms of the region it names, so the
  us-east-1 edge alarms get their own widget with region us-east-1.
- Tracing: an X-Ray group filtered on the API service with insights (no insight notifications: they cannot pass
  a customer-managed key), a sampling rule for the API, and, when
  this stack owns the account baseline, X-Ray encryption with the data key (an account/region singleton).
- RUM: an app monitor for the site domain; browsers sign `PutRumEvents` with guest credentials from a
  Cognito identity pool whose unauthenticated role may do nothing else, on this monitor only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from .alarm_catalog import CATALOG, SERVICES, AlarmSpec, Service, applies
from .alerting import Topics
from .common import (
    EDGE_REGION,
    ApiTargets,
    BucketEncryption,
    DatabaseTargets,
    FrontendTargets,
    LifecycleRule,
    RestoreTestingTargets,
    StackContext,
    allow,
    child,
    hardened_bucket,
    metric_alarm,
    policy_json,
    service_role,
)
from .encryption import KeyRef
from .settings import NetworkSettings, ObservabilitySettings

COMPONENT = "observability"
COGNITO = "cognito-identity.amazonaws.com"
RUM_TELEMETRIES = ["errors", "performance", "http"]
CANARY_RUNTIME = "syn-nodejs-puppeteer-9.1"
# Pages the RUM web client is never loaded on (health checks are not user sessions).
RUM_EXCLUDED_PAGES = ("/healthz", "/health")


@dataclass(frozen=True)
class ObservabilityArgs:
    ctx: StackContext
    settings: ObservabilitySettings
    network: NetworkSettings  # NAT mode and AZs: how many NAT gateways there are, and their stable keys
    nat_gateway_ids: pulumi.Output[list[str]]  # in the order of nat_gateway_keys(network)
    database: DatabaseTargets
    api: ApiTargets
    frontend: FrontendTargets
    topics: Topics
    edge_topics: Topics
    data_key: KeyRef  # X-Ray encryption, canary artifacts
    account_baseline: bool  # this stack owns account/region singletons (X-Ray encryption config)


def nat_gateway_keys(network: NetworkSettings) -> tuple[str, ...]:
    """Stable keys of the NAT gateways Network creates, in the order of `Network.nat_gateway_ids`."""
    azs = network.availability_zones
    return {"none": (), "single": azs[:1], "per_az": azs, "regional": ("regional",)}[network.nat_gateways]


@dataclass(frozen=True)
class _Target:
    """Where one alarm of an entry looks: dimensions, region and the key suffix of its logical name."""

    key: str
    dimensions: Mapping[str, pulumi.Input[str]]
    region: str


@dataclass
class _Alarm:
    spec: AlarmSpec
    target: _Target
    threshold: float
    resource: aws.cloudwatch.MetricAlarm


class Observability(pulumi.ComponentResource):
    dashboard_name: pulumi.Output[str]
    rum_app_monitor_id: pulumi.Output[str]
    rum_app_monitor_name: str
    identity_pool_id: pulumi.Output[str]
    rum_guest_role_arn: pulumi.Output[str]
    rum_region: str
    alarm_arns: dict[str, pulumi.Output[str]]  # "<catalog id>" or "<catalog id>-<NAT key>" -> ARN
    composite_alarm_arns: dict[str, pulumi.Output[str]]  # service key -> ARN
    xray_group_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ObservabilityArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Observability", name, None, opts)
        self._args, self._ctx, self._prefix = args, args.ctx, name
        ctx = args.ctx

        if not args.frontend.additional_metrics:
            # OriginLatency (and per-status error rates) exist only with CloudFront's additional metrics.
            aws.cloudfront.MonitoringSubscription(
                f"{name}-cdn-metrics",
                distribution_id=args.frontend.distribution_id,
                monitoring_subscription=aws.cloudfront.MonitoringSubscriptionMonitoringSubscriptionArgs(
                    realtime_metrics_subscription_config=aws.cloudfront.MonitoringSubscriptionMonitoringSubscriptionRealtimeMetricsSubscriptionConfigArgs(
                        realtime_metrics_subscription_status="Enabled"
                    )
                ),
                opts=child(self),
            )

        self.rum_region = ctx.region
        self._rum()
        alarms = self._alarms()
        self.alarm_arns = {_alarm_key(a.spec, a.target): a.resource.arn for a in alarms}
        composites = self._composites(alarms)
        self.composite_alarm_arns = {key: c.arn for key, c in composites.items()}
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{ctx.name_prefix}-operations",
            dashboard_body=_dashboard_body(ctx, alarms, [
                (c.arn, EDGE_REGION if service.edge else ctx.region)
                for service in SERVICES for key, c in composites.items() if key == service.key
            ], args.database.restore_testing),
            opts=child(self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self._tracing()
        self._queries()
        self._budget()
        if args.settings.synthetics:
            self._canaries()

        self.register_outputs(
            {
                "dashboardName": self.dashboard_name,
                "rumAppMonitorId": self.rum_app_monitor_id,
                "identityPoolId": self.identity_pool_id,
                "rumRegion": self.rum_region,
                "xrayGroupArn": self.xray_group_arn,
            }
        )

    # ----------------------------------------------------------------------------------------------
    # Alarms
    # ----------------------------------------------------------------------------------------------

    def _targets(self, spec: AlarmSpec) -> list[_Target]:
        args, ctx = self._args, self._ctx
        home, api = ctx.region, args.api
        if spec.service == "aurora":
            return [_Target("", {"DBClusterIdentifier": args.database.cluster_identifier}, home)]
        if spec.service == "api" and api.platform == "apprunner":
            assert api.apprunner_service_name is not None and api.apprunner_service_id is not None
            return [_Target("", {"ServiceName": api.apprunner_service_name, "ServiceID": api.apprunner_service_id}, home)]
        if spec.service == "api" and spec.dimensions != "service":
            assert api.load_balancer_arn_suffix is not None and api.target_group_arn_suffix is not None
            dimensions: dict[str, pulumi.Input[str]] = {"LoadBalancer": api.load_balancer_arn_suffix}
            if spec.dimensions == "target_group":
                dimensions["TargetGroup"] = api.target_group_arn_suffix
            return [_Target("", dimensions, home)]
        if spec.service == "api":
            assert api.ecs_cluster_name is not None and api.ecs_service_name is not None
            return [_Target("", {"ClusterName": api.ecs_cluster_name, "ServiceName": api.ecs_service_name}, home)]
        if spec.service == "cdn":
            return [_Target("", {"DistributionId": args.frontend.distribution_id, "Region": "Global"}, EDGE_REGION)]
        if spec.service == "waf":
            # CLOUDFRONT-scope web ACLs publish WebACL (the visibility-config metric name) and Rule, no Region.
            return [_Target("", {"WebACL": args.frontend.web_acl_metric_name, "Rule": "ALL"}, EDGE_REGION)]
        if spec.service == "nat":
            return [
                _Target(key, {"NatGatewayId": args.nat_gateway_ids.apply(_element(i))}, home)
                for i, key in enumerate(nat_gateway_keys(args.network))
            ]
        if spec.service == "rum":
            return [_Target("", {"application_name": self.rum_app_monitor_name}, home)]
        raise AssertionError(f"catalog entry {spec.id}: unknown service {spec.service}")

    def _scale(self, spec: AlarmSpec) -> float:
        if spec.scale == "max_capacity":
            return self._args.database.max_capacity
        if spec.scale == "max_instances":
            return float(self._args.api.max_instances)
        return 1.0

    def _alarms(self) -> list[_Alarm]:
        args, ctx = self._args, self._ctx
        made: list[_Alarm] = []
        for spec in CATALOG:
            if not applies(spec, args.api.platform, args.database.readers):
                continue
            threshold = spec.threshold_for(ctx.environment, self._scale(spec), args.settings.thresholds.get(spec.id))
            for target in self._targets(spec):
                topics = args.edge_topics if target.region == EDGE_REGION else args.topics
                where = f" ({target.key})" if target.key else ""
                common: dict[str, Any] = dict(
                    description=f"[{spec.severity}] {spec.service}/{spec.id}{where}: {spec.description} "
                    f"Condition: {spec.metric} {spec.statistic} {spec.comparison} {threshold:g} {spec.unit}.",
                    threshold=threshold,
                    comparison=spec.comparison,
                    topic_arn=topics.for_severity(spec.severity),
                    evaluation_periods=spec.evaluation_periods,
                    datapoints_to_alarm=spec.datapoints,
                    treat_missing_data=spec.missing,
                    region=target.region if target.region != ctx.region else None,
                    severity=spec.severity,
                )
                suffix = f"-{target.key}" if target.key else ""
                resource_name = f"{self._prefix}-{spec.id}{suffix}"
                if spec.expression:
                    resource = metric_alarm(
                        resource_name, ctx, COMPONENT, self, metric_queries=_metric_queries(spec, target), **common
                    )
                else:
                    resource = metric_alarm(
                        resource_name, ctx, COMPONENT, self,
                        namespace=spec.namespace, metric_name=spec.metric, dimensions=target.dimensions,
                        statistic=spec.statistic, period=spec.period, **common,
                    )
                made.append(_Alarm(spec, target, threshold, resource))
        return made

    def _composites(self, alarms: Sequence[_Alarm]) -> dict[str, aws.cloudwatch.CompositeAlarm]:
        args, ctx = self._args, self._ctx
        composites: dict[str, aws.cloudwatch.CompositeAlarm] = {}
        for service in SERVICES:
            members = [a for a in alarms if a.spec.service == service.key and a.spec.severity == "critical"]
            if not members:
                continue
            topics = args.edge_topics if service.edge else args.topics
            rule = pulumi.Output.all(*[a.resource.arn for a in members]).apply(
                lambda arns: " OR ".join(f'ALARM("{arn}")' for arn in arns)
            )
            composites[service.key] = aws.cloudwatch.CompositeAlarm(
                f"{self._prefix}-{service.key}-page",
                alarm_name=f"{ctx.name_prefix}-{service.key}-page",
                alarm_description=f"Page: {service.title} is unhealthy (any critical {service.key} alarm is in ALARM). "
                "Open the operations dashboard for the failing alarm.",
                alarm_rule=rule,
                actions_enabled=True,
                alarm_actions=[topics.critical],
                ok_actions=[topics.critical],
                region=EDGE_REGION if service.edge and ctx.region != EDGE_REGION else None,
                tags=ctx.tags(COMPONENT, Severity="critical"),
                opts=child(self, depends_on=[a.resource for a in members]),
            )
        return composites

    # ----------------------------------------------------------------------------------------------
    # Real-user monitoring
    # ----------------------------------------------------------------------------------------------

    def _rum(self) -> None:
        args, ctx, name = self._args, self._ctx, self._prefix
        # A fixed monitor name gives its ARN before it exists, so the guest role can be scoped to it without a
        # cycle (the monitor's configuration names the role).
        self.rum_app_monitor_name = f"{ctx.name_prefix}-web"
        monitor_arn = ctx.arn("rum", f"appmonitor/{self.rum_app_monitor_name}")
        pool = aws.cognito.IdentityPool(
            f"{name}-rum-identities",
            identity_pool_name=f"{ctx.name_prefix.replace('-', '_')}_rum",
            allow_unauthenticated_identities=True,
            allow_classic_flow=False,
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        trust = policy_json(
            [
                {
                    "Sid": "RumGuests",
                    "Effect": "Allow",
                    "Principal": {"Federated": COGNITO},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{COGNITO}:aud": pool.id},
                        "ForAnyValue:StringLike": {f"{COGNITO}:amr": "unauthenticated"},
                    },
                }
            ]
        )
        guest = service_role(
            f"{name}-rum-guest",
            ctx,
            COMPONENT,
            self,
            services=(COGNITO,),
            trust_policy=trust,
            statements=[allow("PutRumEvents", ["rum:PutRumEvents"], monitor_arn)],
            description="Unauthenticated browser sessions: send RUM events to this stack's app monitor only",
        )
        aws.cognito.IdentityPoolRoleAttachment(
            f"{name}-rum-identities-roles",
            identity_pool_id=pool.id,
            roles={"unauthenticated": guest.arn},
            opts=child(pool),
        )
        # cw_log_enabled stays off: RUM would create its own log group (name derived from the monitor's
        # generated id) without our retention or KMS key; RUM itself keeps events for 30 days.
        monitor = aws.rum.AppMonitor(
            f"{name}-rum",
            name=self.rum_app_monitor_name,
            domain_lists=[args.frontend.site_domain],
            app_monitor_configuration=aws.rum.AppMonitorAppMonitorConfigurationArgs(
                session_sample_rate=args.settings.rum_session_sample_rate,
                telemetries=RUM_TELEMETRIES,
                enable_xray=True,
                allow_cookies=True,
                identity_pool_id=pool.id,
                # no guest_role_arn: a console snippet would then select the classic Cognito flow, which the pool
                # disables; the enhanced flow gets the pool's unauthenticated role from the attachment above
                excluded_pages=[pulumi.Output.concat(args.frontend.url, page) for page in RUM_EXCLUDED_PAGES],
            ),
            cw_log_enabled=False,
            custom_events=aws.rum.AppMonitorCustomEventsArgs(status="DISABLED"),
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        self.rum_app_monitor_id = monitor.app_monitor_id
        # the web client samples sessions itself: the build passes this to aws-rum-web's sessionSampleRate
        self.rum_session_sample_rate = args.settings.rum_session_sample_rate
        self.identity_pool_id = pool.id
        self.rum_guest_role_arn = guest.arn

    # ----------------------------------------------------------------------------------------------
    # Tracing
    # ----------------------------------------------------------------------------------------------

    def _api_service_name(self) -> pulumi.Output[str]:
        """The service name the API's traces carry in X-Ray."""
        api = self._args.api
        if api.trace_service_name is not None:
            return pulumi.Output.from_input(api.trace_service_name)
        assert api.apprunner_service_name is not None
        return api.apprunner_service_name

    def _tracing(self) -> None:
        args, ctx, name = self._args, self._ctx, self._prefix
        service = self._api_service_name()
        group = aws.xray.Group(
            f"{name}-xray-api",
            group_name=f"{ctx.name_prefix}-api",
            filter_expression=pulumi.Output.concat('service("', service, '")'),
            # Insights stay on (console and GetInsightSummaries), their notifications off: X-Ray sends them through
            # EventBridge, "which does not currently support customer managed keys" (X-Ray guide, Data protection,
            # xray-console-encryption.html), and the account's X-Ray data is encrypted with the data key.
            insights_configuration=aws.xray.GroupInsightsConfigurationArgs(insights_enabled=True, notifications_enabled=False),
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        self.xray_group_arn = group.arn
        aws.xray.SamplingRule(
            f"{name}-xray-api-sampling",
            rule_name=f"{ctx.name_prefix}-api",
            priority=100,
            version=1,
            reservoir_size=1,
            fixed_rate=args.settings.trace_sample_rate,
            service_name=service,
            service_type="*",
            host="*",
            http_method="*",
            url_path="*",
            resource_arn="*",
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        if args.account_baseline:
            # One X-Ray encryption setting per account and region: only the baseline-owning stack sets it.
            aws.xray.EncryptionConfig(f"{name}-xray-encryption", type="KMS", key_id=args.data_key.arn, opts=child(self))

    # ----------------------------------------------------------------------------------------------
    # Saved Logs Insights queries
    # ----------------------------------------------------------------------------------------------

    def _queries(self) -> None:
        args, ctx, name = self._args, self._ctx, self._prefix
        folder = f"{ctx.name_prefix}"
        api_groups: list[pulumi.Input[str]] = list(args.api.log_group_names)
        if not api_groups and args.api.platform == "apprunner":
            assert args.api.apprunner_service_name is not None and args.api.apprunner_service_id is not None
            api_groups = [
                pulumi.Output.concat("/aws/apprunner/", args.api.apprunner_service_name, "/", args.api.apprunner_service_id,
                                     "/application")
            ]
        aws.cloudwatch.QueryDefinition(
            f"{name}-query-api-5xx",
            name=f"{folder}/api-5xx-by-path",
            log_group_names=api_groups,
            query_string="\n".join(
                [
                    "fields @timestamp, @message",
                    "| parse @message /\"(?<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (?<path>[^ ?\"]+)[^\"]*\" (?<status>\\d{3})/",
                    "| filter status >= 500",
                    "| stats count(*) as errors by method, path, status",
                    "| sort errors desc",
                    "| limit 50",
                ]
            ),
            opts=child(self),
        )
        aws.cloudwatch.QueryDefinition(
            f"{name}-query-slow-queries",
            name=f"{folder}/slow-queries",
            log_group_names=[
                pulumi.Output.concat("/aws/rds/cluster/", args.database.cluster_identifier, "/postgresql")
            ],
            query_string="\n".join(
                [
                    "fields @timestamp, @logStream, @message",
                    "| parse @message /duration: (?<duration_ms>[0-9.]+) ms\\s+(statement|execute [^:]*): (?<statement>.*)/",
                    "| filter ispresent(duration_ms) or @message like /deadlock detected/",
                    "| sort duration_ms desc",
                    "| limit 100",
                ]
            ),
            opts=child(self),
        )
        aws.cloudwatch.QueryDefinition(
            f"{name}-query-waf-blocks",
            name=f"{folder}/waf-blocks-by-rule",
            log_group_names=[args.frontend.waf_log_group_name],
            query_string="\n".join(
                [
                    "fields @timestamp, action, terminatingRuleId, httpRequest.clientIp, httpRequest.uri",
                    "| filter action = \"BLOCK\"",
                    "| stats count(*) as blocked by terminatingRuleId, httpRequest.country",
                    "| sort blocked desc",
                    "| limit 50",
                ]
            ),
            region=EDGE_REGION if ctx.region != EDGE_REGION else None,
            opts=child(self),
        )

    # ----------------------------------------------------------------------------------------------
    # Cost
    # ----------------------------------------------------------------------------------------------

    def _budget(self) -> None:
        args, ctx = self._args, self._ctx
        topic = args.topics.warning

        def notify(kind: str, percent: float) -> aws.budgets.BudgetNotificationArgs:
            return aws.budgets.BudgetNotificationArgs(
                notification_type=kind,
                comparison_operator="GREATER_THAN",
                threshold=percent,
                threshold_type="PERCENTAGE",
                subscriber_sns_topic_arns=[topic],
            )

        aws.budgets.Budget(
            f"{self._prefix}-budget",
            name=f"{ctx.name_prefix}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{args.settings.monthly_budget_usd:.2f}",
            limit_unit="USD",
            # Both stacks share the account: each budget counts the cost tagged with its environment
            # (activate the Environment cost allocation tag once in Billing).
            cost_filters=[
                aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:Environment${ctx.environment}"])
            ],
            notifications=[notify("FORECASTED", 100), notify("ACTUAL", 80), notify("ACTUAL", 100)],
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )

    # ----------------------------------------------------------------------------------------------
    # Synthetics
    # ----------------------------------------------------------------------------------------------

    def _canaries(self) -> None:
        args, ctx, name = self._args, self._ctx, self._prefix
        artifacts = hardened_bucket(
            f"{name}-canary-artifacts",
            ctx,
            COMPONENT,
            self,
            encryption=BucketEncryption(kms_key_arn=args.data_key.arn),
            lifecycle=[LifecycleRule(id="expire-canary-runs", expire_days=30, noncurrent_expire_days=7)],
            # run screenshots and HAR files are disposable
            protect=False,
        )
        code = aws.s3.BucketObjectv2(
            f"{name}-canary-code",
            bucket=artifacts.name,
            key="code/heartbeat.zip",
            source=pulumi.AssetArchive({"nodejs/node_modules/heartbeat.js": pulumi.StringAsset(HEARTBEAT_JS)}),
            server_side_encryption="aws:kms",
            kms_key_id=args.data_key.arn,
            tags=ctx.tags(COMPONENT),
            opts=child(artifacts.bucket, depends_on=artifacts.ready),
        )
        log_groups = ctx.arn("logs", "log-group:/aws/lambda/cwsyn-*")
        role = service_role(
            f"{name}-canary",
            ctx,
            COMPONENT,
            self,
            services=("lambda.amazonaws.com",),
            description="Synthetics heartbeat canaries: read their code, write run artifacts, metrics and logs",
            statements=[
                allow("ReadCode", ["s3:GetObject"], pulumi.Output.concat(artifacts.arn, "/code/*")),
                allow("WriteArtifacts", ["s3:PutObject"], pulumi.Output.concat(artifacts.arn, "/runs/*")),
                allow("LocateBucket", ["s3:GetBucketLocation"], artifacts.arn),
                allow("ArtifactKey", ["kms:GenerateDataKey", "kms:Decrypt"], args.data_key.arn,
                      Condition={"StringEquals": {"kms:ViaService": f"s3.{ctx.region}.amazonaws.com"}}),
                # ListAllMyBuckets and PutMetricData have no resource-level permissions
                allow("ListBuckets", ["s3:ListAllMyBuckets"], "*"),
                allow("CanaryMetrics", ["cloudwatch:PutMetricData"], "*",
                      Condition={"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}}),
                allow("CanaryLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                      [log_groups, pulumi.Output.concat(log_groups, ":*")]),
                allow("Traces", ["xray:PutTraceSegments"], "*"),
            ],
        )
        # through CloudFront: the API origin rejects requests without CloudFront's origin-verify header
        targets = {
            "api": pulumi.Output.concat(args.frontend.url, args.api.health_check_path),
            "web": args.frontend.url,
        }
        for key, url in targets.items():
            aws.synthetics.Canary(
                f"{name}-canary-{key}",
                name=f"{ctx.stack}-{key}-heartbeat"[:21],
                runtime_version=CANARY_RUNTIME,
                handler="heartbeat.handler",
                s3_bucket=artifacts.name,
                s3_key=code.key,
                s3_version=code.version_id,
                execution_role_arn=role.arn,
                artifact_s3_location=pulumi.Output.concat("s3://", artifacts.name, f"/runs/{key}/"),
                artifact_config=aws.synthetics.CanaryArtifactConfigArgs(
                    s3_encryption=aws.synthetics.CanaryArtifactConfigS3EncryptionArgs(
                        encryption_mode="SSE_KMS", kms_key_arn=args.data_key.arn
                    )
                ),
                schedule=aws.synthetics.CanaryScheduleArgs(expression="rate(5 minutes)"),
                run_config=aws.synthetics.CanaryRunConfigArgs(
                    timeout_in_seconds=60, active_tracing=True, environment_variables={"TARGET_URL": url}
                ),
                success_retention_period=7,
                failure_retention_period=30,
                start_canary=True,
                delete_lambda=True,
                tags=ctx.tags(COMPONENT),
                opts=child(self, depends_on=role.ready),
            )


HEARTBEAT_JS = """\
const { URL } = require('url');
const synthetics = require('Synthetics');

exports.handler = async function () {
  const target = new URL(process.env.TARGET_URL);
  await synthetics.executeHttpStep('heartbeat', {
    hostname: target.hostname,
    method: 'GET',
    path: target.pathname + target.search,
    port: 443,
    protocol: 'https:',
    headers: { 'User-Agent': synthetics.getCanaryUserAgentString() },
  }, (res) => new Promise((resolve, reject) => {
    if (res.statusCode < 200 || res.statusCode > 299) {
      reject(new Error(`${target.href} answered ${res.statusCode}`));
    }
    res.on('data', () => {});
    res.on('end', resolve);
  }));
};
"""


def _element(index: int) -> Callable[[Sequence[str]], str]:
    """`ids -> ids[index]` with the index bound now (a lambda in a loop would see the loop's last index)."""

    def pick(ids: Sequence[str]) -> str:
        return ids[index]

    return pick


def _alarm_key(spec: AlarmSpec, target: _Target) -> str:
    return f"{spec.id}-{target.key}" if target.key else spec.id


def _metric_queries(spec: AlarmSpec, target: _Target) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
    queries = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=m.id,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=spec.namespace, metric_name=m.metric, dimensions=dict(target.dimensions), stat=m.statistic,
                period=spec.period,
            ),
            return_data=False,
        )
        for m in spec.inputs
    ]
    queries.append(
        aws.cloudwatch.MetricAlarmMetricQueryArgs(id="result", expression=spec.expression, label=spec.metric, return_data=True)
    )
    return queries


# --------------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------------

_WIDTH, _HEIGHT, _PER_ROW = 8, 6, 3


def _metric_rows(spec: AlarmSpec, dimensions: Mapping[str, pulumi.Input[str]]) -> list[list[Any]]:
    flat: list[Any] = [v for pair in dimensions.items() for v in pair]
    if spec.expression:
        rows: list[list[Any]] = [[{"expression": spec.expression, "label": spec.metric, "id": "result"}]]
        rows += [[spec.namespace, m.metric, *flat, {"id": m.id, "stat": m.statistic, "visible": False}] for m in spec.inputs]
        return rows
    return [[spec.namespace, spec.metric, *flat, {"stat": spec.statistic}]]


def _dashboard_body(
    ctx: StackContext,
    alarms: Sequence[_Alarm],
    composites: Sequence[tuple[pulumi.Output[str], str]],
    restore: Optional[RestoreTestingTargets],
) -> pulumi.Output[str]:
    regions = sorted({a.target.region for a in alarms} | {ctx.region}, key=lambda r: r != ctx.region)
    width = 24 // len(regions)
    widgets: list[dict[str, Any]] = []
    for i, region in enumerate(regions):
        in_region = [a for a in alarms if a.target.region == region]
        region_composites = [arn for arn, where in composites if where == region]
        where = "edge (CloudFront, WAF)" if region != ctx.region else "home region"
        widgets.append(
            {
                "type": "alarm",
                "x": i * width,
                "y": 0,
                "width": width,
                "height": 6,
                "properties": {
                    "title": f"{ctx.name_prefix}: every {where} alarm in {region} (page = composite per service)",
                    # an alarm widget shows alarms of its own region only
                    "region": region,
                    "alarms": region_composites + [a.resource.arn for a in in_region]
                    + (list(restore.alarm_arns) if restore is not None and region == ctx.region else []),
                    "sortBy": "stateUpdatedTimestamp",
                },
            }
        )
    y = 6
    for service in SERVICES:
        members = [a for a in alarms if a.spec.service == service.key]
        if not members:
            continue
        widgets.append(_section_header(service, members, y))
        y += 1
        for i, alarm in enumerate(members):
            where = f" ({alarm.target.key})" if alarm.target.key else ""
            widgets.append(
                {
                    "type": "metric",
                    "x": (i % _PER_ROW) * _WIDTH,
                    "y": y + (i // _PER_ROW) * _HEIGHT,
                    "width": _WIDTH,
                    "height": _HEIGHT,
                    "properties": {
                        "title": f"{alarm.spec.metric}{where} [{alarm.spec.id}]",
                        "region": alarm.target.region,
                        "view": "timeSeries",
                        "stacked": False,
                        "period": alarm.spec.period,
                        "metrics": _metric_rows(alarm.spec, alarm.target.dimensions),
                        "annotations": {
                            "horizontal": [
                                {"label": f"{alarm.spec.severity} threshold", "value": alarm.threshold,
                                 "color": "#d62728" if alarm.spec.severity == "critical" else "#ff7f0e"}
                            ]
                        },
                    },
                }
            )
        y += -(-len(members) // _PER_ROW) * _HEIGHT
    if restore is not None:
        widgets += _restore_testing_section(ctx, restore, y)
    return pulumi.Output.json_dumps({"widgets": widgets})


# what the restore-test reporter publishes: (metric, statistic, what the widget shows)
_RESTORE_METRICS = (
    ("RestoreDurationMinutes", "Maximum", "restore duration, minutes (measured RTO of a snapshot restore)"),
    ("RestoreTestSucceeded", "Minimum", "restore test validated (1) or failed (0)"),
    ("RestoreTestOverdue", "Maximum", "no completed restore test within the interval (1)"),
)


def _restore_testing_section(ctx: StackContext, restore: RestoreTestingTargets, y: int) -> list[dict[str, Any]]:
    widgets: list[dict[str, Any]] = [{
        "type": "text", "x": 0, "y": y, "width": 24, "height": 1,
        "properties": {"markdown": f"## Aurora restore tests (AWS Backup, {restore.frequency}; metrics in home region)"},
    }]
    for i, (metric, statistic, title) in enumerate(_RESTORE_METRICS):
        widgets.append({
            "type": "metric", "x": i * _WIDTH, "y": y + 1, "width": _WIDTH, "height": _HEIGHT,
            "properties": {
                "title": title,
                "region": ctx.region,
                "view": "timeSeries",
                "stacked": False,
                "period": 86400,
                # a monthly test leaves one point a month: show the last 90 days
                "start": "-P90D",
                "metrics": [[restore.metric_namespace, metric, "Stack", restore.stack_dimension, {"stat": statistic}]],
            },
        })
    return widgets


def _section_header(service: Service, members: Sequence[_Alarm], y: int) -> dict[str, Any]:
    region = EDGE_REGION if service.edge else "home region"
    return {
        "type": "text",
        "x": 0,
        "y": y,
        "width": 24,
        "height": 1,
        "properties": {"markdown": f"## {service.title} ({len(members)} alarms, metrics in {region})"},
    }
