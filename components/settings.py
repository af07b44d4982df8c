"""Stack configuration -> frozen, typed settings.

This is the only module that knows config key names. Every key is declared once in `SCHEMA` (type, default,
what is allowed, a description); `Pulumi.yaml` is generated from the same table (`python -m offline schema
--write`) and a test keeps the two equal. `load_settings` reads the raw config, collects *every* problem in
one pass and raises a single `ConfigError` before any resource exists.

Each problem line names the full key, the value given, what is allowed and the `pulumi config set` command
that fixes it. Unknown keys are errors with a "did you mean" suggestion, so a typo never falls back to a
default.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi

PROJECT = "vitality"
ENVIRONMENTS = ("dev", "prod")

_MISSING = object()


# --------------------------------------------------------------------------------------------------
# Problem collection
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    key: str  # full key, e.g. "vitality:database.maxCapacity"
    value: Any  # the value given (or _MISSING)
    allowed: str  # what is allowed
    fix: str  # the command that fixes it

    def render(self) -> str:
        given = "not set" if self.value is _MISSING else f"got {json.dumps(self.value)}"
        return f"{self.key}: {given}; allowed: {self.allowed}\n      fix: {self.fix}"


class ConfigError(pulumi.RunError):
    """Every problem in the stack configuration, reported together."""

    def __init__(self, stack: str, problems: Sequence[Problem]):
        self.stack = stack
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p.render()}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(
            f"Stack configuration of {PROJECT}/{stack} has {len(self.problems)} {noun}; nothing was created:\n{lines}"
        )

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.problems]


def _cli_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if re.fullmatch(r"[A-Za-z0-9_./:@+=-]+", text) else f"'{text}'"


class _Problems:
    def __init__(self, stack: str):
        self.stack = stack
        self.items: list[Problem] = []

    def fix_command(self, full_key: str, example: Any) -> str:
        namespace, _, path = full_key.partition(":")
        key = path if namespace == PROJECT else full_key
        flag = " --path" if "." in path or "[" in path else ""
        if example is _MISSING:
            return f"pulumi config rm{flag} {key} --stack {self.stack}"
        return f"pulumi config set{flag} {key} {_cli_value(example)} --stack {self.stack}"

    def add(self, full_key: str, value: Any, allowed: str, example: Any) -> None:
        self.items.append(Problem(full_key, value, allowed, self.fix_command(full_key, example)))

    def unknown(self, full_key: str, value: Any, candidates: Sequence[str]) -> None:
        leaf = full_key.rsplit(".", 1)[-1].split(":")[-1]
        close = difflib.get_close_matches(leaf, candidates, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(candidates))}"
        self.items.append(Problem(full_key, value, f"no such key; {hint}", self.fix_command(full_key, _MISSING)))


# --------------------------------------------------------------------------------------------------
# Declarative schema
# --------------------------------------------------------------------------------------------------

Check = Callable[[Any], bool]


@dataclass(frozen=True)
class Key:
    """One configuration value inside a section (or a top-level key when the section is None)."""

    name: str
    kind: str  # "string" | "integer" | "number" | "boolean" | "array" | "object"
    description: str
    default: Any = _MISSING  # _MISSING: required
    allowed: str = ""  # human text of what is allowed, beyond the type
    check: Optional[Check] = None  # value -> ok
    example: Any = _MISSING  # value suggested in the fix command when there is no default
    items: str = "string"  # element kind for arrays

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    def suggestion(self) -> Any:
        return self.default if self.example is _MISSING else self.example


@dataclass(frozen=True)
class Section:
    name: str  # config key under the project namespace, e.g. "database"
    description: str
    keys: tuple[Key, ...]
    required: bool = False  # the whole object must be present in the stack

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    def defaults(self) -> dict[str, Any]:
        return {k.name: k.default for k in self.keys if not k.required}


_TYPE_TEXT = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a map",
}


def _coerce(kind: str, value: Any) -> tuple[bool, Any]:
    """Accept the value if it has the kind; strings written by `pulumi config set --path` are parsed."""
    if kind == "string":
        return isinstance(value, str), value
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    if kind == "integer":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return True, int(value)
        return False, value
    if kind == "number":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, (int, float)):
            return True, value
        if isinstance(value, str):
            try:
                return True, float(value)
            except ValueError:
                return False, value
        return False, value
    if kind == "array":
        return isinstance(value, list), value
    if kind == "object":
        return isinstance(value, dict), value
    raise AssertionError(f"unknown kind {kind}")


# --------------------------------------------------------------------------------------------------
# Reusable checks
# --------------------------------------------------------------------------------------------------


def one_of(*values: Any) -> tuple[str, Check]:
    return "one of " + ", ".join(json.dumps(v) for v in values), lambda v: v in values


def between(low: float, high: float) -> tuple[str, Check]:
    return f"from {low:g} to {high:g}", lambda v: low <= v <= high


def _is_cidr(value: Any) -> bool:
    try:
        ipaddress.IPv4Network(value, strict=True)
        return True
    except (ValueError, TypeError):
        return False


def _is_email(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value) is not None


def _is_domain(value: Any) -> bool:
    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    return isinstance(value, str) and len(value) <= 253 and re.fullmatch(rf"({label}\.)+[a-z]{{2,63}}", value) is not None


def _strings(check: Check) -> Check:
    return lambda v: all(isinstance(i, str) and check(i) for i in v)


# CloudWatch Logs accepts exactly these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

NAT_MODES = ("none", "single", "per_az", "regional")
# The public image a fresh stack deploys before anything was pushed, and what it serves (docs/api.md, first deploy).
BOOTSTRAP_IMAGE = "public.ecr.aws/aws-containers/hello-app-runner:latest"
BOOTSTRAP_PORT, BOOTSTRAP_HEALTH_PATH = 8000, "/"
API_PLATFORMS = ("apprunner", "ecs-express")
API_CPU_UNITS = (256, 512, 1024, 2048, 4096)
# App Runner's instance sizes (CreateService InstanceConfiguration): cpu units -> memory MiB.
APPRUNNER_SIZES = {256: (512, 1024), 512: (1024,), 1024: (2048, 3072, 4096), 2048: (4096, 6144), 4096: (8192, 10240, 12288)}
# Fargate task sizes, capped at the 8192 MiB the ECS Express provider documents.
FARGATE_SIZES = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 8193, 1024)),
    4096: (8192,),
}
PLATFORM_SIZES = {"apprunner": APPRUNNER_SIZES, "ecs-express": FARGATE_SIZES}
_REPO_NAME_RE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
VIEWER_TLS_POLICIES = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")  # Security Hub CloudFront.15 accepts these
WAF_RATE_WINDOWS = (60, 120, 300, 600)
WAF_OVERRIDE_ACTIONS = ("allow", "block", "count", "captcha", "challenge")
# The managed rule groups the web ACL uses, with the rule names AWS documents for them. An override naming a
# rule outside the list is accepted (AWS adds rules to these groups) unless it looks like a typo of a listed one.
WAF_MANAGED_GROUPS: dict[str, tuple[str, ...]] = {
    "AWSManagedRulesAmazonIpReputationList": (
        "AWSManagedIPReputationList", "AWSManagedReconnaissanceList", "AWSManagedIPDDoSList",
    ),
    "AWSManagedRulesCommonRuleSet": (
        "NoUserAgent_HEADER", "UserAgent_BadBots_HEADER", "SizeRestrictions_QUERYSTRING",
        "SizeRestrictions_Cookie_HEADER", "SizeRestrictions_BODY", "SizeRestrictions_URIPATH",
        "EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_QUERYARGUMENTS",
        "GenericLFI_QUERYARGUMENTS", "GenericLFI_URIPATH", "GenericLFI_BODY", "RestrictedExtensions_URIPATH",
        "RestrictedExtensions_QUERYARGUMENTS", "GenericRFI_QUERYARGUMENTS", "GenericRFI_BODY", "GenericRFI_URIPATH",
        "CrossSiteScripting_COOKIE", "CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_BODY",
        "CrossSiteScripting_URIPATH",
    ),
    "AWSManagedRulesKnownBadInputsRuleSet": (
        "JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_BODY", "JavaDeserializationRCE_URIPATH",
        "JavaDeserializationRCE_QUERYSTRING", "Host_localhost_HEADER", "PROPFIND_METHOD", "ExploitablePaths_URIPATH",
        "Log4JRCE_HEADER", "Log4JRCE_QUERYSTRING", "Log4JRCE_BODY", "Log4JRCE_URIPATH",
    ),
}  # fmt: skip
# ISO 3166-1 alpha-2, the codes a WAF geo match statement takes.
COUNTRY_CODES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
    JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
    MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
    RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
    TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()
)


# --------------------------------------------------------------------------------------------------
# The schema: every key the program reads
# --------------------------------------------------------------------------------------------------

TOP_LEVEL: tuple[Key, ...] = (
    Key(
        "environment",
        "string",
        "Environment profile: prod protects stateful resources and forbids force-delete; dev allows fast teardown.",
        allowed=one_of(*ENVIRONMENTS)[0],
        check=one_of(*ENVIRONMENTS)[1],
        example="dev",
    ),
    Key(
        "tags",
        "object",
        "Extra tags merged into every taggable resource (e.g. Owner, CostCenter). Project, Environment, Component "
        "and ManagedBy are always set and cannot be overridden.",
        default={},
        allowed="a map of tag name to string value, at most 40 entries, not Project/Environment/Component/ManagedBy",
        check=lambda v: len(v) <= 40
        and all(isinstance(x, str) and isinstance(y, str) and x not in _RESERVED_TAGS for x, y in v.items()),
    ),
)

_RESERVED_TAGS: tuple[str, ...] = ("Project", "Environment", "Component", "ManagedBy")

_NETWORK = Section(
    "network",
    "VPC layout: CIDR, availability zones, NAT mode and interface endpoints.",
    (
        Key(
            "cidr",
            "string",
            "VPC IPv4 CIDR. Subnets are derived from it (see docs/network.md) unless subnetCidrs is given.",
            default="10.0.0.0/16",
            allowed="an IPv4 network in CIDR form with a prefix from /16 to /22, e.g. 10.0.0.0/16",
            check=lambda v: _is_cidr(v) and 16 <= ipaddress.IPv4Network(v).prefixlen <= 22,
        ),
        Key(
            "availabilityZones",
            "array",
            "Explicit AZ names in aws:region (no lookup at deploy time, so subnets never reshuffle).",
            allowed="2 to 6 distinct zone names of aws:region, e.g. [\"us-west-2a\", \"us-west-2b\"]",
            example=["us-west-2a", "us-west-2b"],
        ),
        Key(
            "natGateways",
            "string",
            "Egress for private subnets: none, single (one NAT in the first AZ), per_az (one per AZ) or regional "
            "(one regional NAT gateway spanning every AZ).",
            default="per_az",
            allowed=one_of(*NAT_MODES)[0],
            check=one_of(*NAT_MODES)[1],
        ),
        Key(
            "interfaceEndpoints",
            "array",
            "AWS service short names that get an interface VPC endpoint with private DNS (S3 always gets a free "
            "gateway endpoint).",
            default=["ecr.api", "ecr.dkr", "logs", "secretsmanager"],
            allowed="distinct service short names such as ecr.api, ecr.dkr, logs, secretsmanager, kms, sts, "
            "monitoring, xray, ssm",
            check=lambda v: len(set(v)) == len(v) and _strings(lambda s: re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", s) is not None and s not in ("s3", "dynamodb"))(v),
        ),
        Key(
            "subnetCidrs",
            "object",
            "Optional explicit subnet CIDRs per tier and AZ: {public|private|database: {<az>: <cidr>}}. A tier or AZ "
            "left out is derived from cidr.",
            default={},
            allowed="a map of tier (public, private, database) to a map of AZ name to IPv4 CIDR",
        ),
        Key(
            "flowLogTrafficType",
            "string",
            "Which traffic the VPC flow log records.",
            default="ALL",
            allowed=one_of("ALL", "REJECT", "ACCEPT")[0],
            check=one_of("ALL", "REJECT", "ACCEPT")[1],
        ),
    ),
    required=True,
)

# Aurora PostgreSQL majors in standard support (13 ended February 2026; the cluster opts out of paid Extended
# Support), and the first minor of each that allows 0 ACUs (Serverless v2 auto-pause).
DATABASE_MAJORS = (14, 15, 16, 17)
AUTO_PAUSE_MINIMUM = {14: 12, 15: 7, 16: 3, 17: 4}
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)
PERFORMANCE_INSIGHTS_RETENTION = (7, *range(31, 731, 31), 731)
RESTORE_TYPES = ("full-copy", "copy-on-write")
# Names RDS reserves for Aurora PostgreSQL or that are the well-known defaults an attacker tries first.
RESERVED_DB_USERS = ("postgres", "admin", "rdsadmin", "root", "administrator", "master", "superuser", "rds_superuser")
RESERVED_DB_NAMES = ("postgres", "template0", "template1", "rdsadmin")
_PG_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,62}")
_BACKUP_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAINTENANCE_WINDOW = re.compile(
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)"
)
# Parameters that only take effect after a reboot; RDS rejects apply_method "immediate" for them.
STATIC_DB_PARAMETERS = ("shared_preload_libraries", "max_connections", "rds.logical_replication", "track_activity_query_size")

_DATABASE = Section(
    "database",
    "Aurora PostgreSQL Serverless v2 cluster.",
    (
        Key(
            "engineVersion",
            "string",
            "Aurora PostgreSQL engine version (major.minor). minCapacity 0 needs 14.12, 15.7, 16.3, 17.4 or later.",
            default="17.7",
            allowed="a version of the form MAJOR.MINOR with MAJOR 14 to 17, e.g. 17.7",
            check=lambda v: re.fullmatch(r"\d{2}\.\d{1,2}", v) is not None and int(v.split(".")[0]) in DATABASE_MAJORS,
        ),
        Key(
            "minCapacity",
            "number",
            "Serverless v2 minimum ACUs; 0 lets the cluster auto-pause.",
            default=0.5,
            allowed="0 to 256 in steps of 0.5, at most maxCapacity",
            check=lambda v: 0 <= v <= 256 and float(v * 2).is_integer(),
        ),
        Key(
            "maxCapacity",
            "number",
            "Serverless v2 maximum ACUs.",
            default=8,
            allowed="1 to 256 in steps of 0.5, at least minCapacity",
            check=lambda v: 1 <= v <= 256 and float(v * 2).is_integer(),
        ),
        Key(
            "secondsUntilAutoPause",
            "integer",
            "Idle seconds before a cluster with minCapacity 0 pauses (ignored otherwise). Open connections keep it awake.",
            default=300,
            allowed="300 to 86400",
            check=lambda v: 300 <= v <= 86400,
        ),
        Key(
            "instanceClass",
            "string",
            "Instance class of the writer and the readers: db.serverless (Serverless v2) or a provisioned class.",
            default="db.serverless",
            allowed="db.serverless or a provisioned class such as db.r7g.large",
            check=lambda v: re.fullmatch(r"db\.serverless|db\.[a-z][a-z0-9-]*\.[0-9]*x?(large|medium|small|micro)", v) is not None,
        ),
        Key(
            "readers",
            "integer",
            "Number of reader instances (read replicas) besides the writer, placed in the AZs after the writer's.",
            default=1,
            allowed="0 to 15",
            check=lambda v: 0 <= v <= 15,
        ),
        Key(
            "readerAutoscaling",
            "object",
            "Application Auto Scaling of the reader count on reader CPU: {enabled: bool, min: 1..15 (the floor is "
            "the larger of min and readers), max: 1..15, at least min and readers, targetCpu: 10..90 percent}.",
            default={"enabled": False, "min": 1, "max": 3, "targetCpu": 60},
            allowed="a map with enabled (bool), min (1 to 15), max (1 to 15, at least min and readers), targetCpu (10 to 90)",
        ),
        Key(
            "backupRetentionDays",
            "integer",
            "Automated backup retention in days.",
            default=35,
            allowed="1 to 35",
            check=lambda v: 1 <= v <= 35,
        ),
        Key(
            "backupWindow",
            "string",
            "Daily automated backup window in UTC (hh24:mi-hh24:mi).",
            default="08:00-09:00",
            allowed="hh24:mi-hh24:mi in UTC, at least 30 minutes, not overlapping maintenanceWindow",
            check=lambda v: _BACKUP_WINDOW.fullmatch(v) is not None,
        ),
        Key(
            "maintenanceWindow",
            "string",
            "Weekly maintenance window in UTC (ddd:hh24:mi-ddd:hh24:mi).",
            default="sun:10:00-sun:11:00",
            allowed="ddd:hh24:mi-ddd:hh24:mi in UTC (days mon..sun), at least 30 minutes, not overlapping backupWindow",
            check=lambda v: _MAINTENANCE_WINDOW.fullmatch(v) is not None,
        ),
        Key(
            "deletionProtection",
            "boolean",
            "RDS deletion protection on the cluster.",
            default=True,
        ),
        Key(
            "skipFinalSnapshot",
            "boolean",
            "Delete the cluster without a final snapshot (fast dev teardown; never allowed in prod).",
            default=False,
        ),
        Key(
            "databaseName",
            "string",
            "Name of the application database created in the cluster.",
            default="vitality",
            allowed="a lower-case PostgreSQL identifier ([a-z][a-z0-9_]{0,62}), not postgres/template0/template1/rdsadmin",
            check=lambda v: _PG_IDENTIFIER.fullmatch(v) is not None and v not in RESERVED_DB_NAMES,
        ),
        Key(
            "masterUsername",
            "string",
            "Master user name (its password is managed by RDS in Secrets Manager).",
            default="vitality_admin",
            allowed="a lower-case PostgreSQL identifier ([a-z][a-z0-9_]{0,62}), not a default or reserved name ("
            + ", ".join(RESERVED_DB_USERS) + ") and not starting with rds or pg_",
            check=lambda v: _PG_IDENTIFIER.fullmatch(v) is not None and v not in RESERVED_DB_USERS
            and not v.startswith(("rds", "pg_")),
        ),
        Key(
            "parameters",
            "object",
            "Cluster parameter overrides: {name: value} or {name: {value, applyMethod}}; merged over the secure "
            "defaults (see docs/database.md). rds.force_ssl cannot be turned off.",
            default={},
            allowed="a map of parameter name to a string/number value or {value, applyMethod: immediate|pending-reboot}",
        ),
        Key(
            "monitoringInterval",
            "integer",
            "Enhanced Monitoring interval in seconds.",
            default=60,
            allowed="one of " + ", ".join(map(str, MONITORING_INTERVALS)),
            check=lambda v: v in MONITORING_INTERVALS,
        ),
        Key(
            "performanceInsightsRetentionDays",
            "integer",
            "Performance Insights retention (7 is free).",
            default=7,
            allowed="7, a multiple of 31 up to 713, or 731",
            check=lambda v: v in PERFORMANCE_INSIGHTS_RETENTION,
        ),
        Key(
            "awsBackup",
            "object",
            "AWS Backup vault and daily plan for the cluster on top of the automated backups: {enabled: bool, "
            "retentionDays: 7..3650, schedule: a daily cron(...) in UTC}.",
            default={"enabled": True, "retentionDays": 35, "schedule": "cron(0 5 ? * * *)"},
            allowed="a map with enabled (bool), retentionDays (7 to 3650), schedule (a cron(...) expression in UTC)",
        ),
        Key(
            "restore",
            "object",
            "Create the cluster from a backup (DR drills): {snapshotIdentifier} or {sourceClusterIdentifier, "
            "restoreToTime | useLatestRestorableTime, restoreType}. See the runbook in docs/database.md.",
            default={},
            allowed="empty, {snapshotIdentifier: <snapshot id or ARN>}, or {sourceClusterIdentifier, restoreToTime "
            "(YYYY-MM-DDTHH:MM:SSZ) or useLatestRestorableTime: true, restoreType: full-copy|copy-on-write}",
        ),
    ),
)

_READER_AUTOSCALING = Section(
    "database.readerAutoscaling",
    "Reader auto scaling.",
    (
        Key("enabled", "boolean", "Scale the reader count on CPU.", default=False),
        Key("min", "integer", "Minimum readers.", default=1, allowed="1 to 15", check=lambda v: 1 <= v <= 15),
        Key("max", "integer", "Maximum readers.", default=3, allowed="1 to 15, at least min", check=lambda v: 1 <= v <= 15),
        Key("targetCpu", "number", "Average reader CPU to hold.", default=60, allowed="10 to 90", check=lambda v: 10 <= v <= 90),
    ),
)

_AWS_BACKUP = Section(
    "database.awsBackup",
    "AWS Backup plan.",
    (
        Key("enabled", "boolean", "Create the vault, plan and selection.", default=True),
        Key("retentionDays", "integer", "Days a recovery point is kept.", default=35, allowed="7 to 3650",
            check=lambda v: 7 <= v <= 3650),
        Key("schedule", "string", "When the daily backup starts (UTC).", default="cron(0 5 ? * * *)",
            allowed="a daily cron(...) expression with six fields, e.g. cron(0 5 ? * * *)",
            check=lambda v: re.fullmatch(r"cron\(\d{1,2} \d{1,2} \? \* \* \*\)", v) is not None),
    ),
)

_RESTORE = Section(
    "database.restore",
    "Restore source.",
    (
        Key("snapshotIdentifier", "string", "Cluster snapshot id or ARN to create the cluster from.", default="",
            allowed="empty, a cluster snapshot identifier or its ARN",
            check=lambda v: v == "" or re.fullmatch(r"(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:)?[a-zA-Z][a-zA-Z0-9:-]{0,254}", v) is not None),
        Key("sourceClusterIdentifier", "string", "Cluster to restore to a point in time from.", default="",
            allowed="empty, a cluster identifier or its ARN",
            check=lambda v: v == "" or re.fullmatch(r"(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:)?[a-zA-Z][a-zA-Z0-9-]{0,62}", v) is not None),
        Key("restoreToTime", "string", "UTC time to restore to.", default="",
            allowed="empty or YYYY-MM-DDTHH:MM:SSZ",
            check=lambda v: v == "" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v) is not None),
        Key("useLatestRestorableTime", "boolean", "Restore to the latest restorable time.", default=False),
        Key("restoreType", "string", "full-copy or copy-on-write (a clone).", default="full-copy",
            allowed=one_of(*RESTORE_TYPES)[0], check=one_of(*RESTORE_TYPES)[1]),
    ),
)

_API = Section(
    "api",
    "The API service: platform, image and scaling.",
    (
        Key(
            "platform",
            "string",
            "apprunner (the seed's choice; only for accounts that already use App Runner) or ecs-express "
            "(Amazon ECS Express Mode).",
            default="apprunner",
            allowed=one_of(*API_PLATFORMS)[0],
            check=one_of(*API_PLATFORMS)[1],
        ),
        Key(
            "image",
            "string",
            "Image tag or digest in the API repository (e.g. v1.4.2 or sha256:...), or a full public image "
            "reference for the first deploy before anything was pushed.",
            default=BOOTSTRAP_IMAGE,
            allowed="a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), a digest (sha256:<64 hex>) or a full image reference",
        ),
        Key("minInstances", "integer", "Minimum running instances.", default=1, allowed="1 to 25", check=lambda v: 1 <= v <= 25),
        Key("maxInstances", "integer", "Maximum running instances.", default=4, allowed="1 to 25, at least minInstances", check=lambda v: 1 <= v <= 25),
        Key(
            "maxConcurrency",
            "integer",
            "Concurrent requests per instance before App Runner scales out; ECS Express scales on requests per "
            "task per minute at 60 times this value.",
            default=100,
            allowed="1 to 200",
            check=lambda v: 1 <= v <= 200,
        ),
        Key(
            "cpu",
            "integer",
            "CPU units per instance or task (1024 = 1 vCPU).",
            default=1024,
            allowed="256, 512, 1024, 2048 or 4096, in a combination with memory the platform accepts",
            check=lambda v: v in API_CPU_UNITS,
        ),
        Key(
            "memory",
            "integer",
            "Memory per instance or task in MiB.",
            default=2048,
            allowed="a size in MiB the platform accepts for api.cpu (see docs/api.md)",
            check=lambda v: 512 <= v <= 30720,
        ),
        Key(
            "port",
            "integer",
            "Port the container listens on: 8000 for the bootstrap image; your app's port once api.image is yours.",
            default=BOOTSTRAP_PORT,
            allowed="1024 to 65535",
            check=lambda v: 1024 <= v <= 65535,
        ),
        Key(
            "healthCheckPath",
            "string",
            "HTTP path the platform probes for health: / for the bootstrap image; your app's (e.g. /health) after.",
            default=BOOTSTRAP_HEALTH_PATH,
            allowed="an absolute path of at most 51 characters from [A-Za-z0-9._~/-], e.g. /health",
            check=lambda v: re.fullmatch(r"/[A-Za-z0-9._~/-]{0,50}", v) is not None,
        ),
    ),
)

_REGISTRY = Section(
    "registry",
    "Private ECR repositories for the service images.",
    (
        Key(
            "repositories",
            "array",
            "Repository short names, one private repository each (named <project>-<stack>/<name>). The API pulls "
            "from the one named api.",
            default=["api"],
            allowed="1 to 20 distinct lower-case names ([a-z0-9] separated by . _ - or /) including \"api\"",
            check=lambda v: 1 <= len(v) <= 20 and len(set(v)) == len(v) and "api" in v
            and _strings(lambda s: len(s) <= 200 and _REPO_NAME_RE.fullmatch(s) is not None)(v),
        ),
        Key(
            "mutableTags",
            "array",
            "Moving tags that may be overwritten (e.g. latest). Empty: every tag is immutable. Each one becomes an "
            "exact-match exclusion from tag immutability.",
            default=[],
            allowed="up to 5 distinct exact tags ([A-Za-z0-9_][A-Za-z0-9_.-]*, no wildcards) that start with no "
            "release or protected prefix",
            check=lambda v: len(v) <= 5 and len(set(v)) == len(v) and _strings(lambda s: _TAG_RE.fullmatch(s) is not None)(v),
        ),
        Key(
            "releaseTagPrefixes",
            "array",
            "Tag prefixes of release images; the newest keepReleaseImages of each prefix are kept.",
            default=["v"],
            allowed="1 to 5 distinct tag prefixes ([A-Za-z0-9_][A-Za-z0-9_.-]*)",
            check=lambda v: 1 <= len(v) <= 5 and len(set(v)) == len(v) and _strings(lambda s: _TAG_RE.fullmatch(s) is not None)(v),
        ),
        Key(
            "keepReleaseImages",
            "integer",
            "How many release images to keep per release prefix; older ones expire.",
            default=30,
            allowed="1 to 1000",
            check=lambda v: 1 <= v <= 1000,
        ),
        Key(
            "protectedTagPrefixes",
            "array",
            "Tag prefixes of images that never expire (e.g. images that ran in prod, kept for audit).",
            default=["prod-"],
            allowed="up to 5 distinct tag prefixes ([A-Za-z0-9_][A-Za-z0-9_.-]*) that do not overlap a release prefix",
            check=lambda v: len(v) <= 5 and len(set(v)) == len(v) and _strings(lambda s: _TAG_RE.fullmatch(s) is not None)(v),
        ),
        Key(
            "untaggedExpiryDays",
            "integer",
            "Days after push when an untagged image (a superseded build layer set) expires.",
            default=7,
            allowed="1 to 365",
            check=lambda v: 1 <= v <= 365,
        ),
    ),
)

_FRONTEND = Section(
    "frontend",
    "Web frontend: S3 origin, CloudFront, WAF.",
    (
        Key(
            "domain",
            "string",
            "Optional custom domain for the distribution (then hostedZoneId too). Empty: the default "
            "*.cloudfront.net certificate.",
            default="",
            allowed="empty, or a lower-case DNS name such as app.example.com",
            check=lambda v: v == "" or _is_domain(v),
        ),
        Key(
            "hostedZoneId",
            "string",
            "Route 53 public hosted zone that holds frontend.domain.",
            default="",
            allowed="empty, or a Route 53 zone id such as Z0123456789ABCDEFGHIJ",
            check=lambda v: v == "" or re.fullmatch(r"Z[A-Z0-9]{1,31}", v) is not None,
        ),
        Key(
            "priceClass",
            "string",
            "CloudFront price class: which edge locations serve the site (PriceClass_100: North America and Europe).",
            default="PriceClass_100",
            allowed=one_of(*PRICE_CLASSES)[0],
            check=one_of(*PRICE_CLASSES)[1],
        ),
        Key(
            "minimumProtocolVersion",
            "string",
            "Oldest TLS policy viewers may use on the custom domain (ignored without frontend.domain: the default "
            "certificate has its own policy).",
            default="TLSv1.2_2021",
            allowed=one_of(*VIEWER_TLS_POLICIES)[0],
            check=one_of(*VIEWER_TLS_POLICIES)[1],
        ),
        Key(
            "wafRateLimit",
            "integer",
            "WAF rate-based rule: requests one client IP may send within wafRateWindowSeconds before it is blocked.",
            default=2000,
            allowed="10 to 2000000000",
            check=lambda v: 10 <= v <= 2_000_000_000,
        ),
        Key(
            "wafRateWindowSeconds",
            "integer",
            "Evaluation window of the WAF rate-based rule.",
            default=300,
            allowed=one_of(*WAF_RATE_WINDOWS)[0],
            check=one_of(*WAF_RATE_WINDOWS)[1],
        ),
        Key(
            "wafRuleOverrides",
            "object",
            "Per-rule action overrides inside the AWS managed rule groups: {<rule group>: {<rule name>: <action>}}, "
            "e.g. {AWSManagedRulesCommonRuleSet: {SizeRestrictions_BODY: count}}.",
            default={},
            allowed="a map of rule group (" + ", ".join(WAF_MANAGED_GROUPS) + ") to a map of rule name to one of "
            + ", ".join(WAF_OVERRIDE_ACTIONS),
        ),
        Key(
            "allowedIpCidrs",
            "array",
            "If not empty, only these client networks (IPv4 or IPv6 CIDR) may reach the site; the other WAF rules "
            "still apply to them.",
            default=[],
            allowed="a list of IPv4 or IPv6 networks in CIDR form (prefix at least /1), e.g. 203.0.113.0/24",
        ),
        Key(
            "blockedIpCidrs",
            "array",
            "Client networks (IPv4 or IPv6 CIDR) that WAF always blocks.",
            default=[],
            allowed="a list of IPv4 or IPv6 networks in CIDR form (prefix at least /1), e.g. 198.51.100.0/24",
        ),
        Key(
            "geoBlockCountries",
            "array",
            "ISO 3166-1 alpha-2 country codes WAF blocks (by the client's source IP).",
            default=[],
            allowed="a list of distinct upper-case ISO 3166-1 alpha-2 country codes, e.g. [\"KP\"]",
        ),
    ),
)

_OBSERVABILITY = Section(
    "observability",
    "Alarms, logs and dashboards.",
    (
        Key(
            "alarmEmails",
            "array",
            "E-mail addresses subscribed to the alarm topics.",
            default=[],
            allowed="a list of e-mail addresses",
            check=_strings(_is_email),
        ),
        Key(
            "logRetentionDays",
            "integer",
            "Retention of every log group the program creates.",
            default=365,
            allowed="one of the values CloudWatch Logs accepts: " + ", ".join(map(str, LOG_RETENTION_DAYS)),
            check=lambda v: v in LOG_RETENTION_DAYS,
        ),
        Key(
            "rumSessionSampleRate",
            "number",
            "Share of browser sessions CloudWatch RUM records (1 = every session).",
            default=0.1,
            allowed="from 0 to 1",
            check=lambda v: 0 <= v <= 1,
        ),
        Key(
            "traceSampleRate",
            "number",
            "Share of API requests X-Ray samples beyond the first request per second.",
            default=0.05,
            allowed="from 0 to 1",
            check=lambda v: 0 <= v <= 1,
        ),
        Key(
            "monthlyBudgetUsd",
            "number",
            "Monthly AWS cost budget of this environment in USD (cost tagged Environment=<environment>); "
            "forecast and actual alerts go to the warning topic.",
            default=100,
            allowed="a number greater than 0, at most 1000000",
            check=lambda v: 0 < v <= 1_000_000,
        ),
        Key(
            "synthetics",
            "boolean",
            "Run CloudWatch Synthetics heartbeat canaries on the API health path and the frontend URL.",
            default=False,
        ),
        Key(
            "thresholds",
            "object",
            "Per-alarm threshold overrides for this stack: {<alarm id>: <number>} (ids in docs/observability.md).",
            default={},
            allowed="a map of alarm id (see docs/observability.md) to a number",
        ),
    ),
)

# Security Hub standards this program can subscribe to (config name -> ARN path after `standards/`).
SECURITY_STANDARDS = {
    "fsbp": "aws-foundational-security-best-practices/v/1.0.0",
    "cis-3.0": "cis-aws-foundations-benchmark/v/3.0.0",
    "nist-800-53-r5": "nist-800-53/v/5.0.0",
}
REMEDIATION_MODES = ("automatic", "manual")
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
CONTROL_ID_RE = re.compile(r"[A-Z][A-Za-z0-9]{1,29}\.\d{1,3}")  # Security Hub control ids: IAM.6, EC2.2, CloudTrail.7
_CONTACT_KEYS = ("name", "email", "phone", "title")
_PHONE_RE = re.compile(r"\+?[0-9][0-9 ()-]{5,23}[0-9]")

_SECURITY = Section(
    "security",
    "Account security baseline.",
    (
        Key(
            "accountBaseline",
            "boolean",
            "Whether this stack owns the account-level singletons (Security Hub, Config recorder, GuardDuty, "
            "CloudTrail, password policy, ...). Two stacks in one account: true in exactly one.",
            default=False,
        ),
        Key(
            "globalResourceRegion",
            "string",
            "The one region whose Config recorder records global resource types (IAM); empty means aws:region.",
            default="",
            allowed="empty, or an AWS region name such as us-west-2",
            check=lambda v: v == "" or AWS_REGION_RE.fullmatch(v) is not None,
        ),
        Key(
            "standards",
            "array",
            "Security Hub standards to subscribe to (default standards are never auto-enabled).",
            default=["fsbp", "cis-3.0"],
            allowed="a non-empty list of distinct names from " + ", ".join(SECURITY_STANDARDS),
            check=lambda v: len(v) > 0 and len(set(v)) == len(v) and all(x in SECURITY_STANDARDS for x in v),
        ),
        Key(
            "controlExceptions",
            "array",
            "Accepted Security Hub findings: controls disabled with a recorded reason, as [{controlId, standard?, "
            "reason}]. Without standard the control is disabled in every subscribed standard.",
            default=[],
            allowed="a list of {controlId: e.g. IAM.6, standard: a subscribed standard (optional), reason: text}",
            items="object",
        ),
        Key(
            "securityContact",
            "object",
            "Security alternate contact of the account (Account.1): {name, email, phone, title}. Required when "
            "accountBaseline is true.",
            default={},
            allowed="a map with name, email, phone (e.g. +1-206-555-0100) and title",
        ),
        Key(
            "remediation",
            "string",
            "AWS Config remediation: automatic (SSM automation runs on non-compliant resources) or manual "
            "(remediation is configured and started by a person).",
            default="manual",
            allowed=one_of(*REMEDIATION_MODES)[0],
            check=one_of(*REMEDIATION_MODES)[1],
        ),
        Key(
            "unusedAccessAgeDays",
            "integer",
            "IAM Access Analyzer: days without use after which access is reported as unused.",
            default=90,
            allowed="1 to 365",
            check=lambda v: 1 <= v <= 365,
        ),
        Key(
            "auditRetentionYears",
            "integer",
            "Years CloudTrail logs (audit bucket) and Config snapshots (Config history bucket) are kept (Config history: at most 7).",
            default=7,
            allowed="1 to 10",
            check=lambda v: 1 <= v <= 10,
        ),
        Key(
            "objectLock",
            "object",
            "Object Lock default retention of the audit bucket in prod: {mode: GOVERNANCE|COMPLIANCE, days}. Dev "
            "buckets have no Object Lock (they must stay deletable).",
            default={"mode": "GOVERNANCE", "days": 365},
            allowed="a map with mode (GOVERNANCE or COMPLIANCE) and days (1 to 3650, at most auditRetentionYears)",
        ),
        Key(
            "passwordMaxAgeDays",
            "integer",
            "IAM password policy maximum password age; 0 means passwords do not expire.",
            default=90,
            allowed="0 (no expiry) or 1 to 1095",
            check=lambda v: 0 <= v <= 1095,
        ),
        Key(
            "s3DataEvents",
            "boolean",
            "CloudTrail logs S3 object-level read and write events for every bucket (CIS S3.22/S3.23; billed per "
            "event).",
            default=True,
        ),
    ),
)

_GITHUB_OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_GITHUB_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")
_KMS_KEY_ARN_RE = re.compile(r"arn:aws(-[a-z]+)*:kms:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:key/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def _is_github_repository(value: Any) -> bool:
    owner, slash, name = value.partition("/")
    return (
        bool(slash)
        and _GITHUB_OWNER_RE.fullmatch(owner) is not None
        and _GITHUB_NAME_RE.fullmatch(name) is not None
        and name not in (".", "..")
    )


def _is_branch(value: Any) -> bool:
    # git check-ref-format rules, minus wildcards: the trust policy matches the ref exactly
    return (
        re.fullmatch(r"[A-Za-z0-9._/-]{1,255}", value) is not None
        and ".." not in value
        and "//" not in value
        and not value.startswith(("/", "-", "."))
        and not value.endswith(("/", ".", ".lock"))
    )


def _is_bucket_name(value: Any) -> bool:
    return (
        re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) is not None
        and ".." not in value
        and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value) is None  # not shaped like an IP address
    )


_CI = Section(
    "ci",
    "GitHub Actions delivery: the account's GitHub OIDC provider and the CI preview/deploy roles. Set githubRepository "
    "in exactly one stack per AWS account (the OIDC provider is an account singleton).",
    (
        Key(
            "githubRepository",
            "string",
            "GitHub repository (owner/name) whose workflows may assume the CI roles. Empty: no CI roles in this stack.",
            default="",
            allowed="empty, or owner/name as GitHub spells it, e.g. vitality-example/vitality-platform",
            check=lambda v: v == "" or _is_github_repository(v),
        ),
        Key(
            "deployBranch",
            "string",
            "Branch whose push workflow may assume the deploy role (dev deploys run on it without an environment).",
            default="main",
            allowed="a branch name without wildcards, e.g. main",
            check=_is_branch,
        ),
        Key(
            "prodEnvironment",
            "string",
            "Protected GitHub environment (required reviewers) whose jobs may assume the deploy role for prod.",
            default="prod",
            allowed="a GitHub environment name: letters, digits, '.', '_' and '-', up to 255 characters",
            check=lambda v: re.fullmatch(r"[A-Za-z0-9._-]{1,255}", v) is not None,
        ),
        Key(
            "stateBucket",
            "string",
            "S3 bucket of a DIY Pulumi backend (cloud-url s3://<bucket>); the preview role may read the state and take "
            "the stack lock (the deploy role's PowerUserAccess covers S3). Empty: the Pulumi Cloud backend.",
            default="",
            allowed="empty, or an S3 bucket name (3-63 lower-case letters, digits, '.', '-')",
            check=lambda v: v == "" or _is_bucket_name(v),
        ),
        Key(
            "secretsProviderKeyArn",
            "string",
            "KMS key of an awskms:// secrets provider; the preview role may decrypt with it (the deploy role's "
            "PowerUserAccess covers KMS). Empty: the backend's default secrets provider.",
            default="",
            allowed="empty, or a KMS key ARN such as arn:aws:kms:us-west-2:111122223333:key/<uuid>",
            check=lambda v: v == "" or _KMS_KEY_ARN_RE.fullmatch(v) is not None,
        ),
    ),
)

SECTIONS: tuple[Section, ...] = (_NETWORK, _DATABASE, _API, _REGISTRY, _FRONTEND, _OBSERVABILITY, _SECURITY, _CI)

# Provider keys the program reads (declared in the stack files, not typed in Pulumi.yaml).
PROVIDER_KEYS = ("aws:region",)
AWS_REGION_RE: re.Pattern[str] = re.compile(r"(us|eu|ap|ca|sa|me|af|il|mx)(-gov)?-[a-z]+-\d")


# --------------------------------------------------------------------------------------------------
# Typed settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkSettings:
    cidr: str
    availability_zones: tuple[str, ...]
    nat_gateways: str
    interface_endpoints: tuple[str, ...]
    subnet_cidrs: Mapping[str, Mapping[str, str]]  # tier -> az -> cidr, complete for every tier and AZ
    flow_log_traffic_type: str


@dataclass(frozen=True)
class ReaderAutoscalingSettings:
    enabled: bool = False
    min_readers: int = 1
    max_readers: int = 3
    target_cpu: float = 60.0


@dataclass(frozen=True)
class AwsBackupSettings:
    enabled: bool = True
    retention_days: int = 35
    schedule: str = "cron(0 5 ? * * *)"


@dataclass(frozen=True)
class RestoreSettings:
    """Exactly one source: a snapshot, or a source cluster with a time (or the latest restorable time)."""

    snapshot_identifier: Optional[str] = None
    source_cluster_identifier: Optional[str] = None
    restore_to_time: Optional[str] = None
    use_latest_restorable_time: bool = False
    restore_type: str = "full-copy"


@dataclass(frozen=True)
class DbParameter:
    value: str
    apply_method: str  # "immediate" | "pending-reboot"


@dataclass(frozen=True)
class DatabaseSettings:
    engine_version: str
    min_capacity: float
    max_capacity: float
    readers: int
    backup_retention_days: int
    deletion_protection: bool
    seconds_until_auto_pause: int = 300
    instance_class: str = "db.serverless"
    reader_autoscaling: ReaderAutoscalingSettings = ReaderAutoscalingSettings()
    backup_window: str = "08:00-09:00"
    maintenance_window: str = "sun:10:00-sun:11:00"
    skip_final_snapshot: bool = False
    database_name: str = "vitality"
    master_username: str = "vitality_admin"
    parameters: Mapping[str, DbParameter] = field(default_factory=dict)  # overrides only; defaults live in the component
    monitoring_interval: int = 60
    performance_insights_retention_days: int = 7
    aws_backup: AwsBackupSettings = AwsBackupSettings()
    restore: Optional[RestoreSettings] = None

    @property
    def major_version(self) -> int:
        return int(self.engine_version.split(".")[0])


@dataclass(frozen=True)
class ApiSettings:
    platform: str
    image: str
    min_instances: int
    max_instances: int
    max_concurrency: int
    cpu: int
    memory: int
    port: int
    health_check_path: str

    @property
    def public_image(self) -> bool:
        """A full public reference (the bootstrap image), not a tag or digest in the API repository."""
        return "/" in self.image


@dataclass(frozen=True)
class RegistrySettings:
    repositories: tuple[str, ...]
    mutable_tags: tuple[str, ...]
    release_tag_prefixes: tuple[str, ...]
    keep_release_images: int
    protected_tag_prefixes: tuple[str, ...]
    untagged_expiry_days: int


@dataclass(frozen=True)
class FrontendSettings:
    domain: Optional[str]
    hosted_zone_id: Optional[str]
    price_class: str
    minimum_protocol_version: str
    waf_rate_limit: int
    waf_rate_window_seconds: int
    waf_rule_overrides: Mapping[str, Mapping[str, str]]  # managed rule group -> rule name -> action
    allowed_ip_cidrs: tuple[str, ...]  # normalised, IPv4 and IPv6 mixed
    blocked_ip_cidrs: tuple[str, ...]
    geo_block_countries: tuple[str, ...]


@dataclass(frozen=True)
class ObservabilitySettings:
    alarm_emails: tuple[str, ...]
    log_retention_days: int
    rum_session_sample_rate: float = 0.1
    trace_sample_rate: float = 0.05
    monthly_budget_usd: float = 100.0
    synthetics: bool = False
    thresholds: Mapping[str, float] = field(default_factory=dict)  # alarm id -> threshold for this stack


@dataclass(frozen=True)
class ControlException:
    control_id: str
    standard: Optional[str]  # None: every subscribed standard
    reason: str


@dataclass(frozen=True)
class SecurityContact:
    name: str
    email: str
    phone: str
    title: str


@dataclass(frozen=True)
class SecuritySettings:
    account_baseline: bool
    global_resource_region: Optional[str] = None  # None: the stack's region
    standards: tuple[str, ...] = ("fsbp", "cis-3.0")
    control_exceptions: tuple[ControlException, ...] = ()
    security_contact: Optional[SecurityContact] = None
    remediation: str = "manual"
    unused_access_age_days: int = 90
    audit_retention_years: int = 7
    object_lock_mode: str = "GOVERNANCE"
    object_lock_days: int = 365
    password_max_age_days: int = 90  # 0: no expiry
    s3_data_events: bool = True

    @property
    def automatic_remediation(self) -> bool:
        return self.remediation == "automatic"


@dataclass(frozen=True)
class CiSettings:
    github_repository: Optional[str]  # owner/name; None: this stack creates no CI roles
    deploy_branch: str
    prod_environment: str
    state_bucket: Optional[str]
    secrets_provider_key_arn: Optional[str]


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    environment: str
    region: str
    extra_tags: Mapping[str, str]
    network: NetworkSettings
    database: DatabaseSettings
    api: ApiSettings
    registry: RegistrySettings
    frontend: FrontendSettings
    observability: ObservabilitySettings
    security: SecuritySettings
    ci: CiSettings

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    @property
    def base_tags(self) -> dict[str, str]:
        """Tags on every taggable resource; components add `Component`."""
        return {**self.extra_tags, "Project": self.project, "Environment": self.environment, "ManagedBy": "pulumi"}


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def raw_config() -> dict[str, Any]:
    """All config the engine handed to the program: the CLI passes PULUMI_CONFIG, tests use set_all_config."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Reader:
    """Validates one section's raw object against its keys and returns plain values."""

    def __init__(self, problems: _Problems, section: Optional[Section], raw: Any):
        self.problems = problems
        self.section = section
        self.values: dict[str, Any] = {}
        self.bad: set[str] = set()
        keys = section.keys if section else TOP_LEVEL
        if section is None:
            data = raw
        elif raw is _MISSING:
            data = {}
        else:
            data = raw
        for unknown in sorted(set(data) - {k.name for k in keys}) if section else ():
            problems.unknown(self.full(unknown), data[unknown], [k.name for k in keys])
        for key in keys:
            self._read(key, data.get(key.name, _MISSING))

    def full(self, name: str) -> str:
        return f"{PROJECT}:{self.section.name}.{name}" if self.section else f"{PROJECT}:{name}"

    def _read(self, key: Key, value: Any) -> None:
        if value is _MISSING:
            if key.required:
                self.problems.add(self.full(key.name), _MISSING, key.allowed or _TYPE_TEXT[key.kind], key.suggestion())
                self.bad.add(key.name)
            else:
                self.values[key.name] = key.default
            return
        ok, coerced = _coerce(key.kind, value)
        if ok and key.kind == "array":
            ok = all(_coerce(key.items, item)[0] for item in coerced)
        allowed = f"{_TYPE_TEXT[key.kind]}" + (f", {key.allowed}" if key.allowed else "")
        if not ok or (key.check is not None and not _safe(key.check, coerced)):
            self.problems.add(self.full(key.name), value, allowed, key.suggestion())
            self.bad.add(key.name)
            return
        self.values[key.name] = coerced

    def ok(self, *names: str) -> bool:
        return not any(n in self.bad for n in names)

    def fail(self, name: str, allowed: str, example: Any = _MISSING) -> None:
        key = (self.section.key(name) if self.section else next(k for k in TOP_LEVEL if k.name == name))
        self.problems.add(self.full(name), self.values.get(name, _MISSING), allowed, key.suggestion() if example is _MISSING else example)
        self.bad.add(name)


