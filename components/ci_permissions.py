"""What the CI roles may do, derived from the resource types the program registers.

`MODULE_PREFIXES` maps each pulumi-aws module (the `ec2` of `aws:ec2/vpc:Vpc`) to the IAM service prefixes that
create, update, refresh and delete its resources; `SERVICE_ACTIONS` lists, per prefix, the action patterns (a verb
with a `*` suffix, never a whole service) the deploy role gets and the read patterns the preview role gets. A test
(tests/test_ci_permissions.py) walks every resource of every stack and topology and fails on a module this table
does not know, so a new component cannot ship until the table learns its service; it also fails on an entry no
stack uses, so the roles never keep a service the program stopped managing.

`DATA_READS` are the reads that return data rather than configuration; both CI roles deny them explicitly, with the
reason for each (docs/ci.md repeats the list).
"""

from __future__ import annotations

from dataclasses import dataclass

READ = ("Describe*", "Get*", "List*")
TAGS = ("Tag*", "Untag*")
CRUD = ("Create*", "Delete*", "Update*", *TAGS)

# pulumi-aws module -> IAM service prefixes its resources are managed with
MODULE_PREFIXES: dict[str, tuple[str, ...]] = {
    "accessanalyzer": ("access-analyzer",),
    "account": ("account",),
    "acm": ("acm",),
    "appautoscaling": ("application-autoscaling",),
    "apprunner": ("apprunner",),
    "backup": ("backup", "backup-storage"),
    "budgets": ("budgets",),
    "cfg": ("config", "ssm"),  # remediation configurations name SSM Automation documents
    "cloudfront": ("cloudfront",),
    "cloudtrail": ("cloudtrail",),
    "cloudwatch": ("cloudwatch", "logs", "events"),  # alarms and dashboards, log groups and deliveries, rules
    "cognito": ("cognito-identity",),
    "ebs": ("ec2",),
    "ec2": ("ec2",),
    "ecr": ("ecr",),
    "ecs": ("ecs",),
    "guardduty": ("guardduty",),
    "iam": ("iam",),
    "kms": ("kms",),
    "lambda": ("lambda",),
    "lb": ("elasticloadbalancing",),
    # RDS creates the managed master-user secret in Secrets Manager with the caller's permissions
    "rds": ("rds", "secretsmanager"),
    # organization mode: the writes go through the management account's role (a second provider), the security
    # stack only reads the organization
    "organizations": ("organizations",),
    "route53": ("route53",),
    "rum": ("rum",),
    "s3": ("s3",),
    "scheduler": ("scheduler",),
    "securityhub": ("securityhub",),
    "sns": ("sns",),
    "vpc": ("ec2",),
    "wafv2": ("wafv2",),
    "xray": ("xray",),
}

# Prefixes whose statements ci.py writes by hand (conditions, exact resources): IAM writes only with the boundary,
# KMS key administration without decryption, the account's alternate contact only.
HAND_WRITTEN = frozenset({"iam", "kms", "account"})


@dataclass(frozen=True)
class ServiceActions:
    manage: tuple[str, ...]  # what the deploy role adds to the reads
    read: tuple[str, ...] = READ  # what a refresh needs (both roles)


