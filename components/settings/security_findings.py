"""Findings settings: the `securityFindings` key table (the ticketing connector of the unified Security Hub, the
generic webhook route, the weekly compliance report's schedule), `FindingsSettings` with its parts and
`read_findings`.

Secrets (the webhook token, the ServiceNow client secret) are accepted only from `secure:` config values
(`pulumi config set --secret --path ...`): a plain value would sit in the stack file in clear text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional
from zoneinfo import available_timezones

from .schema import _MISSING, PROJECT, Key, Problem, Section, _Problems, _Reader

CONNECTOR_PROVIDERS = ("jira", "servicenow")
_JIRA_PROJECT_RE = re.compile(r"[A-Z][A-Z0-9_]{1,9}")  # Jira Cloud project keys: upper case, 2-10 characters
_SERVICENOW_INSTANCE_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # <instance>.service-now.com
_HEADER_RE = re.compile(r"[A-Za-z0-9-]{1,64}")
# EventBridge Scheduler cron: six fields (minutes hours day-of-month month day-of-week year)
_CRON_RE = re.compile(r"cron\((\S+ ){5}\S+\)")
_RATE_RE = re.compile(r"rate\((1 day|[2-7] days)\)")  # a report at least weekly, at most daily
_CONNECTOR_KEYS = ("provider", "projectKey", "instanceName", "clientId", "clientSecret")
_WEBHOOK_KEYS = ("url", "headerName", "token")

FINDINGS_SECTION = Section(
    "securityFindings",
    "Where security findings go beyond the e-mail route, and the weekly compliance report. Built only by the stack "
    "that is the aggregation point (single account: security.accountBaseline).",
    (
        Key(
            "connector",
            "object",
            "Unified Security Hub ticketing connector: {provider: jira, projectKey} (Jira Cloud; authorize it once with "
            "the securityConnectorAuthUrl output) or {provider: servicenow, instanceName, clientId, clientSecret} "
            "(clientSecret a secure value). New CRITICAL/HIGH findings open a ticket. Empty: no connector. Changing "
            "the provider replaces the connector (it must be authorized again).",
            default={},
            allowed="empty, {provider: jira, projectKey: e.g. SEC} or {provider: servicenow, instanceName: e.g. acme, "
            "clientId, clientSecret: --secret}",
        ),
        Key(
            "webhook",
            "object",
            "Generic webhook for chat or paging tools: {url: https endpoint without credentials, headerName: the "
            "header that carries the token (default Authorization), token: a secure value}. Findings are POSTed through "
            "an EventBridge API destination with retries and a dead-letter queue. Empty: no webhook.",
            default={},
            allowed="empty, or {url: https://..., headerName: e.g. Authorization, token: set with --secret}",
        ),
        Key(
            "reportSchedule",
            "string",
            "When the compliance report runs (EventBridge Scheduler expression, in reportTimezone).",
            default="cron(0 6 ? * MON *)",
            allowed="cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 6 ? * MON *), or "
            "rate(N days) with N from 1 to 7",
            check=lambda v: _CRON_RE.fullmatch(v) is not None or _RATE_RE.fullmatch(v) is not None,
        ),
        Key(
            "reportTimezone",
            "string",
            "IANA time zone of reportSchedule.",
            default="UTC",
            allowed="an IANA time zone such as UTC or Europe/Berlin",
            check=lambda v: v in available_timezones(),
        ),
    ),
)


@dataclass(frozen=True)
class ConnectorSettings:
    provider: str  # jira | servicenow
    project_key: Optional[str] = None  # jira
    instance_name: Optional[str] = None  # servicenow
    client_id: Optional[str] = None  # servicenow
    client_secret: Optional[str] = None  # servicenow; from a secure config value


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    header_name: str
    token: str  # from a secure config value; components wrap it in pulumi.Output.secret


@dataclass(frozen=True)
class FindingsSettings:
    connector: Optional[ConnectorSettings] = None
    webhook: Optional[WebhookSettings] = None
    report_schedule: str = "cron(0 6 ? * MON *)"
    report_timezone: str = "UTC"


def _is_https_url(value: Any) -> bool:
    # no user:password@ and no query string: credentials belong in the token, never in the URL (it is stored in clear)
    return isinstance(value, str) and re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/%-]*)?", value) is not None


def read_findings(problems: _Problems, raw: Any, is_secret: Callable[[str], bool]) -> Optional[FindingsSettings]:
    """`is_secret(full_key)` tells whether the engine received that config key as a secret."""
    r = _Reader(problems, FINDINGS_SECTION, raw)
    v = r.values
    base = f"{PROJECT}:{FINDINGS_SECTION.name}"
    secret_ok = is_secret(base)
    before = len(problems.items)
    connector = _connector(problems, v.get("connector") or {}, f"{base}.connector", secret_ok) if r.ok("connector") else None
    webhook = _webhook(problems, v.get("webhook") or {}, f"{base}.webhook", secret_ok) if r.ok("webhook") else None
    if r.bad or len(problems.items) > before:
        return None
    return FindingsSettings(connector=connector, webhook=webhook, report_schedule=v["reportSchedule"],
                            report_timezone=v["reportTimezone"])


def _unknown(problems: _Problems, key: str, given: dict[str, Any], known: tuple[str, ...]) -> None:
    for name in sorted(set(given) - set(known)):
        problems.unknown(f"{key}.{name}", given[name], list(known))


def _connector(problems: _Problems, given: dict[str, Any], key: str, secret_ok: bool) -> Optional[ConnectorSettings]:
    if not given:
        return None
    _unknown(problems, key, given, _CONNECTOR_KEYS)
    provider = given.get("provider", _MISSING)
    if provider not in CONNECTOR_PROVIDERS:
        problems.add(f"{key}.provider", provider, "one of " + ", ".join(f'"{p}"' for p in CONNECTOR_PROVIDERS), "jira")
        return None
    if provider == "jira":
        project = given.get("projectKey", _MISSING)
        if not isinstance(project, str) or not _JIRA_PROJECT_RE.fullmatch(project):
            problems.add(f"{key}.projectKey", project, "a Jira Cloud project key (2-10 upper-case letters, digits, _)", "SEC")
            return None
        for extra in ("instanceName", "clientId", "clientSecret"):
            if extra in given:
                problems.add(f"{key}.{extra}", given[extra], "left out with provider jira (it authorizes with OAuth)", _MISSING)
        return ConnectorSettings(provider="jira", project_key=project)
    good = True
    instance, client_id, client_secret = (given.get(k, _MISSING) for k in ("instanceName", "clientId", "clientSecret"))
    if not isinstance(instance, str) or not _SERVICENOW_INSTANCE_RE.fullmatch(instance):
        problems.add(f"{key}.instanceName", instance, "the ServiceNow instance name (acme for acme.service-now.com)", "acme")
        good = False
    if not isinstance(client_id, str) or not client_id.strip():
        problems.add(f"{key}.clientId", client_id, "the OAuth client id of the ServiceNow application", "client-id")
        good = False
    if not isinstance(client_secret, str) or not client_secret or not secret_ok:
        _secret_problem(problems, f"{key}.clientSecret", client_secret, "the OAuth client secret of the ServiceNow application")
        good = False
    if "projectKey" in given:
        problems.add(f"{key}.projectKey", given["projectKey"], "left out with provider servicenow", _MISSING)
        good = False
    return ConnectorSettings(provider="servicenow", instance_name=instance, client_id=client_id,
                             client_secret=client_secret) if good else None


def _webhook(problems: _Problems, given: dict[str, Any], key: str, secret_ok: bool) -> Optional[WebhookSettings]:
    if not given:
        return None
    _unknown(problems, key, given, _WEBHOOK_KEYS)
    url, header, token = given.get("url", _MISSING), given.get("headerName", "Authorization"), given.get("token", _MISSING)
    good = True
    if not _is_https_url(url):
        problems.add(f"{key}.url", url, "an https:// URL without credentials or query string", "https://hooks.example.com/vitality")
        good = False
    if not isinstance(header, str) or not _HEADER_RE.fullmatch(header):
        problems.add(f"{key}.headerName", header, "an HTTP header name (letters, digits, -)", "Authorization")
        good = False
    if not isinstance(token, str) or not token or not secret_ok:
        _secret_problem(problems, f"{key}.token", token, "the webhook credential (e.g. the value of the auth header)")
        good = False
    return WebhookSettings(url=url, header_name=header, token=token) if good else None


def _secret_problem(problems: _Problems, full_key: str, value: Any, what: str) -> None:
    """A credential that is missing or was given in clear text; the value itself is never echoed."""
    path = full_key.partition(":")[2]
    shown = _MISSING if value is _MISSING else "<redacted: not a secure value>"
    problems.items.append(Problem(full_key, shown, f"{what}, stored as a secure value (never in clear text)",
                                  f"pulumi config set --secret --path {path} <value> --stack {problems.stack}"))
