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
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda n, i, r, id_: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{str(i.get('url', '')).removeprefix('https://')}",
    },
    "aws:rds/subnetGroup:SubnetGroup": lambda n, i, r, id_: {
        "name": id_,
        "arn": f"arn:aws:rds:{r}:{ACCOUNT_ID}:subgrp:{id_}",
    },
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
    elif typ == "aws:rds/subnetGroup:SubnetGroup":
        id_ = str(inputs.get("name") or physical_name(name, 255).lower())
    else:
        given = inputs.get("name")
        id_ = given if isinstance(given, str) else physical_name(name, 128)
    extra = {"arn": f"arn:aws:{_service(typ)}:{region}:{ACCOUNT_ID}:{_kind(typ)}/{id_}"}
    maker = _EXTRAS.get(typ)
    if maker is not None:
        extra.update(maker(name, inputs, region, id_))
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
