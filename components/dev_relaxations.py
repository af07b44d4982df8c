"""What dev is allowed to relax, defined once.

The policy pack skips these rules in the `dev` environment (policy/framework.py reads `DEV_RELAXED_RULES`), and the
security baseline suppresses the Security Hub findings of the same controls for resources tagged `Environment=dev`
(automation rules in a shared account, the dev configuration policy in organization mode), with the same reason.
Plain data: the policy pack imports this module without the Pulumi program.
"""

from __future__ import annotations

from dataclasses import dataclass

DEV_ENVIRONMENT = "dev"


@dataclass(frozen=True)
class DevRelaxation:
    rule: str  # policy pack rule that dev does not have to pass
    controls: tuple[str, ...]  # Security Hub controls whose dev findings are expected to fail
    reason: str


DEV_RELAXATIONS: tuple[DevRelaxation, ...] = (
    DevRelaxation(
        "vpc-ecr-interface-endpoints",
        ("EC2.55", "EC2.56"),
        "dev pulls images through its NAT gateway; interface endpoints for ECR cost more than dev's traffic",
    ),
    DevRelaxation(
        "rds-cluster-deletion-protection",
        ("RDS.7",),
        "dev's Aurora cluster is disposable: no deletion protection and no final snapshot, so it can be torn down",
    ),
    DevRelaxation(
        "rds-cluster-multi-az",
        ("RDS.15",),
        "dev runs a single auto-pausing Aurora writer without readers; availability is not a dev requirement",
    ),
    DevRelaxation(
        "alb-deletion-protection",
        ("ELB.6",),
        "dev's internal API load balancer is torn down with the stack, so it has no deletion protection",
    ),
    DevRelaxation(
        "prod-stateful-resources-protected",
        (),
        "dev's buckets, keys and log groups may be force-deleted; the rule has no Security Hub control",
    ),
)

DEV_RELAXED_RULES: frozenset[str] = frozenset(r.rule for r in DEV_RELAXATIONS)


def dev_relaxed_controls() -> dict[str, str]:
    """Security Hub control id -> why its dev findings are accepted."""
    return {control: r.reason for r in DEV_RELAXATIONS for control in r.controls}
