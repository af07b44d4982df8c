"""Stack configuration -> frozen, typed settings.

This package is the only code that knows config key names. Every key is declared once, in its area's key table
(type, default, what is allowed, a description); `Pulumi.yaml` is generated from the same tables (`python -m
offline schema --write`) and a test keeps the two equal. `load_settings` reads the raw config, collects *every*
problem in one pass and raises a single `ConfigError` before any resource exists.

Each problem line names the full key, the value given, what is allowed and the `pulumi config set` command
that fixes it. Unknown keys are errors with a "did you mean" suggestion, so a typo never falls back to a
default.

Where things live:
- `schema.py`: the shared machinery (`Key`, `Section`, problem collection, `ConfigError`, value coercion, checks,
  the raw-config reader).
- `project.py`: the top-level keys (`environment`, `tags`) and the provider keys (`aws:region`).
- `network.py`, `database.py`, `api.py`, `registry.py`, `frontend.py`, `observability.py`, `security.py`, `ci.py`:
  one area each, with its key table `<AREA>_SECTION`, its constants, its frozen dataclasses and `read_<area>`
  (`security_organization.py`: the security area's regions and organization keys).
- `security_findings.py`: the `securityFindings` section (connector, webhook, compliance report schedule).
- `loader.py`: `SECTIONS`, `Settings`, the cross-area and environment-profile rules, `load_settings` and the
  Pulumi.yaml generator `project_config_schema`.

Adding a key to an area:
1. Add a `Key(...)` to `<AREA>_SECTION` in `<area>.py`; its description says so if a change replaces a resource.
   Add the field to the area's dataclass and set it in `read_<area>`. A rule between keys of one area goes in
   `read_<area>` (`r.fail(...)`); a rule between areas or tied to the environment goes in `loader.py`.
2. Regenerate: `python -m offline schema --write` (Pulumi.yaml; a test fails while it is stale) and
   `python -m offline docs --write` (the config table in docs/architecture.md).
3. Add a bad-value test to the area's table of bad values (`tests/test_<area>_settings.py`; registry keys are in
   `tests/test_api_settings.py`, ci keys in `tests/test_ci.py`, network and top-level keys in
   `tests/test_settings.py`): the problem names the key, what is allowed and the fix command.
A new area is a new module like the others, listed in `loader.SECTIONS`, read in `load_settings`, a field of
`Settings`, and its public names re-exported below.
"""

from .api import (
    API_CPU_UNITS,
    API_PLATFORMS,
    APPRUNNER_SIZES,
    BOOTSTRAP_HEALTH_PATH,
    BOOTSTRAP_IMAGE,
    BOOTSTRAP_PORT,
    FARGATE_SIZES,
    PLATFORM_SIZES,
    PUBLIC_ECR,
    ApiSettings,
    is_image_reference,
)
from .ci import CiSettings
from .database import (
    AUTO_PAUSE_MINIMUM,
    DATABASE_MAJORS,
    MONITORING_INTERVALS,
    PERFORMANCE_INSIGHTS_RETENTION,
    RESERVED_DB_NAMES,
    RESERVED_DB_USERS,
    RESTORE_TYPES,
    STATIC_DB_PARAMETERS,
    AwsBackupSettings,
    DatabaseSettings,
    DbParameter,
    ReaderAutoscalingSettings,
    RestoreSettings,
)
from .frontend import (
    COUNTRY_CODES,
    PRICE_CLASSES,
    VIEWER_TLS_POLICIES,
    WAF_MANAGED_GROUPS,
    WAF_OVERRIDE_ACTIONS,
    WAF_RATE_WINDOWS,
    FrontendSettings,
)
from .loader import SECTIONS, Settings, load_settings, project_config_schema
from .network import NAT_MODES, TIERS, NetworkSettings, derived_subnet
from .observability import LOG_RETENTION_DAYS, ObservabilitySettings
from .project import AWS_REGION_RE, ENVIRONMENTS, PROVIDER_KEYS, TOP_LEVEL
from .registry import RegistrySettings
from .schema import PROJECT, Check, ConfigError, Key, Problem, Section, between, one_of, raw_config
from .security import (
    CONTROL_ID_RE,
    OBJECT_LOCK_MODES,
    REMEDIATION_MODES,
    SECURITY_STANDARDS,
    ControlException,
    SecurityContact,
    SecuritySettings,
)
from .security_findings import CONNECTOR_PROVIDERS, ConnectorSettings, FindingsSettings, WebhookSettings
from .security_organization import (
    ADMINISTRATOR,
    AWS_REGIONS,
    MEMBER,
    NO_ORGANIZATION,
    ORGANIZATION_MODES,
    SECURITY_ENVIRONMENT,
    OrganizationSettings,
)

__all__ = [
    "ADMINISTRATOR",
    "API_CPU_UNITS",
    "API_PLATFORMS",
    "APPRUNNER_SIZES",
    "AUTO_PAUSE_MINIMUM",
    "AWS_REGIONS",
    "AWS_REGION_RE",
    "BOOTSTRAP_HEALTH_PATH",
    "BOOTSTRAP_IMAGE",
    "BOOTSTRAP_PORT",
    "CONNECTOR_PROVIDERS",
    "CONTROL_ID_RE",
    "COUNTRY_CODES",
    "DATABASE_MAJORS",
    "ENVIRONMENTS",
    "FARGATE_SIZES",
    "LOG_RETENTION_DAYS",
    "MEMBER",
    "MONITORING_INTERVALS",
    "NAT_MODES",
    "NO_ORGANIZATION",
    "OBJECT_LOCK_MODES",
    "ORGANIZATION_MODES",
    "PERFORMANCE_INSIGHTS_RETENTION",
    "PLATFORM_SIZES",
    "PRICE_CLASSES",
    "PROJECT",
    "PROVIDER_KEYS",
    "PUBLIC_ECR",
    "REMEDIATION_MODES",
    "RESERVED_DB_NAMES",
    "RESERVED_DB_USERS",
    "RESTORE_TYPES",
    "SECTIONS",
    "SECURITY_ENVIRONMENT",
    "SECURITY_STANDARDS",
    "STATIC_DB_PARAMETERS",
    "TIERS",
    "TOP_LEVEL",
    "VIEWER_TLS_POLICIES",
    "WAF_MANAGED_GROUPS",
    "WAF_OVERRIDE_ACTIONS",
    "WAF_RATE_WINDOWS",
    "ApiSettings",
    "AwsBackupSettings",
    "Check",
    "CiSettings",
    "ConfigError",
    "ConnectorSettings",
    "ControlException",
    "DatabaseSettings",
    "DbParameter",
    "FindingsSettings",
    "FrontendSettings",
    "Key",
    "NetworkSettings",
    "ObservabilitySettings",
    "OrganizationSettings",
    "Problem",
    "ReaderAutoscalingSettings",
    "RegistrySettings",
    "RestoreSettings",
    "Section",
    "SecurityContact",
    "SecuritySettings",
    "Settings",
    "WebhookSettings",
    "between",
    "derived_subnet",
    "is_image_reference",
    "load_settings",
    "one_of",
    "project_config_schema",
    "raw_config",
]
