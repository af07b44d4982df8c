"""Security findings: the unified security view and where findings go, built by the stack that is the aggregation
point (single account: the baseline owner; organization mode: the administrator).

- Unified Security Hub (`securityhub.AccountV2`) in the home region, with its aggregator (`AggregatorV2`) over the
  other configured regions. It correlates GuardDuty, Inspector, Security Hub CSPM and Macie findings with exposure
  analysis; the classic CSPM (`securityhub.Account`, components/security.py) stays on and keeps evaluating the
  controls. Connectors and automation rules V2 live in the aggregation region and need the aggregator first
  (pulumi-aws ConnectorV2 / AutomationRuleV2 reference).
- Ticketing (optional): a Jira Cloud or ServiceNow connector (`ConnectorV2`, encrypted with the data key) and an
  automation rule V2 that opens a ticket for every new CRITICAL or HIGH finding (OCSF criteria). Jira is authorized
  once by a person: the `securityConnectorAuthUrl` output is the OAuth link.
- Webhook (optional): an EventBridge API destination and connection on the one finding filter (the rule the
  Security component routes to the critical topic by e-mail); the token lives only in the Secrets Manager secret
  EventBridge creates for the connection, encrypted with the data key (EventBridge: "Encrypting EventBridge
  connection authorization with AWS KMS keys"); retries for a day, then the event lands in a KMS-encrypted
  dead-letter queue that alarms on the first message.
- The weekly compliance report (compliance_report.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import StackContext, allow, child, metric_alarm, policy_json, service_role
from .compliance_report import ComplianceReport, compliance_report
from .encryption import KeyRef
from .settings import ConnectorSettings, FindingsSettings, WebhookSettings

COMPONENT = "securityfindings"
# one finding is one event; a failed delivery is retried with backoff for up to a day, then dead-lettered
WEBHOOK_RETRY_ATTEMPTS = 185  # EventBridge's maximum
WEBHOOK_MAX_EVENT_AGE_SECONDS = 86_400
WEBHOOK_RATE_PER_SECOND = 5
DLQ_RETENTION_SECONDS = 1_209_600  # 14 days, SQS's maximum: time to replay what the tool never received
TICKET_RULE_ORDER = 1.0
# OCSF severities and status of a finding that must become a ticket (OcsfFindingFilters, AutomationRuleV2)
TICKET_SEVERITIES = ("Critical", "High")
TICKET_STATUS = "New"
AUTH_INSTRUCTION = "Open this URL once, signed in to Jira Cloud as a project administrator, to authorize the connector: "


@dataclass(frozen=True)
class SecurityFindingsArgs:
    ctx: StackContext
    settings: FindingsSettings
    linked_regions: tuple[str, ...]  # regions other than the home region whose findings are aggregated
    findings_rule: aws.cloudwatch.EventRule  # the one finding filter (Security); every route is a target of it
    topics: Topics
    data_key: KeyRef
    messaging_key: KeyRef
    logs_key: KeyRef
    audit_key: KeyRef
    audit_bucket_name: pulumi.Output[str]
    audit_bucket_arn: pulumi.Output[str]
    conformance_pack_name: pulumi.Output[str]
    log_retention_days: int


class SecurityFindings(pulumi.ComponentResource):
    hub_arn: pulumi.Output[str]
    aggregator_arn: Optional[pulumi.Output[str]]
    connector_arn: Optional[pulumi.Output[str]]
    connector_auth_url: Optional[pulumi.Output[str]]  # "<instruction><url>" for Jira Cloud
    webhook_destination_arn: Optional[pulumi.Output[str]]
    dead_letter_queue_url: Optional[pulumi.Output[str]]
    report: ComplianceReport

    def __init__(self, name: str, args: SecurityFindingsArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:SecurityFindings", name, None, opts)
        ctx, settings = args.ctx, args.settings
        hub = aws.securityhub.AccountV2(f"{name}-hub-v2", tags=ctx.tags(COMPONENT), opts=child(self))
        # SPECIFIED_REGIONS requires at least one linked region (SDK: "Required when region_linking_mode is
        # SPECIFIED_REGIONS"); a home-region-only baseline has nothing to aggregate and gets none (settings refuse a
        # connector then: connectors and automation rules V2 need an aggregator)
        aggregator = (
            aws.securityhub.AggregatorV2(
                f"{name}-aggregator-v2",
                region_linking_mode="SPECIFIED_REGIONS",
                linked_regions=list(args.linked_regions),
                tags=ctx.tags(COMPONENT),
                opts=child(hub, depends_on=[hub]),
            )
            if args.linked_regions
            else None
        )
        self.hub_arn = hub.arn
        self.aggregator_arn = aggregator.arn if aggregator is not None else None
        self.connector_arn = self.connector_auth_url = None
        if settings.connector is not None:
            if aggregator is None:
                raise ValueError("a findings connector needs the aggregator: settings require a second security region")
            connector = self._connector(name, ctx, settings.connector, args.data_key, aggregator)
            self.connector_arn = connector.arn
            if settings.connector.provider == "jira":
                self.connector_auth_url = connector.connector_provider.apply(
                    lambda p: AUTH_INSTRUCTION + (p.jira_cloud.auth_url or "") if p.jira_cloud else ""
                )
        self.webhook_destination_arn = self.dead_letter_queue_url = None
        if settings.webhook is not None:
            self._webhook(name, ctx, settings.webhook, args)
        self.report = compliance_report(
            name, ctx, self, settings, topics=args.topics, data_key=args.data_key, logs_key=args.logs_key, audit_key=args.audit_key,
            audit_bucket_name=args.audit_bucket_name, audit_bucket_arn=args.audit_bucket_arn,
            conformance_pack_name=args.conformance_pack_name, log_retention_days=args.log_retention_days,
        )
        self.register_outputs(
            {
                "hubArn": self.hub_arn,
                "aggregatorArn": self.aggregator_arn,
                "connectorArn": self.connector_arn,
                "connectorAuthUrl": self.connector_auth_url,
                "webhookDestinationArn": self.webhook_destination_arn,
                "deadLetterQueueUrl": self.dead_letter_queue_url,
                "reportFunctionName": self.report.function_name,
            }
        )

    def _connector(self, name: str, ctx: StackContext, connector: ConnectorSettings, data_key: KeyRef,
                   aggregator: aws.securityhub.AggregatorV2) -> aws.securityhub.ConnectorV2:
        provider = aws.securityhub
        if connector.provider == "jira":
            assert connector.project_key is not None
            details = provider.ConnectorV2ConnectorProviderArgs(
                jira_cloud=provider.ConnectorV2ConnectorProviderJiraCloudArgs(project_key=connector.project_key)
            )
        else:
            assert connector.client_id is not None and connector.client_secret is not None
            credentials = aws.secretsmanager.Secret(
                f"{name}-servicenow-credentials",
                description="OAuth client of the ServiceNow application the Security Hub connector signs in with",
                kms_key_id=data_key.arn,
                recovery_window_in_days=7,
                tags=ctx.tags(COMPONENT),
                opts=child(self),
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-servicenow-credentials",
                secret_id=credentials.id,
                # a secret Output: Pulumi encrypts it in the state; the value never appears in the preview
                secret_string=pulumi.Output.secret(
                    json.dumps({"clientId": connector.client_id, "clientSecret": connector.client_secret})
                ),
                opts=child(credentials),
            )
            details = provider.ConnectorV2ConnectorProviderArgs(
                service_now=provider.ConnectorV2ConnectorProviderServiceNowArgs(
                    instance_name=connector.instance_name or "", secret_arn=credentials.arn
                )
            )
        created = provider.ConnectorV2(
            f"{name}-connector",
            name=f"{ctx.name_prefix}-{connector.provider}",
            description=f"New CRITICAL and HIGH findings of {ctx.name_prefix} become {connector.provider} tickets",
            connector_provider=details,
            kms_key_arn=data_key.arn,
            tags=ctx.tags(COMPONENT),
            opts=child(aggregator, depends_on=[aggregator]),
        )
        criteria = {
            "CompositeOperator": "AND",
            "CompositeFilters": [
                {
                    "Operator": "OR",
                    "StringFilters": [
                        {"FieldName": "severity", "Filter": {"Comparison": "EQUALS", "Value": s}} for s in TICKET_SEVERITIES
                    ],
                },
                {
                    "Operator": "AND",
                    "StringFilters": [{"FieldName": "status", "Filter": {"Comparison": "EQUALS", "Value": TICKET_STATUS}}],
                },
            ],
        }
        provider.AutomationRuleV2(
            f"{name}-ticket-rule",
            rule_name=f"{ctx.name_prefix}-ticket-critical-high",
            description="Open a ticket for every new CRITICAL or HIGH finding",
            rule_order=TICKET_RULE_ORDER,
            rule_status="ENABLED",
            criteria=provider.AutomationRuleV2CriteriaArgs(ocsf_finding_criteria_json=json.dumps(criteria, sort_keys=True)),
            action=provider.AutomationRuleV2ActionArgs(
                type="EXTERNAL_INTEGRATION",
                external_integration_configuration=provider.AutomationRuleV2ActionExternalIntegrationConfigurationArgs(
                    connector_arn=created.arn
                ),
            ),
            tags=ctx.tags(COMPONENT),
            opts=child(created, depends_on=[aggregator]),
        )
        return created

    def _webhook(self, name: str, ctx: StackContext, webhook: WebhookSettings, args: SecurityFindingsArgs) -> None:
        events = aws.cloudwatch
        connection = events.EventConnection(
            f"{name}-webhook-connection",
            description="Credential of the findings webhook (kept by EventBridge in Secrets Manager)",
            authorization_type="API_KEY",
            auth_parameters=events.EventConnectionAuthParametersArgs(
                api_key=events.EventConnectionAuthParametersApiKeyArgs(
                    key=webhook.header_name, value=pulumi.Output.secret(webhook.token)
                )
            ),
            # the data key carries the EventBridgeApiDestinations=true tag EventBridge requires of a customer key
            kms_key_identifier=args.data_key.arn,
            opts=child(self),
        )
        destination = events.EventApiDestination(
            f"{name}-webhook",
            description="Security findings to the team's chat or paging tool",
            connection_arn=connection.arn,
            invocation_endpoint=webhook.url,
            http_method="POST",
            invocation_rate_limit_per_second=WEBHOOK_RATE_PER_SECOND,
            opts=child(connection),
        )
        queue = aws.sqs.Queue(
            f"{name}-webhook-dlq",
            kms_master_key_id=args.messaging_key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            tags=ctx.tags(COMPONENT),
            opts=child(self),
        )
        aws.sqs.QueuePolicy(
            f"{name}-webhook-dlq-policy",
            queue_url=queue.url,
            policy=policy_json(
                [
                    allow(
                        "FindingsRuleDeadLetters",
                        ["sqs:SendMessage"],
                        queue.arn,
                        Principal={"Service": "events.amazonaws.com"},
                        Condition={"ArnEquals": {"aws:SourceArn": args.findings_rule.arn}},
                    ),
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sqs:*",
                        "Resource": queue.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ]
            ),
            opts=child(queue),
        )
        invoker = service_role(
            f"{name}-webhook-invoker",
            ctx,
            COMPONENT,
            self,
            services=["events.amazonaws.com"],
            source_arn=args.findings_rule.arn,
            description="EventBridge delivers security findings to the webhook API destination",
            statements=[allow("InvokeWebhook", ["events:InvokeApiDestination"], destination.arn)],
        )
        events.EventTarget(
            f"{name}-findings-to-webhook",
            rule=args.findings_rule.name,
            arn=destination.arn,
            role_arn=invoker.arn,
            retry_policy=events.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=WEBHOOK_RETRY_ATTEMPTS, maximum_event_age_in_seconds=WEBHOOK_MAX_EVENT_AGE_SECONDS
            ),
            dead_letter_config=events.EventTargetDeadLetterConfigArgs(arn=queue.arn),
            opts=child(destination),
        )
        metric_alarm(
            f"{name}-webhook-dlq-alarm",
            ctx,
            COMPONENT,
            queue,
            description=f"Security findings could not be delivered to the webhook ({ctx.name_prefix}); replay them "
            "from the dead-letter queue",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queue.name},
            statistic="Maximum",
            threshold=0,
            comparison="GreaterThanThreshold",
            topic_arn=args.topics.warning,
        )
        self.webhook_destination_arn = destination.arn
        self.dead_letter_queue_url = queue.url
