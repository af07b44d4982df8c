"""A minimal program with only what the Frontend needs and a stand-in ApiOrigin: proves the component depends on
the typed view alone (no Api, Database or Network), and lets tests read its `targets` view."""

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
import pulumi
import pulumi_aws as aws
from components.common import ApiOrigin, StackContext
from components.encryption import Encryption, EncryptionArgs
from components.frontend import Frontend, FrontendArgs
from components.settings import load_settings

settings = load_settings()
prefix = settings.name_prefix
provider = aws.Provider("aws", region=settings.region, default_tags=aws.ProviderDefaultTagsArgs(tags=settings.base_tags))
components = pulumi.ResourceOptions(providers=[provider])
ctx = StackContext(
    project=settings.project, stack=settings.stack, environment=settings.environment, region=settings.region,
    account_id=aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id,
    partition="aws", base_tags=settings.base_tags,
)
encryption = Encryption(f"{{prefix}}-kms", EncryptionArgs(ctx=ctx, cloudtrail_name=f"{{prefix}}-trail"), components)
api = ApiOrigin(
    domain=pulumi.Output.from_input({API_DOMAIN!r}),
    url=pulumi.Output.from_input("https://" + {API_DOMAIN!r}),
    verify_header_name="X-Origin-Verify",
    verify_header_value=pulumi.Output.secret({VERIFY_SECRET!r}),
)
frontend = Frontend(
    f"{{prefix}}-web",
    FrontendArgs(
        ctx=ctx,
        settings=settings.frontend,
        api=api,
        edge_logs_key=encryption.edge_logs,
        log_retention_days=settings.observability.log_retention_days,
    ),
    components,
)
t = frontend.targets
pulumi.export("frontendUrl", frontend.url)
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
