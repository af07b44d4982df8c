"""Security settings: the `security` key table (account baseline, regions, organization, Security Hub standards and
accepted control exceptions, security contact, remediation, Access Analyzer, audit retention and Object Lock,
password policy, S3 data events), `SecuritySettings` with its parts and `read_security`. Regions and the
organization keys are read in `security_organization.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from .project import AWS_REGION_RE
from .schema import _MISSING, PROJECT, Key, Section, _coerce, _is_email, _Problems, _Reader, one_of
from .security_organization import (
    MEMBER,
    NO_ORGANIZATION,
    ORGANIZATION_SECTION,
    OrganizationSettings,
    read_organization,
    read_regions,
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

SECURITY_SECTION = Section(
    "security",
    "Account security baseline.",
    (
        Key(
            "accountBaseline",
            "boolean",
            "Whether this stack owns the account-level singletons (Security Hub, Config recorder, GuardDuty, "
            "CloudTrail, password policy, ...). Two stacks in one account: true in exactly one; organization mode "
            "(member, administrator): true in every stack, each has its own account.",
            default=False,
        ),
        Key(
            "regions",
            "array",
            "Regions the baseline covers (Config, Security Hub, GuardDuty, Access Analyzer, EBS encryption in each); "
            "the home region (aws:region) is always covered and first. Empty: the home region and us-east-1, where "
            "the edge lives and every CloudFront control is evaluated. Removing a region deletes that region's "
            "recorder, hub and detector.",
            default=[],
            allowed="a list of distinct AWS region names, e.g. [us-west-2, us-east-1]",
        ),
        Key(
            "globalResourceRegion",
            "string",
            "The one region whose Config recorder records global resource types (IAM) and whose Security Hub "
            "evaluates the global-resource controls; empty means aws:region. One of security.regions; the home "
            "region in organization mode.",
            default="",
            allowed="empty, or an AWS region name such as us-west-2",
            check=lambda v: v == "" or AWS_REGION_RE.fullmatch(v) is not None,
        ),
        Key(
            "organization",
            "object",
            "The account's place in an AWS Organization: {" + ", ".join(
                f"{k.name}: {k.description}" + (f" Replace-on-change: {k.replaces}." if k.replaces else "")
                for k in ORGANIZATION_SECTION.keys
            ) + "}",
            default={},
            allowed="a map with mode (none, member or administrator) and, for administrator, organizationId, "
            "managementAccountId, administratorAccountId, managementRoleArn, registered, targets, devAccountIds, "
            "organizationTrail",
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
    regions: tuple[str, ...] = ()  # home region first; the parser always fills it
    organization: OrganizationSettings = field(default_factory=OrganizationSettings)

    @property
    def automatic_remediation(self) -> bool:
        return self.remediation == "automatic"


def read_security(problems: _Problems, raw: Any, home: Optional[str]) -> Optional[SecuritySettings]:
    r = _Reader(problems, SECURITY_SECTION, raw)
    v = r.values
    base = f"{PROJECT}:security"
    standards = tuple(v["standards"]) if r.ok("standards") else None
    regions = read_regions(problems, v["regions"], home) if r.ok("regions") else None
    organization = read_organization(problems, v.get("organization", {}) if r.ok("organization") else _MISSING,
                                     account_baseline=v["accountBaseline"] if r.ok("accountBaseline") else None)
    written = raw if isinstance(raw, dict) else {}
    if organization is not None and organization.mode == MEMBER:
        for name in ("standards", "controlExceptions"):
            if name in written and written[name] != SECURITY_SECTION.key(name).default:
                problems.add(f"{base}.{name}", written[name], "left out in member mode: the security-tooling stack's "
                             "central configuration decides the standards and exceptions of every account", _MISSING)
    global_region = v.get("globalResourceRegion") or None
    if global_region and regions is not None and global_region not in regions:
        problems.add(f"{base}.globalResourceRegion", global_region, f"one of security.regions ({', '.join(regions)})", home or "")
    if global_region and organization is not None and organization.mode != NO_ORGANIZATION and global_region != home:
        problems.add(f"{base}.globalResourceRegion", global_region,
                     f"empty or the home region ({home}) in organization mode: central configuration evaluates the "
                     "global-resource controls in the home region only", "")

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
        regions=regions or (),
        organization=organization or OrganizationSettings(),
    )