SERVICE_ACTIONS: dict[str, ServiceActions] = {
    "access-analyzer": ServiceActions(CRUD, read=("Get*", "List*")),
    "acm": ServiceActions(("RequestCertificate", "DeleteCertificate", "AddTagsToCertificate", "RemoveTagsFromCertificate")),
    "application-autoscaling": ServiceActions(("RegisterScalableTarget", "DeregisterScalableTarget", "Put*", "Delete*", *TAGS)),
    "apprunner": ServiceActions((*CRUD, "Associate*", "Disassociate*", "Pause*", "Resume*", "Start*"), read=("Describe*", "List*")),
    "backup": ServiceActions((*CRUD, "Put*")),
    # CreateBackupVault mounts the vault's storage capsule
    "backup-storage": ServiceActions(("MountCapsule",), read=()),
    "budgets": ServiceActions(("ModifyBudget", "TagResource", "UntagResource"), read=("ViewBudget", "ListTagsForResource")),
    # standard logging v2 (a CloudWatch Logs delivery source) needs the service's own authorization: CloudWatch Logs,
    # "Service-specific permissions" of vended logs V2
    "cloudfront": ServiceActions((*CRUD, "Publish*", "AllowVendedLogDeliveryForResource")),
    "cloudtrail": ServiceActions(("CreateTrail", "UpdateTrail", "StartLogging", "Put*", "AddTags", "RemoveTags")),
    "cloudwatch": ServiceActions(("Put*", "Delete*", "Enable*", "Disable*", *TAGS)),
    "cognito-identity": ServiceActions((*CRUD, "SetIdentityPoolRoles")),
    "config": ServiceActions(("Put*", "Delete*", "StartConfigurationRecorder", *TAGS)),
    "ec2": ServiceActions(
        (
            "Create*", "Delete*", "Modify*", "Associate*", "Disassociate*", "Attach*", "Detach*", "Authorize*",
            "Revoke*", "Allocate*", "Release*", "Replace*", "EnableEbsEncryptionByDefault",
            "DisableEbsEncryptionByDefault", "ModifyEbsDefaultKmsKeyId",
        )
    ),
    "ecr": ServiceActions((*CRUD, "Put*", "SetRepositoryPolicy"), read=(*READ, "BatchGetRepositoryScanningConfiguration")),
    "ecs": ServiceActions((*CRUD, "Put*", "RegisterTaskDefinition", "DeregisterTaskDefinition")),
    "guardduty": ServiceActions(CRUD),
    "organizations": ServiceActions((), read=("Describe*", "List*")),
    "elasticloadbalancing": ServiceActions(
        ("Create*", "Delete*", "Modify*", "Add*", "Remove*", "Register*", "Deregister*", "Set*"), read=("Describe*",)
    ),
    "events": ServiceActions(("Put*", "Delete*", "Remove*", "Enable*", "Disable*", *TAGS), read=("Describe*", "List*")),
    # the deploy step invokes the database bootstrap (aws.lambda_.Invocation); GetFunction returns a code URL, and the
    # code is this repository's
    "lambda": ServiceActions((*CRUD, "Put*", "AddPermission", "RemovePermission", "Publish*", "InvokeFunction"), read=("Get*", "List*")),
    "logs": ServiceActions(("Create*", "Delete*", "Put*", "Update*", "AssociateKmsKey", "DisassociateKmsKey", *TAGS)),
    "rds": ServiceActions(
        ("Create*", "Delete*", "Modify*", "AddTagsToResource", "RemoveTagsFromResource", "AddRoleToDBCluster",
         "RemoveRoleFromDBCluster", "AddSourceIdentifierToSubscription", "RemoveSourceIdentifierFromSubscription",
         "EnableHttpEndpoint", "DisableHttpEndpoint"),
        read=("Describe*", "List*"),
    ),
    "route53": ServiceActions(("ChangeResourceRecordSets", "ChangeTagsForResource"), read=("Get*", "List*")),
    "rum": ServiceActions((*CRUD, "Put*"), read=("Get*", "List*")),
    "s3": ServiceActions(("CreateBucket", "DeleteBucket*", "Put*", "DeleteObject", "DeleteObjectVersion")),
    "scheduler": ServiceActions(CRUD, read=("Get*", "List*")),
    "secretsmanager": ServiceActions((*CRUD, "PutResourcePolicy", "DeleteResourcePolicy", "RotateSecret")),
    "securityhub": ServiceActions(("Enable*", "Disable*", "BatchEnableStandards", "BatchUpdate*", *CRUD), read=(*READ, "BatchGet*")),
    "sns": ServiceActions(
        ("CreateTopic", "DeleteTopic", "SetTopicAttributes", "Subscribe", "Unsubscribe", "SetSubscriptionAttributes", *TAGS),
        read=("Get*", "List*"),
    ),
    "ssm": ServiceActions((), read=("DescribeDocument", "GetDocument")),
    "wafv2": ServiceActions((*CRUD, "Put*", "Associate*", "Disassociate*")),
    "xray": ServiceActions((*CRUD, "Put*"), read=("Get*", "List*")),
}

