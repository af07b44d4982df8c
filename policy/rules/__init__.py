"""Every rule of the pack: AWS Security Hub controls (FSBP, CIS v3.0, NIST-only where SOC 2 needs them) that can be
decided from what the program registers (reference/compliance-controls.md §6.1), plus the project's own rules.

Provider defaults are encoded: an input the program left unset has the provider's default, and where that default
is insecure (storage_encrypted, deletion_protection, enable_key_rotation, image_tag_mutability, ...) an unset
input fails the rule. This package is the registry: `POLICIES` is what `policy/__main__.py` hands to the PolicyPack;
`RULES` (ordered by `FAMILIES` below), `RULES_BY_NAME` and `EXCEPTIONS` are what the offline check (`offline/check.py`,
`policy/evaluate.py`), the docs generator (`policy/docs.py`) and the tests read.

What lives where (one module per service family):
- `shared`: the pulumi-aws type tokens, the registration machinery (the `resource_rule` / `stack_rule` decorators,
  `REGISTERED`, `EXCEPTIONS`, `Findings`) and the helpers more than one family uses (`WORLD`, `bucket_children`,
  `bpa_problem`).
- `network`: security groups, NACLs, flow logs, VPC endpoints, subnets and routes, VPC Block Public Access.
- `database`: Aurora PostgreSQL clusters, instances and event subscriptions.
- `identity`: KMS keys, IAM (roles, policies, users, trust, password policy), Secrets Manager.
- `storage`: S3 buckets and their sub-resources, resource policies, account-level Block Public Access.
- `edge`: CloudFront distributions and origin access controls, WAF.
- `compute`: ECR repositories and registry scanning, App Runner.
- `observability`: CloudWatch log groups and alarms, SNS topics.
- `security_services`: the account baseline (CloudTrail, Config, Security Hub, GuardDuty, Access Analyzer, EBS
  default encryption, security contact) and its completeness.
- `governance`: rules across every family (prod data protected, required tags).

Adding the next rule: write a function decorated with `@resource_rule(...)` or `@stack_rule(...)` (from `.shared`,
with name, types, controls, severity, tsc, description, remediation) in the family module it checks; decorating
registers it, nothing else to list; it runs after the rules above it in that module. A new family gets a new
module, imported and placed in `FAMILIES` below (that tuple is the rule order of the pack and of docs/compliance.md;
importing a module that registers rules without listing it fails at import). New type tokens, and helpers a second
family starts to need, go in `shared`. Add a violating and a compliant case for the rule name to `CASES` in
tests/test_policy_rules.py, and violating variants of the real stacks to the family's module in `policy/mutations/`
(at least three for a rule that reads IAM, trust, key, topic or bucket policies; tests fail for a rule without
them), then regenerate the control map with `python -m offline check --write-docs` (tests/test_policy_stacks.py
fails while docs/compliance.md is stale). A finding to accept goes in `policy/exceptions.yaml` with its exact
message, the compensating controls it relies on and a review date (rule `policy-exceptions-hold` enforces both).
"""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import Policy

from ..framework import Rule, by_name
from . import compute, database, edge, governance, identity, network, observability, security_services, storage
from .database import (
    RDS_EVENT_COVERAGE,
)
from .governance import (
    REQUIRED_TAGS,
    STATEFUL,
    TAGGABLE,
)
from .identity import (
    CLOUDSHELL,
    IDENTITY_POLICY_TYPES,
    INLINE_POLICY_TYPES,
)
from .network import (
    ADMIN_PORTS,
    HIGH_RISK_PORTS,
    SG_TYPES,
)
from .security_services import (
    BASELINE_REQUIREMENTS,
    BASELINE_TYPES,
    CONFIG_SLR,
)
from .shared import (
    ACCESS_KEY,
    ACCOUNT_BPA,
    ACL_ASSOCIATION,
    ALARMS,
    ANALYZER,
    APPRUNNER,
    BACKUP_VAULT,
    BPA,
    BPA_EXCLUSION,
    BUCKET,
    BUCKET_POLICY,
    BUCKET_V2,
    BUCKETS,
    COMPOSITE_ALARM,
    CONNECTOR,
    CONTACT,
    DEFAULT_SG,
    DELIVERY_CHANNEL,
    DETECTOR,
    DETECTOR_FEATURE,
    DISTRIBUTION,
    EBS_DEFAULT,
    ECR_LIFECYCLE,
    ECR_REPO,
    ECR_SCANNING,
    ECS_CLUSTER,
    ECS_SERVICE,
    ENDPOINT,
    EXCEPTIONS,
    FLOW_LOG,
    GROUP_ATTACH,
    GROUP_POLICY,
    HUB,
    HUB_STANDARD,
    IAM_POLICY,
    IGW,
    KMS_KEY,
    LIFECYCLE,
    LISTENER,
    LOAD_BALANCER,
    LOG_DELIVERY,
    LOG_DELIVERY_DESTINATION,
    LOG_DELIVERY_SOURCE,
    LOG_GROUP,
    LOGGING,
    LOGIN_PROFILE,
    METRIC_ALARM,
    NACL,
    NACL_RULE,
    NOTIFICATION,
    OAC,
    OBJECT_LOCK,
    OWNERSHIP,
    PASSWORD_POLICY,
    POLICY_ATTACH,
    PROJECT,
    RDS_CLUSTER,
    RDS_EVENTS,
    RDS_INSTANCE,
    RDS_SUBNETS,
    RECORDER,
    RECORDER_STATUS,
    REGISTERED,
    REPLICATION,
    ROLE,
    ROLE_ATTACH,
    ROLE_POLICY,
    ROUTE,
    ROUTE_TABLE,
    RT_ASSOC,
    SECRET,
    SECRET_ROTATION,
    SG,
    SG_INGRESS,
    SG_RULE,
    SSE,
    SUBNET,
    TARGET_GROUP,
    TASK_DEFINITION,
    TOPIC,
    TOPIC_POLICY,
    TRAIL,
    USER_ATTACH,
    USER_POLICY,
    VERSIONING,
    VPC,
    VPC_BPA,
    VPC_ORIGIN,
    WAF_ASSOCIATION,
    WAF_LOGGING,
    WEB_ACL,
    WORLD,
    Findings,
    bpa_problem,
    bucket_children,
    resource_rule,
    stack_rule,
)
from .storage import (
    POLICY_BEARERS,
    S3_ADMIN_ACTIONS,
)

