"""Loading the whole stack configuration: `SECTIONS` (the areas in Pulumi.yaml order), the `Settings` dataclass,
the rules between areas and those of the environment profile, `load_settings`, and `project_config_schema`, the
`config:` block of Pulumi.yaml generated from the key tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

import pulumi

from .api import API_SECTION, ApiSettings, read_api
from .ci import CI_SECTION, CiSettings, read_ci
from .database import DATABASE_SECTION, DatabaseSettings, read_database, resolve_lock_mode
from .frontend import FRONTEND_SECTION, FrontendSettings, read_frontend
from .network import NETWORK_SECTION, NetworkSettings, read_network
from .observability import OBSERVABILITY_SECTION, ObservabilitySettings, read_observability
from .project import AWS_REGION_RE, TOP_LEVEL
from .registry import REGISTRY_SECTION, RegistrySettings, read_registry
from .schema import _MISSING, PROJECT, ConfigError, Section, _decode, _Problems, _Reader, raw_config
from .security import SECURITY_SECTION, SecuritySettings, read_security
from .security_findings import FINDINGS_SECTION, FindingsSettings, read_findings
from .security_organization import ADMINISTRATOR, NO_ORGANIZATION, ORGANIZATION_MODES, SECURITY_ENVIRONMENT

SECTIONS: tuple[Section, ...] = (
    NETWORK_SECTION, DATABASE_SECTION, API_SECTION, REGISTRY_SECTION, FRONTEND_SECTION, OBSERVABILITY_SECTION,
    SECURITY_SECTION, FINDINGS_SECTION, CI_SECTION,
)


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    environment: str
    region: str
    extra_tags: Mapping[str, str]
    network: Optional[NetworkSettings]  # None only in the security-tooling stack (organization mode administrator)
    database: DatabaseSettings
    api: ApiSettings
    registry: RegistrySettings
    frontend: FrontendSettings
    observability: ObservabilitySettings
    security: SecuritySettings
    findings: FindingsSettings
    ci: CiSettings

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    @property
    def base_tags(self) -> dict[str, str]:
        """Tags on every taggable resource; components add `Component`."""
        return {**self.extra_tags, "Project": self.project, "Environment": self.environment, "ManagedBy": "pulumi"}


def _cross_section_rules(problems: _Problems, sections: Mapping[str, Any]) -> None:
    """Rules between areas."""
    api, observability = sections.get("api"), sections.get("observability")
    if api is not None and observability is not None and observability.synthetics and not api.health_check_path.startswith("/api/"):
        # the API origin only accepts requests that come through CloudFront, i.e. under /api/
        problems.add(f"{PROJECT}:observability.synthetics", True,
                     f"false while api.healthCheckPath ({api.health_check_path}) is outside /api/: the heartbeat reaches "
                     "the API through CloudFront's /api/* behaviour, the only way past its origin check", False)
    security, findings = sections.get("security"), sections.get("findings")
    if security is not None and findings is not None and findings.connector is not None and len(security.regions) < 2:
        # connectors need the unified Security Hub's aggregator, which needs a region to link
        problems.add(f"{PROJECT}:{FINDINGS_SECTION.name}.connector", findings.connector.provider,
                     f"empty while security.regions lists only the home region ({', '.join(security.regions)}): "
                     "a connector needs the unified Security Hub aggregator, which links at least one more region",
                     _MISSING)


# Areas the security-tooling stack does not build (it has no network, database, API, registry or frontend).
WORKLOAD_SECTIONS = ("network", "database", "api", "registry", "frontend")


def _organization_rules(problems: _Problems, environment: Optional[str], sections: Mapping[str, Any],
                        given: Mapping[str, Any]) -> None:
    """Organization mode against the environment, the CI roles and the areas the stack builds (`given`: the raw
    project config)."""
    security, ci = sections.get("security"), sections.get("ci")
    # the mode as declared when another security key is wrong: the environment rule is reported in the same pass
    mode = security.organization.mode if security is not None else _declared_mode(given)
    if mode not in ORGANIZATION_MODES:
        return
    key = f"{PROJECT}:security.organization.mode"
    if mode == ADMINISTRATOR and environment not in (None, SECURITY_ENVIRONMENT):
        problems.add(key, mode, f"none or member in environment {environment}; administrator needs environment "
                     f"{SECURITY_ENVIRONMENT} (the security-tooling account's stack, Pulumi.security.yaml)", NO_ORGANIZATION)
    if environment == SECURITY_ENVIRONMENT and mode != ADMINISTRATOR:
        problems.add(key, mode, f"administrator in environment {SECURITY_ENVIRONMENT}", ADMINISTRATOR)
    if mode != NO_ORGANIZATION and security is not None and ci is not None and not ci.github_repository:
        problems.add(f"{PROJECT}:ci.githubRepository", "", f"owner/name with organization mode {mode}: each account's "
                     "stack creates its own GitHub OIDC provider and CI roles", "vitality-example/vitality-platform")
    if mode == ADMINISTRATOR:
        defaults = {section.name: section.defaults() for section in SECTIONS}
        for name in WORKLOAD_SECTIONS:
            # the CLI passes Pulumi.yaml's defaults too: only values the stack file sets are a mistake
            if name in given and (defaults[name] == {} or given[name] != defaults[name]):
                problems.add(f"{PROJECT}:{name}", given[name], "not set: the security-tooling stack (organization "
                             "mode administrator) builds only the security pieces", _MISSING)


def _environment_rules(problems: _Problems, environment: Optional[str], sections: Mapping[str, Any]) -> None:
    """Rules that tie a value to the environment profile (DESIGN.md, Environments)."""
    observability = sections.get("observability")
    if environment == SECURITY_ENVIRONMENT and observability is not None and observability.log_retention_days < 365:
        problems.add(f"{PROJECT}:observability.logRetentionDays", observability.log_retention_days,
                     "at least 365 in the security environment (it keeps the organization's audit logs)", 365)
    if environment != "prod":
        return
    database = sections.get("database")
    if database is not None and not database.deletion_protection:
        problems.add(f"{PROJECT}:database.deletionProtection", False, "true in a prod environment", True)
    if database is not None and database.backup_retention_days < 7:
        problems.add(f"{PROJECT}:database.backupRetentionDays", database.backup_retention_days, "at least 7 in a prod environment", 35)
    if database is not None:
        _prod_backup_rules(problems, database)
    if database is not None and database.min_capacity < 0.5:
        problems.add(f"{PROJECT}:database.minCapacity", database.min_capacity, "at least 0.5 in a prod environment (no auto-pause)", 0.5)
    if database is not None and database.readers < 1:
        problems.add(f"{PROJECT}:database.readers", database.readers, "at least 1 in a prod environment (failover to another AZ)", 1)
    if observability is not None and observability.log_retention_days < 365:
        problems.add(f"{PROJECT}:observability.logRetentionDays", observability.log_retention_days, "at least 365 in a prod environment", 365)


def _prod_backup_rules(problems: _Problems, database: DatabaseSettings) -> None:
    """Prod backups outlive the region and the admin, and are tested (docs/database.md, Recovery objectives)."""
    backup, key = database.aws_backup, f"{PROJECT}:database.awsBackup"
    if not backup.enabled:
        problems.add(f"{key}.enabled", False, "true in a prod environment", True)
        return
    if backup.copy_region is None:
        problems.add(f"{key}.copyRegion", "none", "a second region in a prod environment (\"\" for the paired region)", "")
    if backup.lock_mode != "compliance":
        problems.add(f"{key}.lockMode", backup.lock_mode, "compliance in a prod environment (read docs/database.md, "
                     "Vault Lock, first: it cannot be undone after the cooling-off period)", "compliance")
    if backup.restore_test_frequency == "off":
        problems.add(f"{key}.restoreTestFrequency", "off", "weekly or monthly in a prod environment", "monthly")


def _declared_mode(ours: Mapping[str, Any]) -> Any:
    """security.organization.mode as written (validated later by the security reader): it decides which areas are
    required before any area is read."""
    security = ours.get("security")
    organization = security.get("organization") if isinstance(security, dict) else None
    return organization.get("mode") if isinstance(organization, dict) else None


def load_settings(config: Optional[Mapping[str, Any]] = None, stack: Optional[str] = None) -> Settings:
    """Parse and validate the whole stack configuration; raise one ConfigError listing every problem."""
    stack = stack or pulumi.get_stack()
    config = raw_config() if config is None else config
    problems = _Problems(stack)

    ours = {k.split(":", 1)[1]: _decode(v) for k, v in config.items() if k.startswith(f"{PROJECT}:")}
    known = [k.name for k in TOP_LEVEL] + [s.name for s in SECTIONS]
    for unknown in sorted(set(ours) - set(known)):
        problems.unknown(f"{PROJECT}:{unknown}", ours[unknown], known)

    region = config.get("aws:region")
    if not isinstance(region, str) or not AWS_REGION_RE.fullmatch(region):
        problems.add("aws:region", region if region is not None else _MISSING, "an AWS region name such as us-west-2", "us-west-2")
        region = None

    top = _Reader(problems, None, {k: v for k, v in ours.items() if k in {t.name for t in TOP_LEVEL}}, TOP_LEVEL)
    administrator = _declared_mode(ours) == ADMINISTRATOR
    section_raw: dict[str, Any] = {}
    for section in SECTIONS:
        value = ours.get(section.name, _MISSING)
        if value is _MISSING and section.required:
            problems.add(f"{PROJECT}:{section.name}", _MISSING, f"a map with the {section.name} settings (see Pulumi.yaml)",
                         {k.name: k.suggestion() for k in section.keys if k.required})
            value = {}
        elif value is not _MISSING and not isinstance(value, dict):
            problems.add(f"{PROJECT}:{section.name}", value, f"a map with the {section.name} settings (see Pulumi.yaml)", {})
            value = {}
        section_raw[section.name] = value if isinstance(value, dict) else {}

    database = read_database(problems, section_raw["database"], region)
    parsed = {
        "network": None if administrator else read_network(problems, section_raw["network"], region),
        "database": resolve_lock_mode(database, top.values.get("environment")) if database is not None else None,
        "api": read_api(problems, section_raw["api"], region),
        "registry": read_registry(problems, section_raw["registry"]),
        "frontend": read_frontend(problems, section_raw["frontend"]),
        "observability": read_observability(problems, section_raw["observability"]),
        "security": read_security(problems, section_raw["security"], region),
        "findings": read_findings(problems, section_raw[FINDINGS_SECTION.name], pulumi.runtime.is_config_secret),
        "ci": read_ci(problems, section_raw["ci"]),
    }
    environment = top.values.get("environment")
    _environment_rules(problems, environment, parsed)
    _cross_section_rules(problems, parsed)
    _organization_rules(problems, environment, parsed, ours)

    if problems.items:
        raise ConfigError(stack, problems.items)
    assert region is not None and environment is not None
    return Settings(
        project=PROJECT,
        stack=stack,
        environment=environment,
        region=region,
        extra_tags=dict(top.values["tags"]),
        **parsed,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------------
# Pulumi.yaml config block, generated from the schema
# --------------------------------------------------------------------------------------------------


def project_config_schema() -> dict[str, Any]:
    """The `config:` block of Pulumi.yaml: one typed, described entry per top-level key and section."""
    block: dict[str, Any] = {}
    for key in TOP_LEVEL:
        entry: dict[str, Any] = {"type": key.kind, "description": key.description}
        if not key.required:
            entry["default"] = key.default
        block[key.name] = entry
    for section in SECTIONS:
        lines = [section.description]
        for key in section.keys:
            req = " (required)" if key.required else ""
            allowed = f" Allowed: {key.allowed}." if key.allowed else ""
            replaces = f" Replace-on-change: {key.replaces}." if key.replaces else ""
            lines.append(f"{section.name}.{key.name} ({key.kind}{req}): {key.description}{allowed}{replaces}")
        entry = {"type": "object", "description": "\n".join(lines)}
        if not section.required:
            entry["default"] = section.defaults()
        block[section.name] = entry
    return block
