"""Network settings: the `network` key table (VPC CIDR, availability zones, NAT mode, interface endpoints,
explicit subnet CIDRs, flow log traffic), `NetworkSettings`, the derived subnet layout and `read_network`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from .schema import _MISSING, PROJECT, Key, Section, _is_cidr, _Problems, _Reader, _strings, one_of

NAT_MODES = ("none", "single", "per_az", "regional")

NETWORK_SECTION = Section(
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
            replaces="the VPC and every subnet (cidr_block), with the database subnet group's subnets; the Aurora cluster cannot move: restore into a new stack (docs/database.md)"
        ),
        Key(
            "availabilityZones",
            "array",
            "Explicit AZ names in aws:region (no lookup at deploy time, so subnets never reshuffle).",
            allowed="2 to 6 distinct zone names of aws:region, e.g. [\"us-west-2a\", \"us-west-2b\"]",
            example=["us-west-2a", "us-west-2b"],
            replaces="reordering, or removing the first zone, replaces the writer instance (it sits in the first zone); removing a zone replaces that zone's subnets"
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
            replaces="the subnet whose CIDR changes (cidr_block)"
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
    # not required as a whole: the security-tooling stack has no network, and a workload stack without it is
    # told which key is missing (availabilityZones)
)


@dataclass(frozen=True)
class NetworkSettings:
    cidr: str
    availability_zones: tuple[str, ...]
    nat_gateways: str
    interface_endpoints: tuple[str, ...]
    subnet_cidrs: Mapping[str, Mapping[str, str]]  # tier -> az -> cidr, complete for every tier and AZ
    flow_log_traffic_type: str


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


def read_network(problems: _Problems, raw: Any, region: Optional[str]) -> Optional[NetworkSettings]:
    r = _Reader(problems, NETWORK_SECTION, raw)
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