def _safe(check: Check, value: Any) -> bool:
    try:
        return bool(check(value))
    except (TypeError, ValueError, AttributeError):
        return False


# Subnet layout derived from the VPC CIDR, keyed by AZ letter so that adding, removing or reordering AZs never
# moves another AZ's subnets. For a /16: private /20s in the first half, public and database /22s in the next
# two /19s, the last quarter left free.
_TIER_LAYOUT = {"private": (1, 0, 4), "public": (2, 4, 6), "database": (2, 5, 6)}  # tier: (block bits, block index, subnet bits)
TIERS = ("public", "private", "database")


def derived_subnet(cidr: str, tier: str, az: str) -> str:
    vpc = ipaddress.IPv4Network(cidr)
    block_bits, block_index, subnet_bits = _TIER_LAYOUT[tier]
    if tier == "private":
        block = list(vpc.subnets(prefixlen_diff=block_bits))[block_index]
    else:
        block = list(vpc.subnets(prefixlen_diff=3))[block_index]
    slot = ord(az[-1]) - ord("a")
    return str(list(block.subnets(new_prefix=vpc.prefixlen + subnet_bits))[slot])


def _network(problems: _Problems, raw: Any, region: Optional[str]) -> Optional[NetworkSettings]:
    r = _Reader(problems, _NETWORK, raw)
    azs = r.values.get("availabilityZones")
    if azs is not None:
        pattern = re.compile(rf"{re.escape(region)}[a-h]") if region else re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d[a-h]")
        if not 2 <= len(azs) <= 6 or len(set(azs)) != len(azs) or not all(pattern.fullmatch(a) for a in azs):
            where = f"of aws:region {region}" if region else "of aws:region"
            r.fail("availabilityZones", f"2 to 6 distinct zone names {where} (letters a-h), e.g. [\"{region or 'us-west-2'}a\", \"{region or 'us-west-2'}b\"]",
                   [f"{region or 'us-west-2'}a", f"{region or 'us-west-2'}b"])
    if not r.ok("cidr", "availabilityZones", "subnetCidrs"):
        return None
    cidr, azs = r.values["cidr"], tuple(r.values["availabilityZones"])
    explicit = r.values["subnetCidrs"]
    layout: dict[str, dict[str, str]] = {}
    for tier in sorted(set(explicit) - set(TIERS)):
        problems.unknown(f"{PROJECT}:network.subnetCidrs.{tier}", explicit[tier], list(TIERS))
    vpc = ipaddress.IPv4Network(cidr)
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for tier in TIERS:
        given = explicit.get(tier, {})
        if not isinstance(given, dict):
            problems.add(f"{PROJECT}:network.subnetCidrs.{tier}", given, "a map of AZ name to IPv4 CIDR", {azs[0]: derived_subnet(cidr, tier, azs[0])})
            continue
        for az in sorted(set(given) - set(azs)):
            problems.unknown(f"{PROJECT}:network.subnetCidrs.{tier}.{az}", given[az], list(azs))
        layout[tier] = {}
        for az in azs:
            key = f"{PROJECT}:network.subnetCidrs.{tier}.{az}"
            value = given.get(az, derived_subnet(cidr, tier, az))
            if not _is_cidr(value):
                problems.add(key, value, "an IPv4 network in CIDR form such as 10.0.0.0/24", derived_subnet(cidr, tier, az))
                continue
            net = ipaddress.IPv4Network(value)
            if not net.subnet_of(vpc):
                problems.add(key, value, f"a subnet inside network.cidr {cidr}", derived_subnet(cidr, tier, az))
                continue
            if not 16 <= net.prefixlen <= 28:
                problems.add(key, value, "a prefix from /16 to /28 (AWS subnet limits)", derived_subnet(cidr, tier, az))
                continue
            clash = next((name for name, other in seen if net.overlaps(other)), None)
            if clash:
                problems.add(key, value, f"a CIDR that does not overlap {clash}", _MISSING)
                continue
            seen.append((f"network.subnetCidrs.{tier}.{az} ({net})", net))
            layout[tier][az] = value
    if r.bad or any(len(layout.get(t, {})) != len(azs) for t in TIERS):
        return None
    return NetworkSettings(
        cidr=cidr,
        availability_zones=azs,
        nat_gateways=r.values["natGateways"],
        interface_endpoints=tuple(r.values["interfaceEndpoints"]),
        subnet_cidrs=layout,
        flow_log_traffic_type=r.values["flowLogTrafficType"],
    )


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _backup_intervals(window: str) -> list[tuple[int, int]]:
    """The daily backup window as minute-of-week intervals from the previous Sunday to the next Monday, so windows
    that wrap past midnight or past the end of the week are compared too."""
    start, end = (_minutes(t) for t in window.split("-"))
    length = (end - start) % 1440
    return [(day * 1440 + start, day * 1440 + start + length) for day in range(-1, 8)]