# The pack's rule order, which docs/compliance.md follows: family by family, each family's rules in the order its
# module declares them. A module that registers rules must be listed here.
FAMILIES = (network, database, identity, storage, edge, compute, observability, security_services, governance)
_unlisted = set(REGISTERED) - {family.__name__ for family in FAMILIES}
if _unlisted:
    raise RuntimeError(f"rule modules {sorted(_unlisted)} register rules but are not in policy.rules.FAMILIES")
RULES: list[Rule] = [rule for family in FAMILIES for rule in REGISTERED.get(family.__name__, [])]

RULES_BY_NAME = by_name(RULES)
# policy-exceptions-hold is about the resources the exceptions name: its subjects are of the types the excepted rules
# check (only known once every family has registered).
RULES_BY_NAME["policy-exceptions-hold"].types = tuple(sorted(
    {t for x in EXCEPTIONS if x.rule in RULES_BY_NAME for t in RULES_BY_NAME[x.rule].types}))
POLICIES: list[Policy] = [rule.policy for rule in RULES]


def controls_of(rules: Iterable[Rule] = RULES) -> dict[str, list[Rule]]:
    """Security Hub control id -> the rules that enforce it."""
    found: dict[str, list[Rule]] = {}
    for rule in rules:
        for control in rule.controls:
            found.setdefault(control, []).append(rule)
    return found


__all__ = [
    "ACCESS_KEY",
    "ACCOUNT_BPA",
    "ACL_ASSOCIATION",
    "ADMIN_PORTS",
    "ALARMS",
    "ANALYZER",
    "APPRUNNER",
    "BACKUP_VAULT",
    "BASELINE_REQUIREMENTS",
    "BASELINE_TYPES",
    "BPA",
    "BPA_EXCLUSION",
    "BUCKET",
    "BUCKETS",
    "BUCKET_POLICY",
    "BUCKET_V2",
    "CLOUDSHELL",
    "COMPOSITE_ALARM",
    "CONFIG_SLR",
    "CONNECTOR",
    "CONTACT",
    "DEFAULT_SG",
    "DELIVERY_CHANNEL",
    "DETECTOR",
    "DETECTOR_FEATURE",
    "DISTRIBUTION",
    "EBS_DEFAULT",
    "ECR_LIFECYCLE",
    "ECR_REPO",
    "ECR_SCANNING",
    "ECS_CLUSTER",
    "ECS_SERVICE",
    "ENDPOINT",
    "EXCEPTIONS",
    "FAMILIES",
    "FLOW_LOG",
    "GROUP_ATTACH",
    "GROUP_POLICY",
    "HIGH_RISK_PORTS",
    "HUB",
    "HUB_STANDARD",
    "IAM_POLICY",
    "IDENTITY_POLICY_TYPES",
    "IGW",
    "INLINE_POLICY_TYPES",
    "KMS_KEY",
    "LIFECYCLE",
    "LISTENER",
    "LOAD_BALANCER",
    "LOGGING",
    "LOGIN_PROFILE",
    "LOG_DELIVERY",
    "LOG_DELIVERY_DESTINATION",
    "LOG_DELIVERY_SOURCE",
    "LOG_GROUP",
    "METRIC_ALARM",
    "NACL",
    "NACL_RULE",
    "NOTIFICATION",
    "OAC",
    "OBJECT_LOCK",
    "OWNERSHIP",
    "PASSWORD_POLICY",
    "POLICIES",
    "POLICY_ATTACH",
    "POLICY_BEARERS",
    "PROJECT",
    "RDS_CLUSTER",
    "RDS_EVENTS",
    "RDS_EVENT_COVERAGE",
    "RDS_INSTANCE",
    "RDS_SUBNETS",
    "RECORDER",
    "RECORDER_STATUS",
    "REPLICATION",
    "REQUIRED_TAGS",
    "ROLE",
    "ROLE_ATTACH",
    "ROLE_POLICY",
    "ROUTE",
    "ROUTE_TABLE",
    "RT_ASSOC",
    "RULES",
    "RULES_BY_NAME",
    "S3_ADMIN_ACTIONS",
    "SECRET",
    "SECRET_ROTATION",
    "SG",
    "SG_INGRESS",
    "SG_RULE",
    "SG_TYPES",
    "SSE",
    "STATEFUL",
    "SUBNET",
    "TAGGABLE",
    "TARGET_GROUP",
    "TASK_DEFINITION",
    "TOPIC",
    "TOPIC_POLICY",
    "TRAIL",
    "USER_ATTACH",
    "USER_POLICY",
    "VERSIONING",
    "VPC",
    "VPC_BPA",
    "VPC_ORIGIN",
    "WAF_ASSOCIATION",
    "WAF_LOGGING",
    "WEB_ACL",
    "WORLD",
    "Findings",
    "Rule",
    "bpa_problem",
    "bucket_children",
    "controls_of",
    "resource_rule",
    "stack_rule",
]
