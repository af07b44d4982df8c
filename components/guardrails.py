"""Guardrails: the permissions boundary that caps every IAM role the program creates.

One customer-managed policy per stack, `<project>-<stack>-permissions-boundary` (a fixed name, so that the CI deploy
role can require it by ARN before the policy exists in a new account). `components.common.service_role` sets it on
every role, so whatever a role's own policies say, it can never:

- create or change a role without a project boundary, remove a boundary, or rewrite a managed policy (no policy
  versions, no writes to a boundary): the self-replicating-boundary pattern of
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html (delegating permission
  management);
- create IAM users, access keys, console passwords or identity providers;
- change the organization;
- stop or delete the audit trail, the Config recorder and delivery channel, GuardDuty or Security Hub, or delete,
  disable or stop rotating a KMS key.

A boundary grants nothing by itself: its first statement (`Allow *`) only marks everything else as within the cap,
and a role's effective permissions are the intersection with its own policies. The policy pack's admin and wildcard
rules therefore have a documented exception for this one policy (policy/exceptions.yaml).

The deploy role cannot create or change any boundary (components/ci.py): a new stack's first `pulumi up`, and any
change to this document, is an administrator's (docs/ci.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .common import StackContext, Statement, child, policy_json

COMPONENT = "guardrails"
BOUNDARY_SUFFIX = "permissions-boundary"

# Role writes that must name a project boundary (each of them supports the iam:PermissionsBoundary condition key).
BOUNDED_ROLE_WRITES = (
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
)
BOUNDARY_REMOVAL = ("iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary")
# A managed policy never changes under a running principal: no new versions, no switching the default.
POLICY_REWRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
BOUNDARY_WRITES = ("iam:CreatePolicy", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy")
# People use IAM Identity Center and CI uses OIDC: no role may mint users, keys or trust new identity providers.
IDENTITY_CREATION = (
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:PutGroupPolicy",
    "iam:CreateOpenIDConnectProvider",
    "iam:CreateSAMLProvider",
    "iam:UpdateSAMLProvider",
    "iam:CreateServiceSpecificCredential",
)
ORGANIZATION_CHANGES = tuple(
    f"organizations:{verb}*"
    for verb in (
        "Accept", "Attach", "Cancel", "Close", "Create", "Decline", "Delete", "Deregister", "Detach", "Disable",
        "Enable", "Invite", "Leave", "Move", "Put", "Register", "Remove", "Tag", "Untag", "Update",
    )
)
# Stopping or deleting what records and watches the account, and destroying keys (data encrypted under a deleted or
# disabled key is lost). Updates the program makes on a normal change (UpdateTrail, PutEventSelectors,
# PutConfigurationRecorder, UpdateDetector, ...) stay possible; the remediation role needs UpdateTrail.
AUDIT_TAMPERING = (
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:DeleteEventDataStore",
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "config:DeleteRetentionConfiguration",
    "guardduty:DeleteDetector",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateFromMasterAccount",
    "securityhub:DisableSecurityHub",
    "securityhub:BatchDisableStandards",
    "securityhub:DisassociateFromAdministratorAccount",
    "securityhub:DisassociateFromMasterAccount",
    "access-analyzer:DeleteAnalyzer",
)
KEY_DESTRUCTION = ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:DeleteImportedKeyMaterial")


def boundary_name(project: str, stack: str) -> str:
    return f"{project}-{stack}-{BOUNDARY_SUFFIX}"


def boundary_arn_pattern(ctx: StackContext) -> pulumi.Output[str]:
    """Every stack's boundary in this account (`<project>-*-permissions-boundary`): the prod stack's deploy role
    deploys dev too, and no principal under a boundary can create or change a policy of that name."""
    return pulumi.Output.concat(f"arn:{ctx.partition}:iam::", ctx.account_id, f":policy/{boundary_name(ctx.project, '*')}")


def boundary_statements(ctx: StackContext) -> list[Statement]:
    boundaries = boundary_arn_pattern(ctx)
    return [
        # a boundary only caps: everything not denied below stays as the role's own policies grant it
        {"Sid": "WithinBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "RolesOnlyWithProjectBoundary",
            "Effect": "Deny",
            "Action": list(BOUNDED_ROLE_WRITES),
            "Resource": "*",
            "Condition": {"ArnNotLike": {"iam:PermissionsBoundary": boundaries}},
        },
        {"Sid": "NoBoundaryRemoval", "Effect": "Deny", "Action": list(BOUNDARY_REMOVAL), "Resource": "*"},
        {"Sid": "NoPolicyRewrites", "Effect": "Deny", "Action": list(POLICY_REWRITES), "Resource": "*"},
        {"Sid": "NoBoundaryWrites", "Effect": "Deny", "Action": list(BOUNDARY_WRITES), "Resource": boundaries},
        {"Sid": "NoNewIdentities", "Effect": "Deny", "Action": list(IDENTITY_CREATION), "Resource": "*"},
        {"Sid": "NoOrganizationChanges", "Effect": "Deny", "Action": list(ORGANIZATION_CHANGES), "Resource": "*"},
        {"Sid": "NoAuditTampering", "Effect": "Deny", "Action": list(AUDIT_TAMPERING), "Resource": "*"},
        {"Sid": "NoKeyDestruction", "Effect": "Deny", "Action": list(KEY_DESTRUCTION), "Resource": "*"},
    ]


@dataclass(frozen=True)
class GuardrailsArgs:
    ctx: StackContext


class Guardrails(pulumi.ComponentResource):
    """The stack's permissions boundary; `__main__` puts its ARN into the StackContext every component receives."""

    boundary_arn: pulumi.Output[str]

    def __init__(self, name: str, args: GuardrailsArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Guardrails", name, None, opts)
        ctx = args.ctx
        boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=boundary_name(ctx.project, ctx.stack),
            description="Permissions boundary of every role of this stack: no IAM escalation, no audit tampering",
            policy=policy_json(boundary_statements(ctx)),
            tags=ctx.tags(COMPONENT),
            # every role of the stack names it; deleting it would leave them unusable until it is recreated
            opts=child(self, protect=ctx.protect),
        )
        self.boundary_arn = boundary.arn
        self.register_outputs({"boundaryArn": boundary.arn})