def _maintenance_interval(window: str) -> tuple[int, int]:
    start, end = window.split("-")
    s = _DAYS.index(start[:3]) * 1440 + _minutes(start[4:])
    e = _DAYS.index(end[:3]) * 1440 + _minutes(end[4:])
    return s, s + (e - s) % (7 * 1440)


def _nested(problems: _Problems, section: Section, raw: Any) -> _Reader:
    return _Reader(problems, section, raw if isinstance(raw, dict) else {})


def _db_parameters(r: _Reader, raw: Mapping[str, Any]) -> dict[str, DbParameter]:
    found: dict[str, DbParameter] = {}
    for name, given in raw.items():
        key = f"{PROJECT}:database.parameters.{name}"
        if not re.fullmatch(r"[a-z_][a-z0-9_.]*", name):
            r.problems.add(key, given, "a PostgreSQL parameter name such as log_min_duration_statement", _MISSING)
            continue
        value, method = given, "pending-reboot" if name in STATIC_DB_PARAMETERS else "immediate"
        if isinstance(given, dict):
            value, method = given.get("value"), given.get("applyMethod", method)
            extra = set(given) - {"value", "applyMethod"}
            if extra or method not in ("immediate", "pending-reboot"):
                r.problems.add(key, given, "{value, applyMethod: immediate|pending-reboot}", {"value": value, "applyMethod": "pending-reboot"})
                continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
            r.problems.add(key, given, "a non-empty string or number", "1")
            continue
        if name in STATIC_DB_PARAMETERS and method == "immediate":
            r.problems.add(key, given, f"applyMethod pending-reboot ({name} is static)", {"value": value, "applyMethod": "pending-reboot"})
            continue
        if name == "rds.force_ssl" and str(value) != "1":
            r.problems.add(key, given, "1 (TLS is required; see docs/database.md)", "1")
            continue
        found[name] = DbParameter(str(value), method)
    return found


