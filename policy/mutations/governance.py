"""Violating variants: rules across every family (prod data protected, required tags) and the exceptions
themselves."""

from __future__ import annotations

from policy.rules.shared import ACL_ASSOCIATION, BUCKET, KMS_KEY, LOG_GROUP, VPC

from .core import APPRUNNER, Mutant, variant

CLUSTER = "aws:rds/cluster:Cluster"
VAULT = "aws:backup/vault:Vault"
SERVICE = "aws:apprunner/service:Service"


PROTECTED = "prod-stateful-resources-protected"


@variant(PROTECTED, "cluster not protected", "value")
def _cluster_unprotected(m: Mutant) -> str:
    cluster = m.get(CLUSTER)
    return m.edit(cluster, lambda p: None, protect=False)


@variant(PROTECTED, "audit bucket force-destroy", "value")
def _bucket_force(m: Mutant) -> str:
    return m.set(m.get(BUCKET, "security-audit"), "forceDestroy", True)


@variant(PROTECTED, "log group deletion protection off", "value")
def _log_group_deletable(m: Mutant) -> str:
    return m.set(m.get(LOG_GROUP, "db-postgresql-logs"), "deletionProtectionEnabled", False)


@variant(PROTECTED, "backup vault holding the recovery points not protected", "value")
def _vault_unprotected(m: Mutant) -> str:
    return m.edit(m.get(VAULT, "db-backups"), lambda p: None, protect=False)


@variant(PROTECTED, "backup vault force-destroy", "value")
def _vault_force(m: Mutant) -> str:
    return m.set(m.get(VAULT, "db-backups"), "forceDestroy", True)


@variant(PROTECTED, "data key not protected", "value")
def _key_unprotected(m: Mutant) -> str:
    return m.edit(m.get(KMS_KEY, "kms-data"), lambda p: None, protect=False)


@variant("required-tags", "Component tag dropped", "removed", ("dev", "prod"))
def _tag_dropped(m: Mutant) -> str:
    vpc = m.get(VPC)
    return m.edit(vpc, lambda p: [p.get(k, {}).pop("Component", None) for k in ("tags", "tagsAll")])


@variant("required-tags", "tags replaced by an unrelated set", "value")
def _tag_replaced(m: Mutant) -> str:
    return m.edit(m.get(VPC), lambda p: p.update(tags={"Owner": "someone"}, tagsAll={"Owner": "someone"}))


HOLD = "policy-exceptions-hold"


@variant(HOLD, "App Runner exception's web ACL association removed", "removed", ("dev", "prod"), topology=APPRUNNER)
def _hold_association(m: Mutant) -> str:
    m.remove(m.get(ACL_ASSOCIATION))
    return m.get(SERVICE).name


@variant(HOLD, "exception past its review date", "expired", ("dev", "prod"), today="2027-06-01",
         topology=APPRUNNER)
def _hold_expired(m: Mutant) -> str:
    return m.get(SERVICE).name
