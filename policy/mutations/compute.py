"""Violating variants: ECR repositories and registry, App Runner service, its connector and origin protection."""

from __future__ import annotations

import json
from typing import Any

from policy.rules.shared import (
    ACL_ASSOCIATION,
    CONNECTOR,
    DISTRIBUTION,
    ECS_CLUSTER,
    ECS_SERVICE,
    LISTENER,
    LOAD_BALANCER,
    SUBNET,
    TASK_DEFINITION,
    VPC_ORIGIN,
    WEB_ACL,
)

from .core import APPRUNNER, Mutant, items, variant

REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
SERVICE = "aws:apprunner/service:Service"
BOTH = ("dev", "prod")


@variant("ecr-image-scanning", "registry scanning narrowed to one prefix, repository scan off", "partial")
def _scan_partial(m: Mutant) -> str:
    m.edit(m.get(SCANNING), lambda p: [f.update(filter="vitality-other-*")
                                       for r in p["rules"] for f in r["repositoryFilters"]])
    return m.set(m.get(REPO), "imageScanningConfiguration.scanOnPush", False)


@variant("ecr-image-scanning", "scan on push off without registry scanning", "value", ("dev",))
def _scan_off(m: Mutant) -> str:
    return m.set(m.get(REPO), "imageScanningConfiguration.scanOnPush", False)


@variant("ecr-image-scanning", "registry scanning removed, repository scan off", "removed")
def _scan_removed(m: Mutant) -> str:
    m.remove(m.get(SCANNING))
    return m.set(m.get(REPO), "imageScanningConfiguration.scanOnPush", False)


IMMUTABLE = "ecr-tag-immutability"


@variant(IMMUTABLE, "mutable tags", "value", BOTH)
def _mutable(m: Mutant) -> str:
    return m.set(m.get(REPO), "imageTagMutability", "MUTABLE")


@variant(IMMUTABLE, "immutable with the exclusion filter * (every tag mutable)", "wildcard", BOTH)
def _exclusion_star(m: Mutant) -> str:
    return m.edit(m.get(REPO), lambda p: p.update(imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                                                  imageTagMutabilityExclusionFilters=[
                                                      {"filter": "*", "filterType": "WILDCARD"}]))


@variant(IMMUTABLE, "mutability unset (provider default MUTABLE)", "removed")
def _mutability_unset(m: Mutant) -> str:
    return m.drop(m.get(REPO), "imageTagMutability")


@variant("ecr-lifecycle-policy", "lifecycle policy removed", "removed", BOTH)
def _ecr_lifecycle(m: Mutant) -> str:
    m.remove(m.get(LIFECYCLE))
    return m.get(REPO).name


@variant("ecr-kms-encryption", "AES256 encryption", "value", BOTH)
def _ecr_aes(m: Mutant) -> str:
    return m.set(m.get(REPO), "encryptionConfigurations", [{"encryptionType": "AES256"}])


@variant("ecr-kms-encryption", "KMS without a customer key", "partial")
def _ecr_kms_default(m: Mutant) -> str:
    return m.set(m.get(REPO), "encryptionConfigurations", [{"encryptionType": "KMS"}])


@variant("apprunner-vpc-egress", "default (public) egress", "value", BOTH, topology=APPRUNNER)
def _egress_default(m: Mutant) -> str:
    return m.set(m.get(SERVICE), "networkConfiguration.egressConfiguration", {"egressType": "DEFAULT"})


@variant("apprunner-private-ingress", "ingress configuration removed (public by default)", "removed", BOTH, topology=APPRUNNER)
def _ingress_unset(m: Mutant) -> str:
    """The standing exception accepts isPubliclyAccessible=true, not a configuration that is gone."""
    return m.drop(m.get(SERVICE), "networkConfiguration.ingressConfiguration")


@variant("apprunner-observability", "tracing off", "value", BOTH, topology=APPRUNNER)
def _tracing_off(m: Mutant) -> str:
    return m.set(m.get(SERVICE), "observabilityConfiguration.observabilityEnabled", False)


@variant("apprunner-cmk-and-health-check", "AWS owned key", "removed", BOTH, topology=APPRUNNER)
def _ar_key(m: Mutant) -> str:
    return m.drop(m.get(SERVICE), "encryptionConfiguration")


@variant("apprunner-cmk-and-health-check", "unhealthy after 10 failed checks", "value", topology=APPRUNNER)
def _ar_threshold(m: Mutant) -> str:
    return m.set(m.get(SERVICE), "healthCheckConfiguration.unhealthyThreshold", 10)


