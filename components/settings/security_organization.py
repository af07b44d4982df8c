"""Security settings, part two: the regions the baseline covers (`security.regions`, checked against a static table
of region names, no lookup) and the account's place in an AWS Organization (`security.organization`:
`OrganizationSettings`, `read_organization`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from .schema import _MISSING, PROJECT, Key, Section, _nested, _Problems, one_of

EDGE_REGION = "us-east-1"  # CloudFront's region: every CloudFront control is evaluated only there

# Region names as AWS publishes them (commercial partition and AWS GovCloud (US)), for validation only: the
# program never looks a region up.
AWS_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "af-south-1",
    "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1", "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1", "us-gov-west-1",
})

NO_ORGANIZATION, MEMBER, ADMINISTRATOR = "none", "member", "administrator"
ORGANIZATION_MODES = (NO_ORGANIZATION, MEMBER, ADMINISTRATOR)
SECURITY_ENVIRONMENT = "security"  # the environment of the security-tooling account's stack

_ACCOUNT_RE = re.compile(r"\d{12}")
_ORGANIZATION_RE = re.compile(r"o-[a-z0-9]{10,32}")
_ROOT_RE = re.compile(r"r-[0-9a-z]{4,32}")
_OU_RE = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
_ROLE_ARN_RE = re.compile(r"arn:aws(-us-gov)?:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")


def is_target(value: Any) -> bool:
    """An organization root (r-...), an OU (ou-...-...) or an account id: what a configuration policy attaches to."""
    return isinstance(value, str) and any(p.fullmatch(value) for p in (_ROOT_RE, _OU_RE, _ACCOUNT_RE))


def _accounts(value: Any) -> bool:
    return len(set(value)) == len(value) and all(isinstance(v, str) and _ACCOUNT_RE.fullmatch(v) for v in value)


ORGANIZATION_SECTION = Section(
    "security.organization",
    "How this account relates to an AWS Organization.",
    (
        Key(
            "mode",
            "string",
            "none: a single account (dev and prod share it, prod owns the baseline); member: a workload account of an "
            "organization whose security-tooling account runs central configuration (no Security Hub standards, "
            "GuardDuty detectors or aggregators of its own); administrator: the security-tooling account's stack "
            "(delegated administrator; builds only the security pieces). Moving a stack from none to member deletes its "
            "Security Hub and GuardDuty resources unless they are first removed from the state (docs/security.md).",
            default=NO_ORGANIZATION,
            allowed=one_of(*ORGANIZATION_MODES)[0],
            check=one_of(*ORGANIZATION_MODES)[1],
        ),
        Key(
            "organizationId",
            "string",
            "The organization's id (o-...); administrator mode, for the organization trail's bucket and key policies.",
            default="",
            allowed="empty, or o- followed by 10 to 32 lower-case letters or digits",
            check=lambda v: v == "" or _ORGANIZATION_RE.fullmatch(v) is not None,
        ),
        Key(
            "managementAccountId",
            "string",
            "The organization's management account (12 digits): it owns the organization trail and registers the "
            "delegated administrator. Administrator mode.",
            default="",
            allowed="empty, or a 12-digit account id (quote it in YAML)",
            check=lambda v: v == "" or _ACCOUNT_RE.fullmatch(v) is not None,
        ),
        Key(
            "administratorAccountId",
            "string",
            "This security-tooling account (12 digits), delegated administrator of Security Hub, GuardDuty, Config, "
            "Access Analyzer and CloudTrail. Administrator mode.",
            default="",
            allowed="empty, or a 12-digit account id (quote it in YAML)",
            check=lambda v: v == "" or _ACCOUNT_RE.fullmatch(v) is not None,
            replaces="every delegated-administrator registration (deregistered, then registered again)",
        ),
        Key(
            "managementRoleArn",
            "string",
            "A role in the management account that the security stack assumes to enable trusted access and register "
            "the delegated administrator (as resources of the stack). Empty: the stack prints the one-time checklist "
            "(output managementChecklist) instead.",
            default="",
            allowed="empty, or an IAM role ARN in managementAccountId, e.g. arn:aws:iam::999988887777:role/security-delegation",
            check=lambda v: v == "" or _ROLE_ARN_RE.fullmatch(v) is not None,
        ),
        Key(
            "registered",
            "boolean",
            "Without managementRoleArn: the management account has run the checklist, so the security stack may build "
            "what needs the delegated administrator (central configuration, organization configurations, aggregator, "
            "organization analyzers, organization trail).",
            default=False,
        ),
        Key(
            "targets",
            "array",
            "Where the default Security Hub configuration policy applies: the organization root (r-...), OUs "
            "(ou-...) or account ids. Administrator mode.",
            default=[],
            allowed="a list of distinct r-..., ou-...-... or 12-digit account ids",
            check=lambda v: len(set(v)) == len(v) and all(is_target(x) for x in v),
            replaces="the configuration policy association of each changed target",
        ),
        Key(
            "devAccountIds",
            "array",
            "Dev accounts: they get the dev configuration policy (the default one with the controls dev may relax "
            "disabled) instead of the default. Administrator mode.",
            default=[],
            allowed="a list of distinct 12-digit account ids",
            check=_accounts,
            replaces="the dev policy association of each changed account",
        ),
        Key(
            "organizationTrail",
            "boolean",
            "Administrator mode: an organization CloudTrail trail (every account, every region) into an Object Lock "
            "archive bucket of this account, next to each account's own trail.",
            default=False,
        ),
    ),
)
ORGANIZATION_DEFAULTS = ORGANIZATION_SECTION.defaults()
_ADMINISTRATOR_ONLY = ("organizationId", "managementAccountId", "administratorAccountId", "managementRoleArn",
                       "registered", "targets", "devAccountIds", "organizationTrail")


@dataclass(frozen=True)
class OrganizationSettings:
    mode: str = NO_ORGANIZATION
    organization_id: Optional[str] = None
    management_account_id: Optional[str] = None
    administrator_account_id: Optional[str] = None
    management_role_arn: Optional[str] = None
    registered: bool = False
    targets: tuple[str, ...] = ()
    dev_account_ids: tuple[str, ...] = ()
    organization_trail: bool = False

    @property
    def delegated(self) -> bool:
        """The delegated administrator is registered, or is registered by this stack (management role)."""
        return self.management_role_arn is not None or self.registered


def default_regions(home: Optional[str]) -> list[str]:
    """The home region, and us-east-1 for the edge (CloudFront, its WAF and logs) of every workload account."""
    return list(dict.fromkeys([home or "us-west-2", EDGE_REGION]))


def read_regions(problems: _Problems, value: Any, home: Optional[str]) -> Optional[tuple[str, ...]]:
    """`security.regions` with the home region first (always covered, listed or not)."""
    key = f"{PROJECT}:security.regions"
    if value == []:
        value = default_regions(home)
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        problems.add(key, value, "a list of AWS region names", default_regions(home))
        return None
    unknown = [r for r in value if r not in AWS_REGIONS]
    if unknown or len(set(value)) != len(value):
        problems.add(key, value, "distinct AWS region names (e.g. us-west-2, us-east-1, eu-west-1); unknown: "
                     + (", ".join(unknown) or "none, but a region is listed twice"), default_regions(home))
        return None
    if home is None:
        return None
    return tuple(dict.fromkeys([home, *value]))


def read_organization(problems: _Problems, raw: Any, *, account_baseline: Optional[bool]) -> Optional[OrganizationSettings]:
    base = f"{PROJECT}:security.organization"
    if raw is not _MISSING and not isinstance(raw, dict):
        problems.add(base, raw, "a map {mode, ...} (see Pulumi.yaml)", {"mode": NO_ORGANIZATION})
        return None
    given = raw if isinstance(raw, dict) else {}
    r = _nested(problems, ORGANIZATION_SECTION, given)
    if r.bad:
        return None
    v = r.values
    mode = v["mode"]
    if mode != ADMINISTRATOR:
        for name in _ADMINISTRATOR_ONLY:
            if name in given and given[name] != ORGANIZATION_DEFAULTS[name]:
                problems.add(f"{base}.{name}", given[name], f"only with mode administrator (this stack: {mode})", _MISSING)
    if mode != NO_ORGANIZATION and account_baseline is False:
        problems.add(f"{PROJECT}:security.accountBaseline", False,
                     f"true with organization mode {mode}: each account of an organization owns its baseline", True)
    if mode == ADMINISTRATOR:
        for name, allowed, example in (
            ("organizationId", "the organization id (o-...)", "o-a1b2c3d4e5"),
            ("administratorAccountId", "this security-tooling account's 12-digit id", "111122223333"),
            ("managementAccountId", "the management account's 12-digit id", "999988887777"),
        ):
            if not v[name]:
                problems.add(f"{base}.{name}", _MISSING, f"{allowed} with mode administrator", example)
        if not v["targets"]:
            problems.add(f"{base}.targets", _MISSING,
                         "at least one root, OU or account id for the default configuration policy", ["r-a1b2"])
        role = _ROLE_ARN_RE.fullmatch(v["managementRoleArn"]) if v["managementRoleArn"] else None
        if role and v["managementAccountId"] and role.group(2) != v["managementAccountId"]:
            problems.add(f"{base}.managementRoleArn", v["managementRoleArn"],
                         f"a role in the management account {v['managementAccountId']}", _MISSING)
        overlap = sorted(set(v["devAccountIds"]) & set(v["targets"]))
        if overlap:
            problems.add(f"{base}.devAccountIds", v["devAccountIds"],
                         f"accounts not also listed in targets (both: {', '.join(overlap)})", _MISSING)
        if v["administratorAccountId"] and v["administratorAccountId"] == v["managementAccountId"]:
            problems.add(f"{base}.administratorAccountId", v["administratorAccountId"],
                         "a member account, not the management account (central configuration requires it)", _MISSING)
    if any(p.key.startswith(f"{base}.") or p.key == f"{PROJECT}:security.accountBaseline" for p in problems.items):
        return None
    return OrganizationSettings(
        mode=mode,
        organization_id=v["organizationId"] or None,
        management_account_id=v["managementAccountId"] or None,
        administrator_account_id=v["administratorAccountId"] or None,
        management_role_arn=v["managementRoleArn"] or None,
        registered=v["registered"],
        targets=tuple(v["targets"]),
        dev_account_ids=tuple(v["devAccountIds"]),
        organization_trail=v["organizationTrail"],
    )
