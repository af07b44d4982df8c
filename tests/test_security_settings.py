"""Every `security` key: the stack values parse, and a bad value names the key and how to fix it."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings import ControlException, SecurityContact, load_settings
from tests.conftest import capture_for, config_error

S = "vitality:security"
CONTACT = {"name": "Security Team", "email": "security@example.com", "phone": "+1-206-555-0100", "title": "Security Lead"}


def test_prod_stack_values() -> None:
    settings = capture_for("prod").config.values  # the stack file as the engine read it
    assert settings[S]["accountBaseline"] is True


def parse(stack: str, **security: Any):
    base = {"aws:region": "us-west-2", "vitality:environment": stack, "vitality:network": {"availabilityZones": ["us-west-2a", "us-west-2b"]}}
    return load_settings({**base, S: security}, stack=stack).security


def test_defaults_are_secure() -> None:
    s = parse("dev")
    assert s.account_baseline is False
    assert s.standards == ("fsbp", "cis-3.0")
    assert s.remediation == "manual" and not s.automatic_remediation
    assert (s.object_lock_mode, s.object_lock_days) == ("GOVERNANCE", 365)
    assert s.audit_retention_years == 7 and s.unused_access_age_days == 90 and s.password_max_age_days == 90
    assert s.s3_data_events is True and s.control_exceptions == () and s.security_contact is None
    assert s.global_resource_region is None


def test_full_parse() -> None:
    s = parse(
        "prod",
        accountBaseline=True,
        globalResourceRegion="us-east-1",
        standards=["fsbp", "nist-800-53-r5"],
        controlExceptions=[{"controlId": "IAM.6", "standard": "fsbp", "reason": "  accepted for a documented reason  "}],
        securityContact=CONTACT,
        remediation="automatic",
        objectLock={"mode": "COMPLIANCE", "days": 30},
        passwordMaxAgeDays=0,
    )
    assert s.global_resource_region == "us-east-1"
    assert s.standards == ("fsbp", "nist-800-53-r5")
    assert s.control_exceptions == (ControlException("IAM.6", "fsbp", "accepted for a documented reason"),)
    assert s.security_contact == SecurityContact("Security Team", "security@example.com", "+1-206-555-0100", "Security Lead")
    assert s.automatic_remediation
    assert (s.object_lock_mode, s.object_lock_days) == ("COMPLIANCE", 30)
    assert s.password_max_age_days == 0


BAD_VALUES = [
    ("accountBaseline", "sometimes", f"{S}.accountBaseline"),
    ("globalResourceRegion", "mars-1", f"{S}.globalResourceRegion"),
    ("standards", ["fsbp", "soc2"], f"{S}.standards"),
    ("standards", [], f"{S}.standards"),
    ("standards", ["fsbp", "fsbp"], f"{S}.standards"),
    ("remediation", "sometimes", f"{S}.remediation"),
    ("unusedAccessAgeDays", 0, f"{S}.unusedAccessAgeDays"),
    ("unusedAccessAgeDays", 400, f"{S}.unusedAccessAgeDays"),
    ("auditRetentionYears", 0, f"{S}.auditRetentionYears"),
    ("auditRetentionYears", 11, f"{S}.auditRetentionYears"),
    ("passwordMaxAgeDays", -1, f"{S}.passwordMaxAgeDays"),
    ("passwordMaxAgeDays", 2000, f"{S}.passwordMaxAgeDays"),
    ("s3DataEvents", "all", f"{S}.s3DataEvents"),
    ("objectLock", {"mode": "STRICT", "days": 30}, f"{S}.objectLock.mode"),
    ("objectLock", {"mode": "GOVERNANCE", "days": 0}, f"{S}.objectLock.days"),
    ("objectLock", {"mode": "GOVERNANCE", "days": 30, "years": 1}, f"{S}.objectLock.years"),
    ("objectLock", "governance", f"{S}.objectLock"),
    ("controlExceptions", [{"controlId": "IAM.6", "standard": "fsbp"}], f"{S}.controlExceptions[0].reason"),
    ("controlExceptions", [{"controlId": "IAM.6", "reason": "short"}], f"{S}.controlExceptions[0].reason"),
    ("controlExceptions", [{"controlId": "iam-6", "reason": "a sufficiently long reason"}], f"{S}.controlExceptions[0].controlId"),
    ("controlExceptions", [{"controlId": "IAM", "reason": "a sufficiently long reason"}], f"{S}.controlExceptions[0].controlId"),
    ("controlExceptions", [{"reason": "a sufficiently long reason"}], f"{S}.controlExceptions[0].controlId"),
    ("controlExceptions", [{"controlId": "IAM.6", "standard": "nist-800-53-r5", "reason": "a sufficiently long reason"}],
     f"{S}.controlExceptions[0].standard"),
    ("controlExceptions", [{"controlId": "IAM.6", "reason": "a sufficiently long reason", "why": "x"}],
     f"{S}.controlExceptions[0].why"),
    ("controlExceptions", ["IAM.6"], f"{S}.controlExceptions"),
    ("controlExceptions", [{"controlId": "IAM.6", "reason": "a sufficiently long reason"}] * 2, f"{S}.controlExceptions"),
    ("securityContact", {**CONTACT, "email": "not-an-email"}, f"{S}.securityContact.email"),
    ("securityContact", {**CONTACT, "phone": "call me"}, f"{S}.securityContact.phone"),
    ("securityContact", {**CONTACT, "name": ""}, f"{S}.securityContact.name"),
    ("securityContact", {k: v for k, v in CONTACT.items() if k != "title"}, f"{S}.securityContact.title"),
    ("securityContact", {**CONTACT, "mail": "x@example.com"}, f"{S}.securityContact.mail"),
    ("securityContact", {}, f"{S}.securityContact"),
    ("stndards", ["fsbp"], f"{S}.stndards"),
]


@pytest.mark.parametrize(("key", "value", "reported"), BAD_VALUES, ids=[f"{k}={v!r}"[:60] for k, v, _ in BAD_VALUES])
def test_bad_value_is_reported_with_its_key(key: str, value: Any, reported: str) -> None:
    error = config_error("prod", {f"{S}.{key}": value})
    assert reported in error.keys, error.keys
    line = next(p for p in error.problems if p.key == reported)
    assert "pulumi config" in line.fix and "--stack prod" in line.fix


def test_unknown_key_suggests_the_right_one() -> None:
    error = config_error("prod", {f"{S}.stndards": ["fsbp"]})
    assert "did you mean 'standards'" in str(error)


def test_unknown_standard_lists_the_known_ones() -> None:
    error = config_error("prod", {f"{S}.standards": ["pci"]})
    assert "fsbp, cis-3.0, nist-800-53-r5" in str(error)


def test_object_lock_days_cannot_outlive_the_audit_retention() -> None:
    error = config_error("prod", {f"{S}.auditRetentionYears": 1, f"{S}.objectLock": {"mode": "GOVERNANCE", "days": 400}})
    assert f"{S}.objectLock.days" in error.keys
    assert "1 to 365" in str(error)


def test_contact_not_required_without_the_baseline() -> None:
    assert parse("dev", accountBaseline=False).security_contact is None


def test_dev_stack_parses_with_the_baseline_off() -> None:
    capture = capture_for("dev", preview=True)
    assert capture.config.values[S]["accountBaseline"] is False
