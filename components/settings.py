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
from dataclasses import dataclass
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
API_PLATFORMS = ("apprunner", "ecs-express")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")


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

_DATABASE = Section(
    "database",
    "Aurora PostgreSQL Serverless v2 cluster.",
    (
        Key(
            "engineVersion",
            "string",
            "Aurora PostgreSQL engine version (major.minor).",
            default="16.8",
            allowed="a version of the form MAJOR.MINOR, e.g. 16.8",
            check=lambda v: re.fullmatch(r"\d{2}\.\d{1,2}", v) is not None,
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
            "readers",
            "integer",
            "Number of reader instances (read replicas) besides the writer.",
            default=1,
            allowed="0 to 15",
            check=lambda v: 0 <= v <= 15,
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
            "deletionProtection",
            "boolean",
            "RDS deletion protection on the cluster.",
            default=True,
        ),
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
            default="public.ecr.aws/aws-containers/hello-app-runner:latest",
            allowed="a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), a digest (sha256:<64 hex>) or a full image reference",
        ),
        Key("minInstances", "integer", "Minimum running instances.", default=1, allowed="1 to 25", check=lambda v: 1 <= v <= 25),
        Key("maxInstances", "integer", "Maximum running instances.", default=4, allowed="1 to 25, at least minInstances", check=lambda v: 1 <= v <= 25),
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
    ),
)

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

SECTIONS: tuple[Section, ...] = (_NETWORK, _DATABASE, _API, _FRONTEND, _OBSERVABILITY, _SECURITY, _CI)

# Provider keys the program reads (declared in the stack files, not typed in Pulumi.yaml).
PROVIDER_KEYS = ("aws:region",)
AWS_REGION_RE = re.compile(r"(us|eu|ap|ca|sa|me|af|il|mx)(-gov)?-[a-z]+-\d")


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
class DatabaseSettings:
    engine_version: str
    min_capacity: float
    max_capacity: float
    readers: int
    backup_retention_days: int
    deletion_protection: bool


@dataclass(frozen=True)
class ApiSettings:
    platform: str
    image: str
    min_instances: int
    max_instances: int


@dataclass(frozen=True)
class FrontendSettings:
    domain: Optional[str]
    hosted_zone_id: Optional[str]


@dataclass(frozen=True)
class ObservabilitySettings:
    alarm_emails: tuple[str, ...]
    log_retention_days: int


@dataclass(frozen=True)
class SecuritySettings:
    account_baseline: bool


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


def _database(problems: _Problems, raw: Any) -> Optional[DatabaseSettings]:
    r = _Reader(problems, _DATABASE, raw)
    v = r.values
    if r.ok("minCapacity", "maxCapacity") and v["minCapacity"] > v["maxCapacity"]:
        r.fail("maxCapacity", f"at least database.minCapacity ({v['minCapacity']:g})", max(v["minCapacity"], 1))
    if r.bad:
        return None
    return DatabaseSettings(
        engine_version=v["engineVersion"],
        min_capacity=float(v["minCapacity"]),
        max_capacity=float(v["maxCapacity"]),
        readers=v["readers"],
        backup_retention_days=v["backupRetentionDays"],
        deletion_protection=v["deletionProtection"],
    )


_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
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
    if r.ok("minInstances", "maxInstances") and v["minInstances"] > v["maxInstances"]:
        r.fail("maxInstances", f"at least api.minInstances ({v['minInstances']})", v["minInstances"])
    if r.bad:
        return None
    return ApiSettings(
        platform=v["platform"],
        image=v["image"],
        min_instances=v["minInstances"],
        max_instances=v["maxInstances"],
    )


def _frontend(problems: _Problems, raw: Any) -> Optional[FrontendSettings]:
    r = _Reader(problems, _FRONTEND, raw)
    v = r.values
    if r.ok("domain", "hostedZoneId") and bool(v["domain"]) != bool(v["hostedZoneId"]):
        missing = "hostedZoneId" if v["domain"] else "domain"
        r.fail(missing, "set together with frontend." + ("domain" if missing == "hostedZoneId" else "hostedZoneId")
               + " (both or neither)", "Z0123456789ABCDEFGHIJ" if missing == "hostedZoneId" else "app.example.com")
    if r.bad:
        return None
    return FrontendSettings(domain=v["domain"] or None, hosted_zone_id=v["hostedZoneId"] or None)


def _observability(problems: _Problems, raw: Any) -> Optional[ObservabilitySettings]:
    r = _Reader(problems, _OBSERVABILITY, raw)
    v = r.values
    if r.bad:
        return None
    return ObservabilitySettings(alarm_emails=tuple(v["alarmEmails"]), log_retention_days=v["logRetentionDays"])


def _security(problems: _Problems, raw: Any) -> Optional[SecuritySettings]:
    r = _Reader(problems, _SECURITY, raw)
    if r.bad:
        return None
    return SecuritySettings(account_baseline=r.values["accountBaseline"])


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


def _environment_rules(problems: _Problems, environment: Optional[str], sections: Mapping[str, Any]) -> None:
    """Rules that tie a value to the environment profile (DESIGN.md, Environments)."""
    if environment != "prod":
        return
    database, observability = sections.get("database"), sections.get("observability")
    if database is not None and not database.deletion_protection:
        problems.add(f"{PROJECT}:database.deletionProtection", False, "true in a prod environment", True)
    if database is not None and database.backup_retention_days < 7:
        problems.add(f"{PROJECT}:database.backupRetentionDays", database.backup_retention_days, "at least 7 in a prod environment", 35)
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
        "frontend": _frontend(problems, section_raw["frontend"]),
        "observability": _observability(problems, section_raw["observability"]),
        "security": _security(problems, section_raw["security"]),
        "ci": _ci(problems, section_raw["ci"]),
    }
    environment = top.values.get("environment")
    _environment_rules(problems, environment, parsed)

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
