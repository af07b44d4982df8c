"""Frontend settings: the `frontend` key table (custom domain, CloudFront price class and TLS policy, WAF rate
limit, managed rule overrides, IP and geo rules), the WAF managed rule groups and country codes it checks against,
`FrontendSettings` and `read_frontend`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from .schema import _MISSING, PROJECT, Key, Section, _is_domain, _Problems, _Reader, one_of

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


FRONTEND_SECTION = Section(
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


def read_frontend(problems: _Problems, raw: Any) -> Optional[FrontendSettings]:
    r = _Reader(problems, FRONTEND_SECTION, raw)
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