def _database(problems: _Problems, raw: Any) -> Optional[DatabaseSettings]:
    r = _Reader(problems, _DATABASE, raw)
    v = r.values
    if r.ok("minCapacity", "maxCapacity") and v["minCapacity"] > v["maxCapacity"]:
        r.fail("maxCapacity", f"at least database.minCapacity ({v['minCapacity']:g})", max(v["minCapacity"], 1))
    if r.ok("minCapacity", "engineVersion") and v["minCapacity"] == 0:
        major, minor = (int(x) for x in v["engineVersion"].split("."))
        if minor < AUTO_PAUSE_MINIMUM[major]:
            r.fail("engineVersion", f"{major}.{AUTO_PAUSE_MINIMUM[major]} or later when database.minCapacity is 0 "
                   "(auto-pause)", f"{major}.{AUTO_PAUSE_MINIMUM[major]}")
    for window in ("backupWindow", "maintenanceWindow"):
        if r.ok(window):
            start, end = (_backup_intervals(v[window])[0] if window == "backupWindow" else _maintenance_interval(v[window]))
            if end - start < 30:
                r.fail(window, "a window of at least 30 minutes")
    if r.ok("backupWindow", "maintenanceWindow"):
        m_start, m_end = _maintenance_interval(v["maintenanceWindow"])
        if any(b_start < m_end and m_start < b_end for b_start, b_end in _backup_intervals(v["backupWindow"])):
            r.fail("maintenanceWindow", f"a window that does not overlap database.backupWindow ({v['backupWindow']})")

    scaling = _nested(problems, _READER_AUTOSCALING, v.get("readerAutoscaling"))
    s = scaling.values
    if scaling.ok("min", "max") and s["min"] > s["max"]:
        scaling.fail("max", f"at least database.readerAutoscaling.min ({s['min']})", s["min"])
    if scaling.ok("max", "enabled") and r.ok("readers") and s["enabled"] and s["max"] < v["readers"]:
        scaling.fail("max", f"at least database.readers ({v['readers']}): the floor is never below the configured readers",
                     v["readers"])

    backup = _nested(problems, _AWS_BACKUP, v.get("awsBackup"))
    restore = _nested(problems, _RESTORE, v.get("restore"))
    rv = restore.values
    if restore.ok("snapshotIdentifier", "sourceClusterIdentifier", "restoreToTime", "useLatestRestorableTime"):
        point_in_time = bool(rv["sourceClusterIdentifier"])
        if rv["snapshotIdentifier"] and point_in_time:
            restore.fail("sourceClusterIdentifier", "empty when database.restore.snapshotIdentifier is set (one restore "
                         "source)", _MISSING)
        elif point_in_time and bool(rv["restoreToTime"]) == rv["useLatestRestorableTime"]:
            restore.fail("restoreToTime", "exactly one of restoreToTime or useLatestRestorableTime: true with "
                         "sourceClusterIdentifier", "2026-01-31T12:00:00Z")
        elif not point_in_time and (rv["restoreToTime"] or rv["useLatestRestorableTime"]):
            restore.fail("sourceClusterIdentifier", "the source cluster of a point-in-time restore (restoreToTime or "
                         "useLatestRestorableTime is set)", "vitality-prod-db")
        elif rv["snapshotIdentifier"] and rv["restoreType"] != "full-copy":
            restore.fail("restoreType", "full-copy for a snapshot restore (copy-on-write is a point-in-time clone)", "full-copy")

    parameters = _db_parameters(r, v["parameters"]) if r.ok("parameters") else {}
    if r.bad or scaling.bad or backup.bad or restore.bad:
        return None
    restore_settings = None
    if rv["snapshotIdentifier"] or rv["sourceClusterIdentifier"]:
        restore_settings = RestoreSettings(
            snapshot_identifier=rv["snapshotIdentifier"] or None,
            source_cluster_identifier=rv["sourceClusterIdentifier"] or None,
            restore_to_time=rv["restoreToTime"] or None,
            use_latest_restorable_time=rv["useLatestRestorableTime"],
            restore_type=rv["restoreType"],
        )
    return DatabaseSettings(
        engine_version=v["engineVersion"],
        min_capacity=float(v["minCapacity"]),
        max_capacity=float(v["maxCapacity"]),
        readers=v["readers"],
        backup_retention_days=v["backupRetentionDays"],
        deletion_protection=v["deletionProtection"],
        seconds_until_auto_pause=v["secondsUntilAutoPause"],
        instance_class=v["instanceClass"],
        reader_autoscaling=ReaderAutoscalingSettings(s["enabled"], s["min"], s["max"], float(s["targetCpu"])),
        backup_window=v["backupWindow"],
        maintenance_window=v["maintenanceWindow"],
        skip_final_snapshot=v["skipFinalSnapshot"],
        database_name=v["databaseName"],
        master_username=v["masterUsername"],
        parameters=parameters,
        monitoring_interval=v["monitoringInterval"],
        performance_insights_retention_days=v["performanceInsightsRetentionDays"],
        aws_backup=AwsBackupSettings(backup.values["enabled"], backup.values["retentionDays"], backup.values["schedule"]),
        restore=restore_settings,
    )