@variant("apprunner-connector-private-subnets", "connector in the public subnets", "value", BOTH, topology=APPRUNNER)
def _connector_public(m: Mutant) -> str:
    public = [s.id for s in m.all(SUBNET) if "-public-" in s.name]
    return m.set(m.get(CONNECTOR), "subnets", public)


ASSOCIATED = "api-origin-web-acl"


@variant(ASSOCIATED, "web ACL association removed", "removed", BOTH, topology=APPRUNNER)
def _association_removed(m: Mutant) -> str:
    m.remove(m.get(ACL_ASSOCIATION))
    return m.get(SERVICE).name


@variant(ASSOCIATED, "association points at another resource", "sibling", topology=APPRUNNER)
def _association_elsewhere(m: Mutant) -> str:
    m.set(m.get(ACL_ASSOCIATION), "resourceArn", "arn:aws:apprunner:us-west-2:111122223333:service/other/1")
    return m.get(SERVICE).name


@variant(ASSOCIATED, "associated web ACL lets everything through with no managed rules", "value", topology=APPRUNNER)
def _association_empty_acl(m: Mutant) -> str:
    m.edit(m.get(WEB_ACL, "api-waf"), lambda p: p.update(rules=[r for r in p["rules"]
                                                               if "managedRuleGroupStatement" not in r["statement"]]))
    return m.get(SERVICE).name


@variant(ASSOCIATED, "load balancer of a VPC origin without a web ACL", "added", BOTH)
def _vpc_origin_unprotected(m: Mutant) -> str:
    return _vpc_origin_balancer(m).name


def _vpc_origin_balancer(m: Mutant) -> Any:
    """An internal load balancer CloudFront reaches through a VPC origin, with no web ACL of its own."""
    subnets = [s for s in m.all(SUBNET) if "-private-" in s.name]
    balancer = m.add(LOAD_BALANCER, f"{m.prefix}mutant-alb", {"internal": True, "loadBalancerType": "application",
                                                               "subnets": [s.id for s in subnets]}, like=subnets[0],
                     outputs={"arn": f"arn:aws:elasticloadbalancing:us-west-2:111122223333:loadbalancer/app/{m.stack}/9"})
    m.add(VPC_ORIGIN, f"{m.prefix}mutant-vpc-origin", {"vpcOriginEndpointConfig": {"arn": balancer.outputs["arn"]}},
          like=balancer)
    return balancer


ORIGIN_VERIFY = "api-origin-verify-header"


@variant(ORIGIN_VERIFY, "load balancer of a VPC origin without the header check", "added")
def _vpc_origin_no_gate(m: Mutant) -> str:
    return _vpc_origin_balancer(m).name


def _origin_check(change: Any) -> Any:
    def edit(props: dict[str, Any]) -> None:
        change(next(r for r in props["rules"] if "notStatement" in r["statement"]), props)

    return edit


@variant(ORIGIN_VERIFY, "web ACL checks a different secret than CloudFront sends", "value", BOTH, topology=APPRUNNER)
def _verify_other_secret(m: Mutant) -> str:
    m.edit(m.get(WEB_ACL, "api-waf"), _origin_check(lambda r, _: r["statement"]["notStatement"]["statement"][
        "byteMatchStatement"].update(searchString="not-the-secret")))
    return m.get(SERVICE).name


@variant(ORIGIN_VERIFY, "header check only counts", "value", topology=APPRUNNER)
def _verify_count(m: Mutant) -> str:
    m.edit(m.get(WEB_ACL, "api-waf"), _origin_check(lambda r, _: r.update(action={"count": {}})))
    return m.get(SERVICE).name


@variant(ORIGIN_VERIFY, "header check runs after the other rules", "partial", topology=APPRUNNER)
def _verify_late(m: Mutant) -> str:
    m.edit(m.get(WEB_ACL, "api-waf"), _origin_check(lambda r, _: r.update(priority=99)))
    return m.get(SERVICE).name


@variant(ORIGIN_VERIFY, "CloudFront no longer sends the header", "removed", topology=APPRUNNER)
def _verify_no_header(m: Mutant) -> str:
    def edit(props: dict[str, Any]) -> None:
        for origin in items(props, "origins"):
            origin.pop("customHeaders", None)

    m.edit(m.get(DISTRIBUTION), edit)
    return m.get(SERVICE).name


