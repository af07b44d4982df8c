"""Rule metadata, the CrossGuard wrappers, exceptions, and the small readers every rule uses.

A `Rule` is plain metadata (Security Hub control ids, standards, severity, SOC 2 criteria, remediation,
enforcement) plus a check function. `Rule.policy` is the pulumi_policy object built from it, so the very same
object runs under `pulumi preview --policy-pack policy` and in the offline engine (`policy.offline`).

Props are read defensively because two shapes reach a rule: CrossGuard hands provider-checked inputs (resource
rules) or outputs (stack rules) behind a proxy that raises `UnknownValueError` on unknown values, while the
offline capture hands the raw program inputs. Policy documents may be JSON strings or dicts, statements a dict or
a list, Action/Resource a string or a list.
"""

from __future__ import annotations

import contextvars
import datetime
import fnmatch
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, TypedDict, TypeGuard, Union

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.dev_relaxations import DEV_ENVIRONMENT, DEV_RELAXED_RULES

EXCEPTIONS_FILE = Path(__file__).with_name("exceptions.yaml")
MANDATORY, ADVISORY = "mandatory", "advisory"
SEVERITIES = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}
STACK_SUBJECT = "stack"  # resource name of stack-level findings (exceptions name it like a resource)

# --------------------------------------------------------------------------------------------------
# Reading props
# --------------------------------------------------------------------------------------------------


def is_map(value: Any) -> TypeGuard[Mapping[Any, Any]]:
    return isinstance(value, Mapping)


def as_list(value: Any) -> list[Any]:
    """None -> [], scalar or mapping -> [it], sequence -> list."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def dig(value: Any, *path: Union[str, int]) -> Any:
    """value[p0][p1]...; None when a step is missing. A one-element list (a Terraform block) is stepped through."""
    for step in path:
        if isinstance(step, str) and not is_map(value) and isinstance(value, Sequence) and len(value) == 1:
            value = value[0]
        if is_map(value) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(step, int) and isinstance(value, Sequence) and not isinstance(value, str) and step < len(value):
            value = value[step]
        else:
            return None
    return value


def truthy(value: Any, default: bool = False) -> bool:
    """A bool input (booleans may arrive as "true"/"false" strings); `default` when the program left it unset."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def number(value: Any, default: float = 0) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --------------------------------------------------------------------------------------------------
# Policy documents (IAM, KMS, S3, SNS)
# --------------------------------------------------------------------------------------------------


def document(value: Any) -> Optional[Mapping[str, Any]]:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, Mapping) else None
    return value if is_map(value) else None


def statements(value: Any) -> list[Mapping[str, Any]]:
    doc = document(value)
    if doc is None:
        return []
    return [s for s in as_list(doc.get("Statement")) if is_map(s)]


def allows(statement: Mapping[str, Any]) -> bool:
    return text(statement.get("Effect")).lower() == "allow"


def statement_actions(statement: Mapping[str, Any]) -> list[str]:
    return [a.lower() for a in as_list(statement.get("Action")) if isinstance(a, str)]


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Whether a statement's action patterns (`kms:*`, `kms:Decrypt*`, `*`) cover `action`."""
    target = action.lower()
    return any(fnmatch.fnmatchcase(target, p.lower()) for p in patterns)