_TAG_RE: re.Pattern[str] = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
PUBLIC_ECR = "public.ecr.aws"
_DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")
_IMAGE_REF_RE = re.compile(
    r"(?P<repo>[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[a-f0-9]{64}))"
)


def is_image_reference(value: str) -> bool:
    """A tag, a digest, or a full reference (registry/repository:tag or @digest)."""
    return bool(_TAG_RE.fullmatch(value) or _DIGEST_RE.fullmatch(value) or _IMAGE_REF_RE.fullmatch(value))


def _api(problems: _Problems, raw: Any) -> Optional[ApiSettings]:
    r = _Reader(problems, _API, raw)
    v = r.values
    if r.ok("image") and not is_image_reference(v["image"]):
        r.fail("image", _API.key("image").allowed, "v1.0.0")
    elif r.ok("image") and "/" in v["image"] and not v["image"].startswith(PUBLIC_ECR + "/"):
        r.fail("image", f"a tag or digest in the API repository, or a public image on {PUBLIC_ECR} (the only public "
               "registry App Runner pulls from)", "v1.0.0")
    if r.ok("minInstances", "maxInstances") and v["minInstances"] > v["maxInstances"]:
        r.fail("maxInstances", f"at least api.minInstances ({v['minInstances']})", v["minInstances"])
    if r.ok("image", "port", "healthCheckPath") and v["image"] == BOOTSTRAP_IMAGE:
        # a health check on the wrong port or path fails the very first deploy
        if v["port"] != BOOTSTRAP_PORT:
            r.fail("port", f"{BOOTSTRAP_PORT} while api.image is the bootstrap image (it serves HTTP on {BOOTSTRAP_PORT}); "
                   "set your app's port together with api.image", BOOTSTRAP_PORT)
        if v["healthCheckPath"] != BOOTSTRAP_HEALTH_PATH:
            r.fail("healthCheckPath", f"{BOOTSTRAP_HEALTH_PATH} while api.image is the bootstrap image (it answers only "
                   "there); set your app's path together with api.image", BOOTSTRAP_HEALTH_PATH)
    if r.ok("platform", "cpu", "memory"):
        sizes = PLATFORM_SIZES[v["platform"]]
        if v["memory"] not in sizes[v["cpu"]]:
            r.fail("memory", f"for api.cpu {v['cpu']} on {v['platform']}: one of {', '.join(map(str, sizes[v['cpu']]))}",
                   sizes[v["cpu"]][0])
    if r.bad:
        return None
    return ApiSettings(
        platform=v["platform"],
        image=v["image"],
        min_instances=v["minInstances"],
        max_instances=v["maxInstances"],
        max_concurrency=v["maxConcurrency"],
        cpu=v["cpu"],
        memory=v["memory"],
        port=v["port"],
        health_check_path=v["healthCheckPath"],
    )