@variant(ORIGIN_VERIFY, "header check removed", "removed", topology=APPRUNNER)
def _verify_removed(m: Mutant) -> str:
    m.edit(m.get(WEB_ACL, "api-waf"), lambda p: p.update(
        rules=[r for r in p["rules"] if "notStatement" not in r["statement"]]))
    return m.get(SERVICE).name




@variant("alb-hardening", "invalid header fields passed through", "value", BOTH)
def _alb_headers(m: Mutant) -> str:
    return m.set(m.get(LOAD_BALANCER, "api-alb"), "dropInvalidHeaderFields", False)


@variant("alb-hardening", "desync mitigation monitor-only", "value")
def _alb_desync(m: Mutant) -> str:
    return m.set(m.get(LOAD_BALANCER, "api-alb"), "desyncMitigationMode", "monitor")


@variant("alb-hardening", "access logs disabled", "partial")
def _alb_logs(m: Mutant) -> str:
    return m.set(m.get(LOAD_BALANCER, "api-alb"), "accessLogs.enabled", False)


@variant("alb-deletion-protection", "deletion protection off", "value")
def _alb_deletion(m: Mutant) -> str:
    return m.set(m.get(LOAD_BALANCER, "api-alb"), "enableDeletionProtection", False)


@variant("alb-http-redirect", "HTTP listener forwards (the excepted finding on another listener)", "added", BOTH)
def _alb_http(m: Mutant) -> str:
    listener = m.get(LISTENER, "api-listener")
    return m.add(LISTENER, f"{m.prefix}api-listener-plain", {**listener.inputs, "protocol": "HTTP", "port": 8080},
                 like=listener).name


@variant("alb-http-redirect", "redirect to plain HTTP", "value")
def _alb_redirect_http(m: Mutant) -> str:
    listener = m.get(LISTENER, "api-listener")
    return m.add(LISTENER, f"{m.prefix}api-listener-redirect", {
        "protocol": "HTTP", "port": 8081,
        "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTP", "port": "80", "statusCode": "HTTP_301"}}]},
        like=listener).name


@variant("alb-waf-associated", "web ACL association of the load balancer removed", "removed", BOTH)
def _alb_waf(m: Mutant) -> str:
    m.remove(m.get(ACL_ASSOCIATION, "api-waf-alb"))
    return m.get(LOAD_BALANCER, "api-alb").name


@variant("ecs-cluster-container-insights", "Container Insights disabled", "value", BOTH)
def _insights(m: Mutant) -> str:
    return m.set(m.get(ECS_CLUSTER, "api-cluster"), "settings", [{"name": "containerInsights", "value": "disabled"}])


@variant("ecs-service-private-and-current", "tasks get a public IP", "value", BOTH)
def _public_ip(m: Mutant) -> str:
    return m.set(m.get(ECS_SERVICE), "networkConfiguration.assignPublicIp", True)


@variant("ecs-service-private-and-current", "platform version pinned", "value")
def _platform_pinned(m: Mutant) -> str:
    return m.edit(m.get(ECS_SERVICE), lambda p: p.update(launchType="FARGATE", platformVersion="1.3.0"))


def _containers(change: Any) -> Any:
    def edit(props: dict[str, Any]) -> None:
        raw = props["containerDefinitions"]
        containers = json.loads(raw) if isinstance(raw, str) else raw
        change(containers[0])
        props["containerDefinitions"] = json.dumps(containers) if isinstance(raw, str) else containers

    return edit


@variant("ecs-task-definition-hardening", "privileged container", "value", BOTH)
def _privileged(m: Mutant) -> str:
    return m.edit(m.get(TASK_DEFINITION, "api-task"), _containers(lambda c: c.update(privileged=True)))


@variant("ecs-task-definition-hardening", "writable root filesystem", "value")
def _writable(m: Mutant) -> str:
    return m.edit(m.get(TASK_DEFINITION, "api-task"), _containers(lambda c: c.pop("readonlyRootFilesystem", None)))


@variant("ecs-task-definition-hardening", "AWS credentials in plain environment", "added")
def _credentials(m: Mutant) -> str:
    return m.edit(m.get(TASK_DEFINITION, "api-task"), _containers(lambda c: c.setdefault("environment", []).append(
        {"name": "AWS_SECRET_ACCESS_KEY", "value": "x"})))


@variant("ecs-task-definition-hardening", "no log configuration", "removed")
def _no_logs(m: Mutant) -> str:
    return m.edit(m.get(TASK_DEFINITION, "api-task"), _containers(lambda c: c.pop("logConfiguration", None)))