def grants(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's action element covers `action`: listed in Action, or absent from NotAction."""
    if statement.get("NotAction") is not None:
        excluded = [a.lower() for a in as_list(statement.get("NotAction")) if isinstance(a, str)]
        return not action_matches(excluded, action)
    return action_matches(statement_actions(statement), action)


def statement_resources(statement: Mapping[str, Any]) -> list[Any]:
    return as_list(statement.get("Resource"))


def on_every_resource(statement: Mapping[str, Any], arn_family: str = "") -> bool:
    """Whether the statement applies to all resources (of `arn_family`, e.g. "arn:aws:kms"): `*`, an ARN pattern
    for every resource of the type (`arn:aws:kms:*:*:key/*`), or a NotResource (everything but the listed)."""
    if statement.get("NotResource") is not None:
        return True
    for resource in statement_resources(statement):
        value = text(resource)
        if value == "*":
            return True
        if arn_family and value.startswith(arn_family):
            # `arn:aws:kms:*:*:*`, `arn:aws:kms:*:<account>:key/*`: every key (of an account counts as every key)
            parts = value.split(":", 5)
            tail = parts[5] if len(parts) > 5 else ""
            if tail in ("*", "") or (tail.endswith("/*") and not any(c in tail[:-2] for c in "*?/")):
                return True
    return False


def principal_values(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """[(kind, value)]: ("*", "*") for `Principal: "*"`, else ("AWS"|"Service"|"Federated", value)."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*", principal)]
    if is_map(principal):
        return [(str(kind), str(v)) for kind, values in principal.items() for v in as_list(values)]
    return []


def public_principal(statement: Mapping[str, Any]) -> bool:
    """A wildcard principal, or a NotPrincipal (an Allow with NotPrincipal grants everyone but the listed)."""
    if statement.get("NotPrincipal") is not None:
        return True
    return any(value == "*" for kind, value in principal_values(statement) if kind in ("*", "AWS"))


# Condition keys that pin a wildcard principal to this account, organisation, network path or source resource.
RESTRICTING_CONDITION_KEYS = {
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourceorgid",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "kms:calleraccount",
}
_ACCOUNT_KEYS = {"aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "kms:calleraccount"}
_ARN_KEYS = {"aws:sourcearn", "aws:principalarn"}


def fixed_value(key: str, value: Any) -> bool:
    """Whether a condition value pins its key: an account key holds a 12-digit account, an ARN key an ARN whose
    account is fixed, any other key a value without wildcards."""
    if isinstance(value, bool):
        return False
    v = str(value).strip()
    if not v:
        return False
    key = key.lower()
    if key in _ACCOUNT_KEYS:
        return v.isdigit() and len(v) == 12
    if key in _ARN_KEYS:
        parts = v.split(":")
        return len(parts) >= 6 and parts[0] == "arn" and parts[4].isdigit() and len(parts[4]) == 12 \
            and "*" not in parts[2] and "?" not in parts[2]
    return "*" not in v and "?" not in v


def restricting_operator(operator: str) -> bool:
    """Operators whose clause must hold for the statement to apply (no IfExists, no negation)."""
    op = operator.lower().split(":")[-1]
    return "ifexists" not in op and "not" not in op and op != "null"


def restricting_condition(statement: Mapping[str, Any]) -> bool:
    """A condition that pins a wildcard principal: a restricting key under a non-negated, non-IfExists operator,
    every one of its values fixed (no `*`, no wildcard account)."""
    condition = statement.get("Condition")
    if not is_map(condition):
        return False
    for operator, clauses in condition.items():
        if not restricting_operator(str(operator)) or not is_map(clauses):
            continue
        for key, value in clauses.items():
            values = as_list(value)
            if str(key).lower() in RESTRICTING_CONDITION_KEYS and values and all(fixed_value(str(key), v)
                                                                                   for v in values):
                return True
    return False


def condition_clauses(statement: Mapping[str, Any], key: str) -> list[tuple[str, list[Any]]]:
    """[(operator, values)] of every clause on `key` (case-insensitive)."""
    condition = statement.get("Condition")
    found = []
    if is_map(condition):
        for op, clauses in condition.items():
            if is_map(clauses):
                found += [(str(op), as_list(v)) for k, v in clauses.items() if str(k).lower() == key.lower()]
    return found


def condition_value(statement: Mapping[str, Any], operator: str, key: str) -> list[Any]:
    condition = statement.get("Condition")
    if not is_map(condition):
        return []
    for op, clauses in condition.items():
        if str(op).lower() == operator.lower() and is_map(clauses):
            for k, v in clauses.items():
                if str(k).lower() == key.lower():
                    return as_list(v)
    return []


# --------------------------------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compensating:
    """A control an exception relies on: a rule of the pack that must pass on the stack while the exception stands."""

    rule: str
    why: str


@dataclass(frozen=True)
class PolicyException:
    """One accepted finding: rule, scope, resource and the finding itself (its exact message, and optionally the
    property values it was granted for), plus the compensating controls that must hold while it stands."""

    rule: str
    resource: str
    reason: str
    review: datetime.date
    finding: str
    stack: Optional[str] = None
    environment: Optional[str] = None
    where: tuple[tuple[str, Any], ...] = ()  # (dotted property path, value) pairs the resource must still have
    compensating: tuple[Compensating, ...] = ()

    def in_scope(self, stack: str, environment: str) -> bool:
        if self.stack is not None:
            return self.stack == stack
        return self.environment == environment

    def matches(self, rule: str, stack: str, environment: str, resource: str, message: str = "",
                props: Any = None) -> bool:
        if self.rule != rule or self.resource != resource or self.finding != message:
            return False
        if not self.in_scope(stack, environment):
            return False
        return all(_prop_at(props, path) == value for path, value in self.where)

    def expired(self, today: Optional[datetime.date] = None) -> bool:
        return self.review < (today or current_date())

    @property
    def scope(self) -> str:
        return f"stack {self.stack}" if self.stack is not None else f"environment {self.environment}"

    @property
    def condition(self) -> str:
        where = "; ".join(f"{path} = {json.dumps(value)}" for path, value in self.where)
        return f'"{self.finding}"' + (f" while {where}" if where else "")


# The date exceptions are judged against (tests pin it; CrossGuard and the offline check use the real date).
TODAY: contextvars.ContextVar[Optional[datetime.date]] = contextvars.ContextVar("today", default=None)


def current_date() -> datetime.date:
    return TODAY.get() or datetime.date.today()


def _prop_at(props: Any, path: str) -> Any:
    try:
        return dig(props, *[int(p) if p.isdigit() else p for p in path.split(".")])
    except UnknownValueError:
        return None


class ExceptionFileError(ValueError):
    pass


_FIELDS = {"rule", "stack", "environment", "resource", "finding", "where", "compensating", "reason", "review"}


def _compensating(entry: Mapping[str, Any], where: str) -> tuple[Compensating, ...]:
    items = entry.get("compensating")
    if not isinstance(items, list) or not items:
        raise ExceptionFileError(f"{where}: `compensating` must list the controls the exception relies on, each "
                                 "{rule: <rule name>, why: <what it guarantees>}")
    found = []
    for j, item in enumerate(items):
        if not is_map(item) or set(item) != {"rule", "why"} or not item["rule"] or not item["why"]:
            raise ExceptionFileError(f"{where}: compensating[{j}] must be {{rule: <rule name>, why: <text>}}")
        found.append(Compensating(str(item["rule"]), str(item["why"]).strip()))
    return tuple(found)


def parse_exceptions(data: Any, source: str = "exceptions.yaml") -> tuple[PolicyException, ...]:
    data = {} if data is None else data
    if not is_map(data) or not isinstance(data.get("exceptions") or [], list):
        raise ExceptionFileError(f"{source}: expected a mapping with an `exceptions` list")
    entries = data.get("exceptions") or []
    found = []
    for i, entry in enumerate(entries):
        where = f"{source}: exceptions[{i}]"
        if not is_map(entry):
            raise ExceptionFileError(f"{where}: expected a mapping")
        unknown = set(entry) - _FIELDS
        if unknown:
            raise ExceptionFileError(f"{where}: unknown fields {sorted(unknown)}")
        for key in ("rule", "resource", "finding", "reason", "review"):
            if not entry.get(key):
                hint = " (the exact message the rule reports, as `python -m offline check` prints it)" \
                    if key == "finding" else ""
                raise ExceptionFileError(f"{where}: `{key}` is required{hint}")
        if ("stack" in entry) == ("environment" in entry):
            raise ExceptionFileError(f"{where}: give exactly one of `stack` or `environment`")
        conditions = entry.get("where") or {}
        if not is_map(conditions):
            raise ExceptionFileError(f"{where}: `where` must map property paths to the values the finding was "
                                     "accepted for")
        review = entry["review"]
        if isinstance(review, str):
            try:
                review = datetime.date.fromisoformat(review)
            except ValueError as error:
                raise ExceptionFileError(f"{where}: review must be a YYYY-MM-DD date") from error
        if not isinstance(review, datetime.date):
            raise ExceptionFileError(f"{where}: review must be a YYYY-MM-DD date")
        found.append(
            PolicyException(
                rule=str(entry["rule"]),
                resource=str(entry["resource"]),
                reason=str(entry["reason"]).strip(),
                review=review,
                finding=str(entry["finding"]),
                stack=str(entry["stack"]) if "stack" in entry else None,
                environment=str(entry["environment"]) if "environment" in entry else None,
                where=tuple((str(k), v) for k, v in conditions.items()),
                compensating=_compensating(entry, where),
            )
        )
    return tuple(found)


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> tuple[PolicyException, ...]:
    return parse_exceptions(yaml.safe_load(path.read_text()), path.name)


# Where the offline engine collects findings that an exception suppressed (CrossGuard itself just stays silent).
EXCEPTED: contextvars.ContextVar[Optional[list]] = contextvars.ContextVar("excepted", default=None)


# --------------------------------------------------------------------------------------------------
# Views the checks read
# --------------------------------------------------------------------------------------------------


def stack_of_urn(urn: str) -> str:
    parts = urn.split(":")
    return parts[2] if len(parts) > 2 and urn.startswith("urn:pulumi:") else ""


def _environment_tag(props: Any) -> Optional[str]:
    for key in ("tags", "tagsAll"):
        try:
            tags = props.get(key)
            if is_map(tags) and isinstance(tags.get("Environment"), str):
                return tags["Environment"]
        except UnknownValueError:
            continue
    return None


def _provider_environment(provider: Any) -> Optional[str]:
    props = getattr(provider, "props", None)
    if not is_map(props):
        return None
    try:
        default_tags = document(props.get("defaultTags"))
    except UnknownValueError:
        return None
    tags = dig(default_tags, "tags")
    return tags.get("Environment") if is_map(tags) and isinstance(tags.get("Environment"), str) else None


class Res:
    """One resource as a check sees it, from ResourceValidationArgs or a PolicyResource."""

    def __init__(self, source: Any, stack: Optional[StackView] = None) -> None:
        self.source = source
        self.type: str = source.resource_type
        self.name: str = source.name
        self.urn: str = source.urn
        self.props: Mapping[str, Any] = source.props
        self.protect: bool = bool(getattr(source.opts, "protect", False))
        self._stack = stack

    def get(self, *path: Union[str, int]) -> Any:
        return dig(self.props, *path)

    @property
    def stack(self) -> str:
        return stack_of_urn(self.urn)

    @property
    def environment(self) -> str:
        if self._stack is not None:
            return self._stack.environment
        return (
            _environment_tag(self.props)
            or _provider_environment(getattr(self.source, "provider", None))
            or self.stack
        )

    def deps(self, key: str) -> list[Res]:
        if self._stack is None:
            return []
        found = (getattr(self.source, "property_dependencies", None) or {}).get(key) or []
        return [self._stack.wrap(d) for d in found]

    def addresses(self) -> list[str]:
        """The values other resources use to refer to this one (id, ARN, name for name-addressed types)."""
        found = []
        for key in ("id", "arn", *_NAME_KEYS.get(self.type, ())):
            try:
                value = self.props.get(key)
            except UnknownValueError:
                continue
            if isinstance(value, str) and value:
                found.append(value)
        return found

    def __repr__(self) -> str:
        return f"Res({self.type}, {self.name})"


# Types other resources address by name rather than id/ARN.
_NAME_KEYS: dict[str, tuple[str, ...]] = {
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:ecr/repository:Repository": ("name",),
    "aws:cloudwatch/logGroup:LogGroup": ("name",),
    "aws:sns/topic:Topic": ("name",),
    "aws:rds/cluster:Cluster": ("clusterIdentifier",),
    "aws:rds/subnetGroup:SubnetGroup": ("name",),
    "aws:iam/role:Role": ("name",),
    "aws:secretsmanager/secret:Secret": ("name",),
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": ("name",),
}


class StackView:
    """Every resource of the stack with lookups by id/ARN/name, and the stack's name and environment."""

    def __init__(self, args: StackValidationArgs) -> None:
        self.args = args
        self._wrapped: dict[int, Res] = {}
        self.resources = [self.wrap(r) for r in args.resources]
        self._index: dict[str, Res] = {}
        for r in self.resources:
            for key in r.addresses():
                self._index.setdefault(key, r)
        self.stack = next((r.stack for r in self.resources if r.stack), "")
        envs = [e for e in (_environment_tag(r.props) for r in self.resources) if e]
        self.environment = max(set(envs), key=envs.count) if envs else self.stack

    def wrap(self, source: Any) -> Res:
        found = self._wrapped.get(id(source))
        if found is None:
            found = self._wrapped[id(source)] = Res(source, self)
        return found

    def of(self, *types: str) -> list[Res]:
        return [r for r in self.resources if r.type in types]

    def resolve(self, value: Any, types: Sequence[str] = ()) -> Optional[Res]:
        if not isinstance(value, str) or not value:
            return None
        candidates = [value]
        if value.endswith(":*"):  # log group ARNs are often given with the stream wildcard
            candidates.append(value[:-2])
        for v in candidates:
            found = self._index.get(v)
            if found is not None and (not types or found.type in types):
                return found
        return None

    def refs(self, res: Res, key: str, types: Sequence[str]) -> list[Res]:
        """The resources `res.props[key]` (a value or a list) refers to; by value, else by property dependency."""
        try:
            values = as_list(res.props.get(key))
            found = [r for r in (self.resolve(v, types) for v in values) if r is not None]
        except UnknownValueError:  # preview: the id is not known yet, the dependency is
            found = []
        return found or [d for d in res.deps(key) if d.type in types]

    def ref(self, res: Res, key: str, types: Sequence[str]) -> Optional[Res]:
        found = self.refs(res, key, types)
        return found[0] if found else None

    def referrers(self, target: Res, types: Sequence[str], key: str) -> list[Res]:
        """Resources of `types` whose `key` refers to `target`."""
        return [r for r in self.of(*types) if any(t is target for t in self.refs(r, key, (target.type,)))]


# --------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------

ResourceCheck = Callable[[Res], Iterable[str]]
StackCheck = Callable[[StackView], Iterable[tuple[Optional[Res], str]]]


class _PolicyOptions(TypedDict):
    """The keyword arguments ResourceValidationPolicy and StackValidationPolicy share."""

    enforcement_level: EnforcementLevel
    severity: Severity
    framework: PolicyComplianceFramework
    tags: list[str]
    remediation_steps: str
    display_name: str


@dataclass
class Rule:
    name: str
    description: str
    controls: tuple[str, ...]  # AWS Security Hub control ids (empty when no control exists)
    standards: tuple[str, ...]  # "FSBP", "CIS v3.0", "NIST 800-53 r5", "AWS Resource Tagging", "project"
    severity: str
    tsc: tuple[str, ...]  # SOC 2 trust-services criteria
    remediation: str
    kind: str  # "resource" | "stack"
    types: tuple[str, ...]  # resource rules: types checked; stack rules: the subjects findings are about
    check: Callable[..., Iterable[Any]]
    enforcement: str = MANDATORY
    # not enforced in dev: derived from the one list of dev relaxations (components/dev_relaxations.py), which the
    # security baseline also turns into Security Hub suppressions
    prod_only: bool = field(init=False)
    references: tuple[str, ...] = ()  # AWS Config rules, checkov/cdk-nag ids for rules without a Security Hub control
    exceptions: tuple[PolicyException, ...] = field(default=(), repr=False)
    policy: Union[ResourceValidationPolicy, StackValidationPolicy] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.prod_only = self.name in DEV_RELAXED_RULES
        assert self.severity in SEVERITIES, self.severity
        assert self.enforcement in (MANDATORY, ADVISORY), self.enforcement
        assert self.kind in ("resource", "stack"), self.kind
        level = EnforcementLevel.MANDATORY if self.enforcement == MANDATORY else EnforcementLevel.ADVISORY
        common = _PolicyOptions(
            enforcement_level=level,
            severity=SEVERITIES[self.severity],
            framework=PolicyComplianceFramework(
                name="AWS Security Hub" if self.controls else "Vitality",
                version=", ".join(self.standards),
                reference=", ".join(self.controls) or ", ".join(self.references),
                specification="SOC 2 " + ", ".join(self.tsc),
            ),
            tags=[*self.controls, *(f"SOC2:{c}" for c in self.tsc), *(["prod-only"] if self.prod_only else [])],
            remediation_steps=self.remediation,
            display_name=f"{' / '.join(self.controls) or 'Vitality'}: {self.description}",
        )
        if self.kind == "resource":
            self.policy = ResourceValidationPolicy(self.name, self.description, validate=self._validate_resource, **common)
        else:
            self.policy = StackValidationPolicy(self.name, self.description, validate=self._validate_stack, **common)

    def applies_to_environment(self, environment: str) -> bool:
        return not self.prod_only or environment != DEV_ENVIRONMENT

    def exception_for(self, stack: str, environment: str, resource: str, message: str = "",
                      props: Any = None) -> Optional[PolicyException]:
        return next((e for e in self.exceptions if e.matches(self.name, stack, environment, resource, message, props)),
                    None)

    def _report(self, report: Callable, stack: str, environment: str, name: str, urn: Optional[str], message: str,
                props: Any = None) -> None:
        exception = self.exception_for(stack, environment, name, message, props)
        if exception is None:
            report(message, urn)
            return
        if exception.expired():
            report(f"{message} (its exception was due for review on {exception.review} and no longer applies)", urn)
            return
        sink = EXCEPTED.get()
        if sink is not None:
            sink.append((self, name, urn, message, exception))

    def findings_on(self, stack: StackView) -> tuple[list[tuple[Optional[Res], str]], int]:
        """This rule's raw findings on a stack (no exception applied) and how many subjects it examined."""
        if not self.applies_to_environment(stack.environment):
            return [], 0
        if self.kind == "resource":
            subjects = stack.of(*self.types)
            return [(r, m) for r in subjects for m in self.check(r)], len(subjects)
        return list(self.check(stack)), len(stack.of(*self.types))

    def _validate_resource(self, args: ResourceValidationArgs, report: Callable) -> None:
        if args.resource_type not in self.types:
            return
        res = Res(args)
        if not self.applies_to_environment(res.environment):
            return
        for message in self.check(res):
            self._report(report, res.stack, res.environment, res.name, None, message, res.props)

    def _validate_stack(self, args: StackValidationArgs, report: Callable) -> None:
        view = StackView(args)
        if not self.applies_to_environment(view.environment):
            return
        for subject, message in self.check(view):
            name = subject.name if subject is not None else STACK_SUBJECT
            self._report(report, view.stack, view.environment, name, subject.urn if subject else None, message,
                         subject.props if subject is not None else None)


def by_name(rules: Iterable[Rule]) -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for rule in rules:
        if rule.name in found:
            raise ValueError(f"duplicate rule name {rule.name}")
        found[rule.name] = rule
    return found


def standing_exceptions(stack: StackView, exceptions: Iterable[PolicyException], rules: Mapping[str, Rule]
                        ) -> Iterator[tuple[Optional[Res], str]]:
    """What makes an exception that stands on this stack (in scope, its resource present) no longer acceptable: its
    review date has passed, or a compensating control it relies on fails or has nothing left to check."""
    for x in exceptions:
        if not x.in_scope(stack.stack, stack.environment):
            continue
        excepted = rules.get(x.rule)
        subject = next((r for r in stack.resources if r.name == x.resource
                        and (excepted is None or r.type in excepted.types)), None)
        if subject is None and x.resource != STACK_SUBJECT:
            continue  # no such resource in this stack (another topology): nothing is excepted here
        label = f"exception {x.rule} on {x.resource}"
        if x.expired():
            yield subject, f"{label} was due for review on {x.review}: re-approve it with a new date or remove it"
        for control in x.compensating:
            rule = rules.get(control.rule)
            if rule is None:
                yield subject, f"{label} relies on {control.rule}, which is not a rule of the pack"
                continue
            findings, examined = rule.findings_on(stack)
            if not examined:
                yield subject, f"{label} relies on {control.rule} ({control.why}), which has nothing to check here"
            for found, message in findings:
                where = found.name if found is not None else STACK_SUBJECT
                yield subject, f"{label} relies on {control.rule} ({control.why}), which fails on {where}: {message}"
