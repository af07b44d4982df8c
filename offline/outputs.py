"""Realistic computed outputs for the mocks: what AWS would fill in after a create.

Every resource gets an id shaped like the real one (vpc-0a1b…, subnet-…, a bucket name, a key UUID) and an ARN
in the fake account; some types get the attributes other components read (endpoints, URLs, domain names).
In preview mode nothing computed is returned, so those values stay unknown, as in `pulumi preview`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

ACCOUNT_ID = "111122223333"
EDGE_REGION = "us-east-1"


def _hex(name: str, n: int = 17) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:n]


def _uuid(name: str) -> str:
    h = _hex(name, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def physical_name(name: str, max_len: int = 63) -> str:
    """Pulumi auto-naming: the logical name plus a 7-character random suffix."""
    return f"{name[: max_len - 8]}-{_hex(name, 7)}"


# id prefixes AWS uses for EC2-family resources
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
}


def _region(inputs: dict[str, Any], default: str) -> str:
    return inputs.get("region") or default


def _service(typ: str) -> str:
    return typ.split(":")[1].split("/")[0]


def _kind(typ: str) -> str:
    kind = typ.rsplit(":", 1)[-1]
    return kind[0].lower() + kind[1:]


# type token -> (name, inputs, region, id) -> extra outputs
Extra = Callable[[str, dict[str, Any], str, str], dict[str, Any]]

_EXTRAS: dict[str, Extra] = {
    "aws:kms/key:Key": lambda n, i, r, id_: {
        "keyId": id_,
        "arn": f"arn:aws:kms:{r}:{ACCOUNT_ID}:key/{id_}",
    },
    "aws:kms/alias:Alias": lambda n, i, r, id_: {"arn": f"arn:aws:kms:{r}:{ACCOUNT_ID}:{i.get('name')}"},
    "aws:s3/bucket:Bucket": lambda n, i, r, id_: {
        "bucket": id_,
        "arn": f"arn:aws:s3:::{id_}",
        "bucketDomainName": f"{id_}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{id_}.s3.{r}.amazonaws.com",
        "region": r,
    },
    "aws:sns/topic:Topic": lambda n, i, r, id_: {
        "arn": f"arn:aws:sns:{r}:{ACCOUNT_ID}:{i.get('name') or physical_name(n, 256)}",
        "name": i.get("name") or physical_name(n, 256),
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 512),
        "arn": f"arn:aws:logs:{r}:{ACCOUNT_ID}:log-group:{i.get('name') or physical_name(n, 512)}",
    },
    "aws:iam/role:Role": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 64),
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{i.get('path', '/').strip('/') + '/' if i.get('path', '/') != '/' else ''}"
        f"{i.get('name') or physical_name(n, 64)}",
        "uniqueId": f"AROA{_hex(n, 17).upper()}",
    },
    "aws:iam/policy:Policy": lambda n, i, r, id_: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{i.get('name') or physical_name(n, 128)}",
        "name": i.get("name") or physical_name(n, 128),
    },
    "aws:ec2/eip:Eip": lambda n, i, r, id_: {
        "publicIp": f"198.51.100.{int(_hex(n, 2), 16) % 250 + 1}",
        "allocationId": id_,
    },
    "aws:ec2/vpc:Vpc": lambda n, i, r, id_: {
        "arn": f"arn:aws:ec2:{r}:{ACCOUNT_ID}:vpc/{id_}",
        "defaultSecurityGroupId": f"sg-{_hex(n + 'default')}",
        "mainRouteTableId": f"rtb-{_hex(n + 'main')}",
        "defaultNetworkAclId": f"acl-{_hex(n + 'acl')}",
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda n, i, r, id_: {
        "name": i.get("name") or id_,
        "arn": f"arn:aws:cloudwatch:{r}:{ACCOUNT_ID}:alarm:{i.get('name') or id_}",
    },
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": lambda n, i, r, id_: {
        "alarmName": i.get("alarmName") or id_,
        "arn": f"arn:aws:cloudwatch:{r}:{ACCOUNT_ID}:alarm:{i.get('alarmName') or id_}",
    },
    "aws:cloudwatch/dashboard:Dashboard": lambda n, i, r, id_: {
        "dashboardArn": f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{i.get('dashboardName')}",
    },
    "aws:rum/appMonitor:AppMonitor": lambda n, i, r, id_: {
        "appMonitorId": _uuid(n),
        "arn": f"arn:aws:rum:{r}:{ACCOUNT_ID}:appmonitor/{i.get('name') or id_}",
    },
    "aws:xray/group:Group": lambda n, i, r, id_: {
        "arn": f"arn:aws:xray:{r}:{ACCOUNT_ID}:group/{i.get('groupName')}/{_hex(n, 32).upper()}",
    },
    "aws:cloudfront/distribution:Distribution": lambda n, i, r, id_: {
        "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{id_}",
        "domainName": f"d{_hex(n, 13)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",  # every CloudFront distribution's alias target zone
        "status": "Deployed",
        "etag": _hex(n + "etag", 14).upper(),
    },
    "aws:cloudfront/function:Function": lambda n, i, r, id_: {
        "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:function/{id_}",
        "etag": _hex(n + "etag", 14).upper(),
        "liveStageEtag": _hex(n + "live", 14).upper(),
        "status": "UNASSOCIATED",
    },
    "aws:cloudfront/originAccessControl:OriginAccessControl": lambda n, i, r, id_: {"etag": _hex(n + "etag", 14).upper()},
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": lambda n, i, r, id_: {"etag": _hex(n + "etag", 14).upper()},
    "aws:wafv2/webAcl:WebAcl": lambda n, i, r, id_: {
        "name": i.get("name") or id_,
        "arn": f"arn:aws:wafv2:{r}:{ACCOUNT_ID}:{'global' if i.get('scope') == 'CLOUDFRONT' else 'regional'}"
        f"/webacl/{i.get('name') or id_}/{_uuid(n)}",
        "capacity": 1000,
        "lockToken": _uuid(n + "lock"),
    },
    "aws:wafv2/ipSet:IpSet": lambda n, i, r, id_: {
        "name": i.get("name") or id_,
        "arn": f"arn:aws:wafv2:{r}:{ACCOUNT_ID}:{'global' if i.get('scope') == 'CLOUDFRONT' else 'regional'}"
        f"/ipset/{i.get('name') or id_}/{_uuid(n)}",
        "lockToken": _uuid(n + "lock"),
    },
    "aws:acm/certificate:Certificate": lambda n, i, r, id_: {
        "arn": f"arn:aws:acm:{r}:{ACCOUNT_ID}:certificate/{_uuid(n)}",
        "status": "PENDING_VALIDATION",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{_hex(n + domain, 32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(n + domain + 'v', 32)}.xlfgrmvvlj.acm-validations.aws.",
            }
            for domain in [i.get("domainName"), *(i.get("subjectAlternativeNames") or [])]
            if domain
        ],
    },
    "aws:route53/record:Record": lambda n, i, r, id_: {"fqdn": str(i.get("name", "")).rstrip(".")},
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 60),
        "arn": f"arn:aws:logs:{r}:{ACCOUNT_ID}:delivery-source:{i.get('name') or physical_name(n, 60)}",
        "service": "cloudfront",
    },
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 60),
        "arn": f"arn:aws:logs:{r}:{ACCOUNT_ID}:delivery-destination:{i.get('name') or physical_name(n, 60)}",
    },
    "aws:cloudwatch/logDelivery:LogDelivery": lambda n, i, r, id_: {
        "arn": f"arn:aws:logs:{r}:{ACCOUNT_ID}:delivery:{_hex(n, 16)}",
    },
    "aws:ecr/repository:Repository": lambda n, i, r, id_: {
        "name": id_,
        "arn": f"arn:aws:ecr:{r}:{ACCOUNT_ID}:repository/{id_}",
        "registryId": ACCOUNT_ID,
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{r}.amazonaws.com/{id_}",
    },
    "aws:apprunner/service:Service": lambda n, i, r, id_: {
        "serviceId": _hex(n, 32),
        "serviceName": i.get("serviceName") or physical_name(n, 40),
        "arn": f"arn:aws:apprunner:{r}:{ACCOUNT_ID}:service/{i.get('serviceName') or physical_name(n, 40)}/{_hex(n, 32)}",
        "serviceUrl": f"{_hex(n + 'url', 10)}.{r}.awsapprunner.com",
        "status": "RUNNING",
    },
    "aws:apprunner/vpcConnector:VpcConnector": lambda n, i, r, id_: {
        "arn": f"arn:aws:apprunner:{r}:{ACCOUNT_ID}:vpcconnector/{physical_name(n, 40)}/1/{_hex(n, 32)}",
        "vpcConnectorName": i.get("vpcConnectorName") or physical_name(n, 40),
        "vpcConnectorRevision": 1,
    },
    "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion": lambda n, i, r, id_: {
        "arn": f"arn:aws:apprunner:{r}:{ACCOUNT_ID}:autoscalingconfiguration/{physical_name(n, 32)}/1/{_hex(n, 32)}",
        "autoScalingConfigurationName": i.get("autoScalingConfigurationName") or physical_name(n, 32),
        "autoScalingConfigurationRevision": 1,
    },
    "aws:apprunner/observabilityConfiguration:ObservabilityConfiguration": lambda n, i, r, id_: {
        "arn": f"arn:aws:apprunner:{r}:{ACCOUNT_ID}:observabilityconfiguration/{physical_name(n, 32)}/1/{_hex(n, 32)}",
        "observabilityConfigurationName": i.get("observabilityConfigurationName") or physical_name(n, 32),
    },
    "aws:ecs/cluster:Cluster": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 255),
        "arn": f"arn:aws:ecs:{r}:{ACCOUNT_ID}:cluster/{i.get('name') or physical_name(n, 255)}",
    },
    "aws:ecs/service:Service": lambda n, i, r, id_: {
        "name": i.get("name") or id_,
        "arn": f"arn:aws:ecs:{r}:{ACCOUNT_ID}:service/{str(i.get('cluster', 'default')).rsplit('/', 1)[-1]}/"
        f"{i.get('name') or id_}",
    },
    "aws:ecs/taskDefinition:TaskDefinition": lambda n, i, r, id_: {
        "arn": f"arn:aws:ecs:{r}:{ACCOUNT_ID}:task-definition/{i.get('family')}:1",
        "arnWithoutRevision": f"arn:aws:ecs:{r}:{ACCOUNT_ID}:task-definition/{i.get('family')}",
        "revision": 1,
    },
    "aws:lb/loadBalancer:LoadBalancer": lambda n, i, r, id_: _load_balancer(n, i, r),
    "aws:lb/targetGroup:TargetGroup": lambda n, i, r, id_: {
        "name": physical_name(n, 32),
        "arn": f"arn:aws:elasticloadbalancing:{r}:{ACCOUNT_ID}:targetgroup/{physical_name(n, 32)}/{_hex(n, 16)}",
        "arnSuffix": f"targetgroup/{physical_name(n, 32)}/{_hex(n, 16)}",
    },
    "aws:lb/listener:Listener": lambda n, i, r, id_: {
        "arn": f"{i.get('loadBalancerArn', '')}".replace(":loadbalancer/", ":listener/") + f"/{_hex(n, 16)}",
    },
    "aws:cloudfront/vpcOrigin:VpcOrigin": lambda n, i, r, id_: {
        "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:vpcorigin/{id_}",
        "etag": _hex(n + "etag", 14).upper(),
    },
    "aws:appautoscaling/target:Target": lambda n, i, r, id_: {
        "arn": f"arn:aws:application-autoscaling:{r}:{ACCOUNT_ID}:scalable-target/{_hex(n, 32)}",
    },
    "aws:appautoscaling/policy:Policy": lambda n, i, r, id_: {
        "arn": f"arn:aws:autoscaling:{r}:{ACCOUNT_ID}:scalingPolicy:{_uuid(n)}:resource/{i.get('resourceId')}:"
        f"policyName/{i.get('name') or id_}",
        "alarmArns": [],
    },
    "random:index/randomPassword:RandomPassword": lambda n, i, r, id_: {
        "result": _hex(n + "secret", 48),
        "bcryptHash": "$2a$10$" + _hex(n + "bcrypt", 53),
    },
    "aws:rds/cluster:Cluster": lambda n, i, r, id_: _rds_cluster(n, i, r, id_),
    "aws:rds/clusterInstance:ClusterInstance": lambda n, i, r, id_: {
        "identifier": id_,
        "arn": f"arn:aws:rds:{r}:{ACCOUNT_ID}:db:{id_}",
        "endpoint": f"{id_}.c{_hex('rds' + r, 12)}.{r}.rds.amazonaws.com",
        "port": 5432,
        "dbiResourceId": f"db-{_hex(n, 26).upper()}",
        "engineVersionActual": i.get("engineVersion") or "17.7",
        "writer": n.endswith("-writer"),
        "kmsKeyId": i.get("performanceInsightsKmsKeyId"),
    },
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": lambda n, i, r, id_: {
        "name": id_,
        "arn": f"arn:aws:rds:{r}:{ACCOUNT_ID}:cluster-pg:{id_}",
    },
    "aws:rds/eventSubscription:EventSubscription": lambda n, i, r, id_: {
        "name": id_,
        "arn": f"arn:aws:rds:{r}:{ACCOUNT_ID}:es:{id_}",
        "customerAwsId": ACCOUNT_ID,
    },
    "aws:backup/vault:Vault": lambda n, i, r, id_: {
        "name": id_,
        "arn": f"arn:aws:backup:{r}:{ACCOUNT_ID}:backup-vault:{id_}",
        "recoveryPoints": 0,
    },
    "aws:backup/plan:Plan": lambda n, i, r, id_: {
        "arn": f"arn:aws:backup:{r}:{ACCOUNT_ID}:backup-plan:{id_}",
        "version": _hex(n + "version", 32),
    },
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": lambda n, i, r, id_: {
        "backupVaultArn": f"arn:aws:backup:{r}:{ACCOUNT_ID}:backup-vault:{i.get('backupVaultName')}",
    },
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": lambda n, i, r, id_: {
        "name": i.get("name") or id_,
        "arn": f"arn:aws:backup:{r}:{ACCOUNT_ID}:restore-testing-plan:{i.get('name') or id_}-{_uuid(n)}",
        "scheduleExpressionTimezone": i.get("scheduleExpressionTimezone") or "Etc/UTC",
        "startWindowHours": i.get("startWindowHours") or 24,
    },
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": lambda n, i, r, id_: {
        "validationWindowHours": i.get("validationWindowHours") or 0,
    },
    "aws:lambda/function:Function": lambda n, i, r, id_: {
        "name": id_,
        "arn": f"arn:aws:lambda:{r}:{ACCOUNT_ID}:function:{id_}",
        "invokeArn": f"arn:aws:apigateway:{r}:lambda:path/2015-03-31/functions/arn:aws:lambda:{r}:{ACCOUNT_ID}:"
        f"function:{id_}/invocations",
        "qualifiedArn": f"arn:aws:lambda:{r}:{ACCOUNT_ID}:function:{id_}:$LATEST",
        "version": "$LATEST",
        "sourceCodeHash": _hex(n + "code", 44),
        "lastModified": "2026-12-01T00:00:00.000+0000",
    },
    "aws:lambda/permission:Permission": lambda n, i, r, id_: {
        "statementId": i.get("statementId") or physical_name(n, 100),
    },
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": lambda n, i, r, id_: {
        "name": f"AWSServiceRoleFor{i.get('awsServiceName', 'service').split('.')[0].capitalize()}",
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{i.get('awsServiceName')}/"
        f"AWSServiceRoleFor{i.get('awsServiceName', 'service').split('.')[0].capitalize()}",
    },
    "aws:cfg/rule:Rule": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 128),
        "arn": f"arn:aws:config:{r}:{ACCOUNT_ID}:config-rule/config-rule-{_hex(n, 6)}",
    },
    "aws:cloudtrail/trail:Trail": lambda n, i, r, id_: {
        "arn": f"arn:aws:cloudtrail:{r}:{ACCOUNT_ID}:trail/{i.get('name') or id_}",
        "homeRegion": r,
    },
    "aws:cloudwatch/eventRule:EventRule": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 64),
        "arn": f"arn:aws:events:{r}:{ACCOUNT_ID}:rule/{i.get('name') or physical_name(n, 64)}",
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda n, i, r, id_: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{str(i.get('url', '')).removeprefix('https://')}",
    },
    "aws:rds/subnetGroup:SubnetGroup": lambda n, i, r, id_: {
        "name": id_,
        "arn": f"arn:aws:rds:{r}:{ACCOUNT_ID}:subgrp:{id_}",
    },
    # unified Security Hub, findings routes, the compliance report and the conformance pack
    "aws:securityhub/accountV2:AccountV2": lambda n, i, r, id_: {
        "arn": f"arn:aws:securityhub:{r}:{ACCOUNT_ID}:hubv2/{_uuid(n)}",
    },
    "aws:securityhub/aggregatorV2:AggregatorV2": lambda n, i, r, id_: {
        "arn": f"arn:aws:securityhub:{r}:{ACCOUNT_ID}:aggregatorv2/{_uuid(n)}",
        "aggregationRegion": r,
    },
    "aws:securityhub/connectorV2:ConnectorV2": lambda n, i, r, id_: _connector_v2(n, i, r),
    "aws:securityhub/automationRuleV2:AutomationRuleV2": lambda n, i, r, id_: {
        "arn": f"arn:aws:securityhub:{r}:{ACCOUNT_ID}:automation-rulev2/{_uuid(n)}",
        "ruleId": _uuid(n),
    },
    "aws:cloudwatch/eventConnection:EventConnection": lambda n, i, r, id_: {
        "arn": f"arn:aws:events:{r}:{ACCOUNT_ID}:connection/{id_}/{_uuid(n)}",
        # the secret EventBridge creates for the connection's credential
        "secretArn": f"arn:aws:secretsmanager:{r}:{ACCOUNT_ID}:secret:events!connection/{id_}/{_uuid(n)}-{_hex(n, 6)}",
    },
    "aws:cloudwatch/eventApiDestination:EventApiDestination": lambda n, i, r, id_: {
        "arn": f"arn:aws:events:{r}:{ACCOUNT_ID}:api-destination/{id_}/{_uuid(n)}",
    },
    "aws:sqs/queue:Queue": lambda n, i, r, id_: {
        "name": i.get("name") or physical_name(n, 80),
        "arn": f"arn:aws:sqs:{r}:{ACCOUNT_ID}:{i.get('name') or physical_name(n, 80)}",
        "url": f"https://sqs.{r}.amazonaws.com/{ACCOUNT_ID}/{i.get('name') or physical_name(n, 80)}",
    },
    "aws:scheduler/schedule:Schedule": lambda n, i, r, id_: {
        "arn": f"arn:aws:scheduler:{r}:{ACCOUNT_ID}:schedule/{i.get('groupName') or 'default'}/{id_}",
    },
    "aws:cfg/conformancePack:ConformancePack": lambda n, i, r, id_: {
        "arn": f"arn:aws:config:{r}:{ACCOUNT_ID}:conformance-pack/{id_}/conformance-pack-{_hex(n, 8)}",
    },
    "aws:secretsmanager/secret:Secret": lambda n, i, r, id_: {
        "arn": f"arn:aws:secretsmanager:{r}:{ACCOUNT_ID}:secret:{id_}-{_hex(n, 6)}",
    },
}


def _connector_v2(n: str, i: dict[str, Any], r: str) -> dict[str, Any]:
    provider = dict(i.get("connectorProvider") or {})
    if "jiraCloud" in provider:
        # Jira Cloud starts in PENDING_AUTHORIZATION with an Atlassian OAuth link
        provider["jiraCloud"] = {**provider["jiraCloud"], "authStatus": "PENDING_AUTHORIZATION",
                                 "authUrl": f"https://auth.atlassian.com/authorize?client_id={_hex(n, 24)}&state={_uuid(n)}"}
    return {
        "arn": f"arn:aws:securityhub:{r}:{ACCOUNT_ID}:connectorv2/{_uuid(n)}",
        "connectorId": _uuid(n),
        "connectorProvider": provider,
    }


# Route 53 alias zone of Application Load Balancers per region (Elastic Load Balancing endpoints and quotas)
_ALB_ZONES = {"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
              "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2", "eu-central-1": "Z215JYRZR1TBD5"}


def _load_balancer(n: str, i: dict[str, Any], r: str) -> dict[str, Any]:
    name = physical_name(n, 32)
    scheme = "internal-" if i.get("internal") else ""
    return {
        "name": name,
        "arn": f"arn:aws:elasticloadbalancing:{r}:{ACCOUNT_ID}:loadbalancer/app/{name}/{_hex(n, 16)}",
        "arnSuffix": f"app/{name}/{_hex(n, 16)}",
        "dnsName": f"{scheme}{name}-{int(_hex(n, 8), 16) % 10**10}.{r}.elb.amazonaws.com",
        "zoneId": _ALB_ZONES.get(r, "Z1H1FL5HABSF5"),
        "vpcId": f"vpc-{_hex(n + 'vpc')}",
    }


def _rds_cluster(n: str, i: dict[str, Any], r: str, id_: str) -> dict[str, Any]:
    identifier = i.get("clusterIdentifier") or id_
    host = f"c{_hex('rds' + r, 12)}.{r}.rds.amazonaws.com"
    secret = f"rds!cluster-{_uuid(n + 'secret')}"
    return {
        "clusterIdentifier": identifier,
        "arn": f"arn:aws:rds:{r}:{ACCOUNT_ID}:cluster:{identifier}",
        "endpoint": f"{identifier}.cluster-{host}",
        "readerEndpoint": f"{identifier}.cluster-ro-{host}",
        "port": i.get("port") or 5432,
        "clusterResourceId": f"cluster-{_hex(n, 26).upper()}",
        "hostedZoneId": "Z1PVIF0B656C1W",
        "engineVersionActual": i.get("engineVersion"),
        "masterUserSecrets": [
            {
                "secretArn": f"arn:aws:secretsmanager:{r}:{ACCOUNT_ID}:secret:{secret}-{_hex(n, 6)}",
                "kmsKeyId": i.get("masterUserSecretKmsKeyId"),
                "secretStatus": "active",
            }
        ],
    }


def computed_outputs(typ: str, name: str, inputs: dict[str, Any], default_region: str) -> tuple[str, dict[str, Any]]:
    """(id, outputs beyond the inputs) for a newly created resource."""
    region = _region(inputs, default_region)
    if typ.startswith("pulumi:providers:"):
        return _uuid(name), {}
    if typ in _ID_PREFIX:
        id_ = _ID_PREFIX[typ] + _hex(name)
    elif typ in ("aws:kms/key:Key",):
        id_ = _uuid(name)
    elif typ == "aws:s3/bucket:Bucket":
        id_ = str(inputs.get("bucket") or physical_name(name).lower())
    elif typ == "aws:cognito/identityPool:IdentityPool":
        id_ = f"{region}:{_uuid(name)}"
    elif typ == "aws:cloudfront/vpcOrigin:VpcOrigin":
        id_ = f"vo_{_hex(name, 22)}"
    elif typ in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
                 "aws:ecs/taskDefinition:TaskDefinition"):
        id_ = ""  # the provider's id is the ARN
    elif typ == "aws:rds/subnetGroup:SubnetGroup":
        id_ = str(inputs.get("name") or physical_name(name, 255).lower())
    elif typ == "aws:rds/cluster:Cluster":
        id_ = str(inputs.get("clusterIdentifier") or physical_name(name).lower())
    elif typ == "aws:rds/clusterInstance:ClusterInstance":
        id_ = str(inputs.get("identifier") or physical_name(name).lower())
    elif typ == "aws:lambda/function:Function":
        id_ = str(inputs.get("name") or physical_name(name, 64))
    elif typ in ("aws:rds/clusterParameterGroup:ClusterParameterGroup", "aws:rds/eventSubscription:EventSubscription"):
        id_ = str(inputs.get("name") or physical_name(name, 255).lower())
    else:
        given = inputs.get("name")
        id_ = given if isinstance(given, str) else physical_name(name, 128)
    extra = {"arn": f"arn:aws:{_service(typ)}:{region}:{ACCOUNT_ID}:{_kind(typ)}/{id_}"}
    maker = _EXTRAS.get(typ)
    if maker is not None:
        extra.update(maker(name, inputs, region, id_))
    if not id_:
        id_ = extra["arn"]
    return id_, extra


CALLS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a, r: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
        "userId": "AIDAOFFLINE",
        "id": ACCOUNT_ID,
    },
    "aws:index/getPartition:getPartition": lambda a, r: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    },
    "aws:index/getRegion:getRegion": lambda a, r: {
        "name": a.get("region") or r,
        "region": a.get("region") or r,
        "id": a.get("region") or r,
        "endpoint": f"ec2.{a.get('region') or r}.amazonaws.com",
        "description": a.get("region") or r,
    },
    "aws:iam/getPolicyDocument:getPolicyDocument": lambda a, r: {
        "json": json.dumps({"Version": "2012-10-17", "Statement": a.get("statements", [])}),
        "id": "policy",
    },
}