# Reads that return data, not configuration: denied to both CI roles (explicit deny beats any allow).
DATA_READS: dict[str, str] = {
    "s3:GetObject*": "object contents and their ACLs/tags/versions (user uploads, logs, the web bundle)",
    "secretsmanager:GetSecretValue": "secret values (the database master password)",
    "secretsmanager:BatchGetSecretValue": "secret values, many at once",
    "ssm:GetParameter*": "parameter values, SecureStrings decrypted",
    "logs:GetLogEvents": "application, flow and audit log lines",
    "logs:FilterLogEvents": "log lines by pattern",
    "logs:GetLogRecord": "one log line in full",
    "logs:StartQuery": "Logs Insights queries over log lines",
    "logs:GetQueryResults": "results of those queries",
    "logs:StartLiveTail": "log lines as they arrive",
    "rds:DownloadDBLogFilePortion": "PostgreSQL logs (statements, parameters)",
    "rds:DownloadCompleteDBLogFile": "PostgreSQL logs in full",
    "rds-data:ExecuteStatement": "SQL through the Data API",
    "rds-data:BatchExecuteStatement": "SQL through the Data API",
    "rds-db:connect": "a database session",
    "ecr:GetDownloadUrlForLayer": "image layers (application code and anything baked in)",
    "ecr:BatchGetImage": "image manifests for a pull",
    "ecr:GetAuthorizationToken": "a registry login for docker pull",
    "xray:BatchGetTraces": "request traces (paths, parameters, SQL)",
    "xray:GetTraceSummaries": "request traces, summarised",
    "rum:GetAppMonitorData": "real-user sessions and page events",
    "wafv2:GetSampledRequests": "sampled client requests with headers and IPs",
    "cognito-identity:GetCredentialsForIdentity": "temporary credentials of the RUM guest role",
    "cognito-identity:GetOpenIdToken": "identity tokens for the identity pool",
    "ec2:GetPasswordData": "instance passwords",
    "ec2:GetConsoleOutput": "instance consoles",
    "ec2:GetConsoleScreenshot": "instance consoles",
    "cloudtrail:LookupEvents": "the account's activity history (who did what), for the audit trail's readers only",
}

# Service principals the program's roles are passed to (iam:PassedToService); the test checks that it is exactly
# the union of the service principals in every role's trust policy, plus Config's service-linked role.
PASSED_TO_SERVICES = (
    "backup.amazonaws.com",
    "build.apprunner.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "lambda.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "scheduler.amazonaws.com",
    "ssm.amazonaws.com",
    "tasks.apprunner.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)

# AWS managed policies the program attaches to its own roles (iam:PolicyARN); the test checks every attachment.
ATTACHABLE_MANAGED_POLICIES = (
    "AWSSupportAccess",
    "service-role/AmazonECSTaskExecutionRolePolicy",
    "service-role/AmazonECSInfrastructureRolePolicyForLoadBalancers",
    "service-role/AmazonECSInfrastructureRoleforExpressGatewayServices",
    "service-role/AmazonRDSEnhancedMonitoringRole",
    "service-role/AWSAppRunnerServicePolicyForECRAccess",
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSConfigRoleForOrganizations",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)

# Service-linked roles the services create on first use (iam:AWSServiceName).
SERVICE_LINKED_ROLES = (
    "access-analyzer.amazonaws.com",
    "apprunner.amazonaws.com",
    "backup.amazonaws.com",
    "config.amazonaws.com",
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "guardduty.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "rds.amazonaws.com",
    "rds.application-autoscaling.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
    "securityhub.amazonaws.com",
)


def module_of(resource_type: str) -> str | None:
    """`aws:ec2/vpc:Vpc` -> `ec2`; None for resources that are not AWS resources (components, providers, random)."""
    provider, _, rest = resource_type.partition(":")
    if provider != "aws" or "/" not in rest:
        return None
    return rest.split("/", 1)[0]


def _actions(kind: str) -> list[str]:
    found: set[str] = set()
    for prefix, actions in SERVICE_ACTIONS.items():
        verbs = actions.read if kind == "read" else (*actions.read, *actions.manage)
        found.update(f"{prefix}:{verb}" for verb in verbs)
    return sorted(found)


def deploy_actions() -> list[str]:
    """Everything the deploy role may do outside IAM, KMS and the account: reads plus management verbs."""
    return _actions("deploy")


# A managed policy holds at most 6,144 characters (whitespace not counted); the rest of the statement (Sid,
# effect, resource, the region condition) takes well under 1,000 of them.
MANAGED_POLICY_ACTION_BUDGET = 5000


def chunked(actions: list[str], budget: int = MANAGED_POLICY_ACTION_BUDGET) -> list[list[str]]:
    """Split an action list into pieces whose JSON stays within `budget` characters, in order."""
    chunks: list[list[str]] = [[]]
    used = 2
    for action in actions:
        size = len(action) + 3  # quotes and a comma
        if chunks[-1] and used + size > budget:
            chunks.append([])
            used = 2
        chunks[-1].append(action)
        used += size
    return chunks


def read_actions() -> list[str]:
    """Everything `pulumi preview --refresh` reads outside IAM and KMS."""
    return _actions("read")
