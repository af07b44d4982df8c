"""Runs the real program plus a Frontend built on a stand-in ApiOrigin (component-level test, no Api needed)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from offline import Capture, run

ROOT = Path(__file__).resolve().parent.parent
API_DOMAIN = "stand-in.us-west-2.awsapprunner.com"
VERIFY_SECRET = "stand-in-origin-verify-secret"

PROGRAM = f'''
import runpy
import pulumi
from components.common import ApiOrigin
from components.frontend import Frontend, FrontendArgs

g = runpy.run_path({str(ROOT / "__main__.py")!r}, run_name="__main__")
api = ApiOrigin(
    domain=pulumi.Output.from_input({API_DOMAIN!r}),
    url=pulumi.Output.from_input("https://" + {API_DOMAIN!r}),
    verify_header_name="X-Origin-Verify",
    verify_header_value=pulumi.Output.secret({VERIFY_SECRET!r}),
)
settings, encryption = g["settings"], g["encryption"]
frontend = Frontend(
    f"{{g['prefix']}}-web",
    FrontendArgs(
        ctx=g["ctx"],
        settings=settings.frontend,
        api=api,
        edge_logs_key=encryption.edge_logs,
        log_retention_days=settings.observability.log_retention_days,
    ),
    g["components"],
)
pulumi.export("frontendUrl", frontend.url)
pulumi.export("distributionId", frontend.distribution_id)
pulumi.export("webAclArn", frontend.web_acl_arn)
pulumi.export("siteBucketName", frontend.site_bucket_name)
t = frontend.targets
pulumi.export("frontendTargets", {{
    "distributionId": t.distribution_id, "distributionDomain": t.distribution_domain, "siteDomain": t.site_domain,
    "url": t.url, "webAclName": t.web_acl_name, "webAclMetricName": t.web_acl_metric_name,
    "wafLogGroupName": t.waf_log_group_name,
}})
'''

_CACHE: dict[str, Capture] = {}
_DIR = tempfile.TemporaryDirectory(prefix="vitality-frontend-")


def frontend_capture(stack: str, preview: bool = False, overrides: Optional[Mapping[str, Any]] = None) -> Capture:
    key = json.dumps([stack, preview, overrides or {}], sort_keys=True)
    if key not in _CACHE:
        root = Path(_DIR.name)
        if not (root / "__main__.py").exists():
            for item in ROOT.iterdir():
                if item.name.startswith("Pulumi.") or item.name in ("components",):
                    (root / item.name).symlink_to(item)
            (root / "__main__.py").write_text(PROGRAM)
        _CACHE[key] = run(stack, preview=preview, overrides=overrides, root=root)
    return _CACHE[key]
