"""Runs the real program plus an Api built on a stand-in DatabaseConnection, until the Database is wired."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from offline import Capture, run

ROOT = Path(__file__).resolve().parent.parent
SECRET_ARN = "arn:aws:secretsmanager:us-west-2:111122223333:secret:rds!cluster-0a1b2c3d-AbCdEf"
SECRET_KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/00000000-1111-2222-3333-444444444444"

PROGRAM = f'''
import runpy
import pulumi
from components.api import Api, ApiArgs
from components.common import DatabaseConnection

g = runpy.run_path({str(ROOT / "__main__.py")!r}, run_name="__main__")
database = DatabaseConnection(
    endpoint=pulumi.Output.from_input("db.cluster-c0ffee.us-west-2.rds.amazonaws.com"),
    reader_endpoint=pulumi.Output.from_input("db.cluster-ro-c0ffee.us-west-2.rds.amazonaws.com"),
    port=5432,
    database_name="vitality",
    master_username="vitality_admin",
    secret_arn=pulumi.Output.from_input({SECRET_ARN!r}),
    secret_key_arn=pulumi.Output.from_input({SECRET_KEY_ARN!r}),
    cluster_resource_id=pulumi.Output.from_input("cluster-ABCDEFGHIJKL"),
)
settings, network, encryption = g["settings"], g["network"], g["encryption"]
api = Api(
    f"{{g['prefix']}}-api",
    ApiArgs(
        ctx=g["ctx"],
        settings=settings.api,
        repository=g["registry"].api,
        database=database,
        private_subnet_ids=network.private_subnet_ids,
        app_security_group_id=network.app_security_group_id,
        data_key=encryption.data,
        logs_key=encryption.logs,
        log_retention_days=settings.observability.log_retention_days,
    ),
    g["components"],
)
pulumi.export("apiUrl", api.url)
'''

_CACHE: dict[str, Capture] = {}
_DIR = tempfile.TemporaryDirectory(prefix="vitality-api-")


def api_capture(stack: str, preview: bool = False, overrides: Optional[Mapping[str, Any]] = None) -> Capture:
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
