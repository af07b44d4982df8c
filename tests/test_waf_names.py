"""WAFv2 rejects descriptions and names outside its patterns at apply time (the provider only checks lengths)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import capture_for

# botocore wafv2 model: EntityDescription and EntityName
DESCRIPTION = re.compile(r"[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]")
NAME = re.compile(r"[\w\-]+")
WAF_TYPES = ("aws:wafv2/webAcl:WebAcl", "aws:wafv2/ipSet:IpSet")
VARIANTS = {
    "dev": {},
    "prod-ip-sets": {"vitality:frontend.allowedIpCidrs": ["203.0.113.0/24", "2001:db8::/32"],
                     "vitality:frontend.blockedIpCidrs": ["198.51.100.0/24"]},
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_waf_descriptions_and_names_match_the_service_patterns(variant: str) -> None:
    capture = capture_for("dev" if variant == "dev" else "prod", overrides=VARIANTS[variant])
    checked = 0
    for resource in (r for r in capture.resources if r.type in WAF_TYPES):
        description = resource.inputs.get("description")
        if description is not None:
            checked += 1
            assert DESCRIPTION.fullmatch(description) and len(description) <= 256, f"{resource.name}: {description!r}"
        name = resource.inputs.get("name")
        assert name is None or (NAME.fullmatch(name) and len(name) <= 128), f"{resource.name}: {name!r}"
        for rule in resource.inputs.get("rules", []):
            assert NAME.fullmatch(rule["name"]), rule["name"]
            assert NAME.fullmatch(rule["visibilityConfig"]["metricName"]), rule["visibilityConfig"]["metricName"]
    assert checked >= 2