def _registry(problems: _Problems, raw: Any) -> Optional[RegistrySettings]:
    r = _Reader(problems, _REGISTRY, raw)
    v = r.values
    if r.ok("releaseTagPrefixes", "protectedTagPrefixes"):
        clash = [(a, b) for a in v["protectedTagPrefixes"] for b in v["releaseTagPrefixes"] if a.startswith(b) or b.startswith(a)]
        if clash:
            r.fail("protectedTagPrefixes", f"prefixes that do not overlap a release prefix ({clash[0][0]!r} and {clash[0][1]!r} do)", [])
    if r.ok("mutableTags", "releaseTagPrefixes", "protectedTagPrefixes"):
        prefixes = (*v["releaseTagPrefixes"], *v["protectedTagPrefixes"])
        moving = [t for t in v["mutableTags"] if any(t.startswith(p) for p in prefixes)]
        if moving:
            r.fail("mutableTags", f"tags that start with no release or protected prefix ({moving[0]!r} does), so a "
                   "release tag can never be overwritten", [])
    if r.bad:
        return None
    return RegistrySettings(
        repositories=tuple(v["repositories"]),
        mutable_tags=tuple(v["mutableTags"]),
        release_tag_prefixes=tuple(v["releaseTagPrefixes"]),
        keep_release_images=v["keepReleaseImages"],
        protected_tag_prefixes=tuple(v["protectedTagPrefixes"]),
        untagged_expiry_days=v["untaggedExpiryDays"],
    )


def _frontend(problems: _Problems, raw: Any) -> Optional[FrontendSettings]:
    r = _Reader(problems, _FRONTEND, raw)
    v = r.values
    if r.ok("domain", "hostedZoneId") and bool(v["domain"]) != bool(v["hostedZoneId"]):
        missing = "hostedZoneId" if v["domain"] else "domain"
        r.fail(missing, "set together with frontend." + ("domain" if missing == "hostedZoneId" else "hostedZoneId")
               + " (both or neither)", "Z0123456789ABCDEFGHIJ" if missing == "hostedZoneId" else "app.example.com")
    cidrs = {name: _frontend_cidrs(problems, name, v[name]) for name in ("allowedIpCidrs", "blockedIpCidrs") if r.ok(name)}
    allowed, blocked = cidrs.get("allowedIpCidrs"), cidrs.get("blockedIpCidrs")
    if allowed is not None and blocked is not None:
        for index, cidr in enumerate(blocked):
            if cidr in allowed:
                problems.add(f"{PROJECT}:frontend.blockedIpCidrs[{index}]", v["blockedIpCidrs"][index],
                             "a network that is not also in frontend.allowedIpCidrs", _MISSING)
                r.bad.add("blockedIpCidrs")
    countries = _frontend_countries(problems, v["geoBlockCountries"]) if r.ok("geoBlockCountries") else None
    overrides = _frontend_overrides(problems, v["wafRuleOverrides"]) if r.ok("wafRuleOverrides") else None
    if r.bad or None in cidrs.values() or countries is None or overrides is None:
        return None
    return FrontendSettings(
        domain=v["domain"] or None,
        hosted_zone_id=v["hostedZoneId"] or None,
        price_class=v["priceClass"],
        minimum_protocol_version=v["minimumProtocolVersion"],
        waf_rate_limit=v["wafRateLimit"],
        waf_rate_window_seconds=v["wafRateWindowSeconds"],
        waf_rule_overrides=overrides,
        allowed_ip_cidrs=cidrs["allowedIpCidrs"],  # type: ignore[arg-type]
        blocked_ip_cidrs=cidrs["blockedIpCidrs"],  # type: ignore[arg-type]
        geo_block_countries=countries,
    )


def _frontend_cidrs(problems: _Problems, name: str, values: Sequence[str]) -> Optional[tuple[str, ...]]:
    """WAF IP sets take IPv4 and IPv6 networks in CIDR form, any prefix but /0; each bad item is named."""
    good: list[str] = []
    ok = True
    for index, value in enumerate(values):
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError:
            network = None
        if network is None or network.prefixlen == 0:
            problems.add(f"{PROJECT}:frontend.{name}[{index}]", value,
                         "an IPv4 or IPv6 network in CIDR form with no host bits set and a prefix of at least /1, "
                         "e.g. 203.0.113.0/24 or 2001:db8::/32", "203.0.113.0/24")
            ok = False
        elif str(network) in good:
            problems.add(f"{PROJECT}:frontend.{name}[{index}]", value, "a network not listed twice", _MISSING)
            ok = False
        else:
            good.append(str(network))
    return tuple(good) if ok else None


def _frontend_countries(problems: _Problems, values: Sequence[str]) -> Optional[tuple[str, ...]]:
    ok = True
    for index, value in enumerate(values):
        key = f"{PROJECT}:frontend.geoBlockCountries[{index}]"
        if values.index(value) != index:
            problems.add(key, value, "a country not listed twice", _MISSING)
            ok = False
        elif value not in COUNTRY_CODES:
            problems.add(key, value, "an upper-case ISO 3166-1 alpha-2 country code, e.g. KP",
                         value.upper() if value.upper() in COUNTRY_CODES else "KP")
            ok = False
    return tuple(values) if ok else None


def _frontend_overrides(problems: _Problems, raw: Mapping[str, Any]) -> Optional[dict[str, dict[str, str]]]:
    result: dict[str, dict[str, str]] = {}
    ok = True
    for group, rules in raw.items():
        key = f"{PROJECT}:frontend.wafRuleOverrides.{group}"
        if group not in WAF_MANAGED_GROUPS:
            close = difflib.get_close_matches(group, list(WAF_MANAGED_GROUPS), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(key, rules, "a rule group the web ACL uses: " + ", ".join(WAF_MANAGED_GROUPS) + hint, _MISSING)
            ok = False
            continue
        if not isinstance(rules, dict):
            problems.add(key, rules, "a map of rule name to action, e.g. {SizeRestrictions_BODY: count}", _MISSING)
            ok = False
            continue
        known = WAF_MANAGED_GROUPS[group]
        for rule, action in rules.items():
            rule_key = f"{key}.{rule}"
            close = difflib.get_close_matches(rule, known, n=1, cutoff=0.8)
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", rule) or (rule not in known and close):
                hint = f"; did you mean {close[0]!r}?" if close and rule not in known else ""
                problems.add(rule_key, action, f"a rule of {group} such as {known[0]}{hint}", _MISSING)
                ok = False
            elif action not in WAF_OVERRIDE_ACTIONS:
                problems.add(rule_key, action, "one of " + ", ".join(WAF_OVERRIDE_ACTIONS), "count")
                ok = False
            else:
                result.setdefault(group, {})[rule] = action
    return result if ok else None


def _observability(problems: _Problems, raw: Any) -> Optional[ObservabilitySettings]:
    from .alarm_catalog import ALARM_IDS  # the catalog is plain data; its ids are the override keys

    r = _Reader(problems, _OBSERVABILITY, raw)
    v = r.values
    thresholds: dict[str, float] = {}
    for alarm_id, value in sorted(v.get("thresholds", {}).items()):
        key = f"{PROJECT}:observability.thresholds.{alarm_id}"
        if alarm_id not in ALARM_IDS:
            problems.unknown(key, value, list(ALARM_IDS))
            r.bad.add("thresholds")
            continue
        ok, number = _coerce("number", value)
        if not ok or number < 0:
            problems.add(key, value, "a number of at least 0 (the alarm threshold in the metric's unit)", 1)
            r.bad.add("thresholds")
            continue
        thresholds[alarm_id] = float(number)
    if r.bad:
        return None
    return ObservabilitySettings(
        alarm_emails=tuple(v["alarmEmails"]),
        log_retention_days=v["logRetentionDays"],
        rum_session_sample_rate=float(v["rumSessionSampleRate"]),
        trace_sample_rate=float(v["traceSampleRate"]),
        monthly_budget_usd=float(v["monthlyBudgetUsd"]),
        synthetics=v["synthetics"],
        thresholds=thresholds,
    )


def _security(problems: _Problems, raw: Any) -> Optional[SecuritySettings]:
    r = _Reader(problems, _SECURITY, raw)
    v = r.values
    base = f"{PROJECT}:security"
    standards = tuple(v["standards"]) if r.ok("standards") else None

    exceptions: list[ControlException] = []
    example = {"controlId": "EC2.10", "standard": "fsbp", "reason": "why the finding is accepted"}
    for index, entry in enumerate(v.get("controlExceptions") or []):
        key = f"{base}.controlExceptions[{index}]"
        if not isinstance(entry, dict):
            problems.add(key, entry, "a map {controlId, standard?, reason}", example)
            continue
        for unknown in sorted(set(entry) - {"controlId", "standard", "reason"}):
            problems.unknown(f"{key}.{unknown}", entry[unknown], ["controlId", "standard", "reason"])
        control, standard, reason = entry.get("controlId", _MISSING), entry.get("standard"), entry.get("reason", _MISSING)
        good = True
        if not isinstance(control, str) or not CONTROL_ID_RE.fullmatch(control):
            problems.add(f"{key}.controlId", control, "a Security Hub control id such as IAM.6, EC2.2 or CloudTrail.7", "IAM.6")
            good = False
        if not isinstance(reason, str) or len(reason.strip()) < 10:
            problems.add(f"{key}.reason", reason, "the reason the finding is accepted (at least 10 characters)", "why the finding is accepted")
            good = False
        if standard is not None and (not isinstance(standard, str) or (standards is not None and standard not in standards)):
            subscribed = ", ".join(standards) if standards else ", ".join(SECURITY_STANDARDS)
            problems.add(f"{key}.standard", standard, f"a subscribed standard ({subscribed}) or left out", (standards or ("fsbp",))[0])
            good = False
        if good:
            exceptions.append(ControlException(control_id=control, standard=standard, reason=reason.strip()))
    seen = set()
    for exc in exceptions:
        ident = (exc.control_id, exc.standard)
        if ident in seen:
            problems.add(f"{base}.controlExceptions", exc.control_id, "each control listed once per standard", _MISSING)
        seen.add(ident)

    contact: Optional[SecurityContact] = None
    given = v.get("securityContact")
    if given:
        ckey = f"{base}.securityContact"
        for unknown in sorted(set(given) - set(_CONTACT_KEYS)):
            problems.unknown(f"{ckey}.{unknown}", given[unknown], list(_CONTACT_KEYS))
        checks = {
            "name": ("a non-empty name of up to 64 characters", lambda x: 0 < len(x.strip()) <= 64, "Security Team"),
            "email": ("an e-mail address", _is_email, "security@example.com"),
            "phone": ("a phone number such as +1-206-555-0100", lambda x: _PHONE_RE.fullmatch(x) is not None, "+1-206-555-0100"),
            "title": ("a non-empty title of up to 50 characters", lambda x: 0 < len(x.strip()) <= 50, "Security Lead"),
        }
        fields: dict[str, str] = {}
        for name, (allowed, check, sample) in checks.items():
            value = given.get(name, _MISSING)
            if not isinstance(value, str) or not check(value):
                problems.add(f"{ckey}.{name}", value, allowed, sample)
            else:
                fields[name] = value
        if len(fields) == len(checks):
            contact = SecurityContact(**fields)
    elif r.ok("accountBaseline") and v["accountBaseline"]:
        problems.add(f"{base}.securityContact", _MISSING, "the security contact {name, email, phone, title} when accountBaseline is true",
                     {"name": "Security Team", "email": "security@example.com", "phone": "+1-206-555-0100", "title": "Security Lead"})

    lock = v.get("objectLock")
    lock_mode, lock_days = "GOVERNANCE", 365
    if isinstance(lock, dict):
        lkey = f"{base}.objectLock"
        for unknown in sorted(set(lock) - {"mode", "days"}):
            problems.unknown(f"{lkey}.{unknown}", lock[unknown], ["mode", "days"])
        lock_mode = lock.get("mode", _MISSING)
        if lock_mode not in OBJECT_LOCK_MODES:
            problems.add(f"{lkey}.mode", lock_mode, one_of(*OBJECT_LOCK_MODES)[0], "GOVERNANCE")
        ok, lock_days = _coerce("integer", lock.get("days", _MISSING))
        years: int = v["auditRetentionYears"] if r.ok("auditRetentionYears") else 10
        if not ok or not 1 <= lock_days <= min(3650, years * 365):
            problems.add(f"{lkey}.days", lock.get("days", _MISSING), f"1 to {min(3650, years * 365)} (at most security.auditRetentionYears)", 365)

    if r.bad or (problems.items and any(p.key.startswith(f"{base}.") for p in problems.items)):
        return None
    return SecuritySettings(
        account_baseline=v["accountBaseline"],
        global_resource_region=v["globalResourceRegion"] or None,
        standards=standards or (),
        control_exceptions=tuple(exceptions),
        security_contact=contact,
        remediation=v["remediation"],
        unused_access_age_days=v["unusedAccessAgeDays"],
        audit_retention_years=v["auditRetentionYears"],
        object_lock_mode=lock_mode,
        object_lock_days=lock_days,
        password_max_age_days=v["passwordMaxAgeDays"],
        s3_data_events=v["s3DataEvents"],
    )


def _ci(problems: _Problems, raw: Any) -> Optional[CiSettings]:
    r = _Reader(problems, _CI, raw)
    v = r.values
    if r.bad:
        return None
    return CiSettings(
        github_repository=v["githubRepository"] or None,
        deploy_branch=v["deployBranch"],
        prod_environment=v["prodEnvironment"],
        state_bucket=v["stateBucket"] or None,
        secrets_provider_key_arn=v["secretsProviderKeyArn"] or None,
    )


def _cross_section_rules(problems: _Problems, sections: Mapping[str, Any]) -> None:
    """Rules between areas."""
    api, observability = sections.get("api"), sections.get("observability")
    if api is not None and observability is not None and observability.synthetics and not api.health_check_path.startswith("/api/"):
        # the API origin only accepts requests that come through CloudFront, i.e. under /api/
        problems.add(f"{PROJECT}:observability.synthetics", True,
                     f"false while api.healthCheckPath ({api.health_check_path}) is outside /api/: the heartbeat reaches "
                     "the API through CloudFront's /api/* behaviour, the only way past its origin check", False)


def _environment_rules(problems: _Problems, environment: Optional[str], sections: Mapping[str, Any]) -> None:
    """Rules that tie a value to the environment profile (DESIGN.md, Environments)."""
    if environment != "prod":
        return
    database, observability = sections.get("database"), sections.get("observability")
    if database is not None and not database.deletion_protection:
        problems.add(f"{PROJECT}:database.deletionProtection", False, "true in a prod environment", True)
    if database is not None and database.backup_retention_days < 7:
        problems.add(f"{PROJECT}:database.backupRetentionDays", database.backup_retention_days, "at least 7 in a prod environment", 35)
    if database is not None and database.skip_final_snapshot:
        problems.add(f"{PROJECT}:database.skipFinalSnapshot", True, "false in a prod environment (a final snapshot is kept)", False)
    if database is not None and database.min_capacity < 0.5:
        problems.add(f"{PROJECT}:database.minCapacity", database.min_capacity, "at least 0.5 in a prod environment (no auto-pause)", 0.5)
    if database is not None and database.readers < 1:
        problems.add(f"{PROJECT}:database.readers", database.readers, "at least 1 in a prod environment (failover to another AZ)", 1)
    if observability is not None and observability.log_retention_days < 365:
        problems.add(f"{PROJECT}:observability.logRetentionDays", observability.log_retention_days, "at least 365 in a prod environment", 365)


def load_settings(config: Optional[Mapping[str, Any]] = None, stack: Optional[str] = None) -> Settings:
    """Parse and validate the whole stack configuration; raise one ConfigError listing every problem."""
    stack = stack or pulumi.get_stack()
    config = raw_config() if config is None else config
    problems = _Problems(stack)

    ours = {k.split(":", 1)[1]: _decode(v) for k, v in config.items() if k.startswith(f"{PROJECT}:")}
    known = [k.name for k in TOP_LEVEL] + [s.name for s in SECTIONS]
    for unknown in sorted(set(ours) - set(known)):
        problems.unknown(f"{PROJECT}:{unknown}", ours[unknown], known)

    region = config.get("aws:region")
    if not isinstance(region, str) or not AWS_REGION_RE.fullmatch(region):
        problems.add("aws:region", region if region is not None else _MISSING, "an AWS region name such as us-west-2", "us-west-2")
        region = None

    top = _Reader(problems, None, {k: v for k, v in ours.items() if k in {t.name for t in TOP_LEVEL}})
    section_raw: dict[str, Any] = {}
    for section in SECTIONS:
        value = ours.get(section.name, _MISSING)
        if value is _MISSING and section.required:
            problems.add(f"{PROJECT}:{section.name}", _MISSING, f"a map with the {section.name} settings (see Pulumi.yaml)",
                         {k.name: k.suggestion() for k in section.keys if k.required})
            value = {}
        elif value is not _MISSING and not isinstance(value, dict):
            problems.add(f"{PROJECT}:{section.name}", value, f"a map with the {section.name} settings (see Pulumi.yaml)", {})
            value = {}
        section_raw[section.name] = value if isinstance(value, dict) else {}

    parsed = {
        "network": _network(problems, section_raw["network"], region),
        "database": _database(problems, section_raw["database"]),
        "api": _api(problems, section_raw["api"]),
        "registry": _registry(problems, section_raw["registry"]),
        "frontend": _frontend(problems, section_raw["frontend"]),
        "observability": _observability(problems, section_raw["observability"]),
        "security": _security(problems, section_raw["security"]),
        "ci": _ci(problems, section_raw["ci"]),
    }
    environment = top.values.get("environment")
    _environment_rules(problems, environment, parsed)
    _cross_section_rules(problems, parsed)

    if problems.items:
        raise ConfigError(stack, problems.items)
    assert region is not None and environment is not None
    return Settings(
        project=PROJECT,
        stack=stack,
        environment=environment,
        region=region,
        extra_tags=dict(top.values["tags"]),
        **parsed,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------------
# Pulumi.yaml config block, generated from the schema
# --------------------------------------------------------------------------------------------------


def project_config_schema() -> dict[str, Any]:
    """The `config:` block of Pulumi.yaml: one typed, described entry per top-level key and section."""
    block: dict[str, Any] = {}
    for key in TOP_LEVEL:
        entry: dict[str, Any] = {"type": key.kind, "description": key.description}
        if not key.required:
            entry["default"] = key.default
        block[key.name] = entry
    for section in SECTIONS:
        lines = [section.description]
        for key in section.keys:
            req = " (required)" if key.required else ""
            allowed = f" Allowed: {key.allowed}." if key.allowed else ""
            lines.append(f"{section.name}.{key.name} ({key.kind}{req}): {key.description}{allowed}")
        entry = {"type": "object", "description": "\n".join(lines)}
        if not section.required:
            entry["default"] = section.defaults()
        block[section.name] = entry
    return block
