"""Registry: one private ECR repository per configured name, for the service images.

Each repository is KMS-encrypted with the data key, scans on push, keeps tags immutable (a configured moving tag
such as `latest` is the only, exact-match exclusion) and carries a lifecycle policy. Repository names are fixed
(`<project>-<stack>/<name>`) rather than auto-named: CI pushes to them and people read them, and the stack prefix
keeps dev and prod apart in one account.

The repository policy that lets the API's roles pull is created by the Api component, as its child: the roles
exist only there, and a policy here would need the Api's roles while the Api needs this repository's URL (a cycle).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .common import StackContext, child
from .encryption import KeyRef
from .settings import RegistrySettings

COMPONENT = "registry"
API_REPOSITORY = "api"

# ECR has no "retain" action: a higher-priority rule that selects protected images and expires only beyond this
# count (more than a repository can hold) claims them, and a lower-priority rule never sees an image a higher one
# selected.
NEVER_EXPIRE_COUNT = 100_000


@dataclass(frozen=True)
class RepositoryRef:
    """A typed view of one repository for other components."""

    name: pulumi.Output[str]
    url: pulumi.Output[str]  # <account>.dkr.ecr.<region>.amazonaws.com/<name>
    arn: pulumi.Output[str]


@dataclass(frozen=True)
class RegistryArgs:
    ctx: StackContext
    settings: RegistrySettings
    data_key: KeyRef
    account_baseline: bool  # this stack owns registry-level (account/region singleton) settings


def lifecycle_rules(cfg: RegistrySettings) -> list[dict]:
    """Protected prefixes first (never expire), then keep-last-N per release prefix, then untagged expiry.

    ECR selects an image for a tagPrefixList rule only if it carries *all* listed prefixes, so each prefix gets
    its own rule."""
    rules: list[dict] = []
    for prefix in cfg.protected_tag_prefixes:
        rules.append({
            "description": f"never expire {prefix}* images",
            "selection": {"tagStatus": "tagged", "tagPrefixList": [prefix], "countType": "imageCountMoreThan",
                          "countNumber": NEVER_EXPIRE_COUNT},
        })
    for prefix in cfg.release_tag_prefixes:
        rules.append({
            "description": f"keep the last {cfg.keep_release_images} {prefix}* release images",
            "selection": {"tagStatus": "tagged", "tagPrefixList": [prefix], "countType": "imageCountMoreThan",
                          "countNumber": cfg.keep_release_images},
        })
    rules.append({
        "description": f"expire untagged images after {cfg.untagged_expiry_days} days",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": cfg.untagged_expiry_days},
    })
    return [{"rulePriority": i, **rule, "action": {"type": "expire"}} for i, rule in enumerate(rules, start=1)]


class Registry(pulumi.ComponentResource):
    repositories: Mapping[str, RepositoryRef]
    api: RepositoryRef
    repository_urls: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: RegistryArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("vitality:platform:Registry", name, None, opts)
        ctx, cfg = args.ctx, args.settings
        policy = json.dumps({"rules": lifecycle_rules(cfg)})

        refs: dict[str, RepositoryRef] = {}
        for entry in cfg.repositories:
            key = entry.replace("/", "-")
            repo = aws.ecr.Repository(
                f"{name}-{key}",
                name=f"{ctx.name_prefix}/{entry}",
                image_tag_mutability="IMMUTABLE_WITH_EXCLUSION" if cfg.mutable_tags else "IMMUTABLE",
                image_tag_mutability_exclusion_filters=[
                    aws.ecr.RepositoryImageTagMutabilityExclusionFilterArgs(filter=tag, filter_type="WILDCARD")
                    for tag in cfg.mutable_tags
                ]
                or None,
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.data_key.arn)
                ],
                force_delete=ctx.force_destroy,
                tags=ctx.tags(COMPONENT, f"{ctx.name_prefix}/{entry}"),
                opts=child(self, protect=ctx.protect),
            )
            aws.ecr.LifecyclePolicy(f"{name}-{key}-lifecycle", repository=repo.name, policy=policy, opts=child(repo))
            refs[entry] = RepositoryRef(name=repo.name, url=repo.repository_url, arn=repo.arn)

        if args.account_baseline:
            # Inspector enhanced scanning is one setting per account and region: only the baseline stack owns it,
            # and it then covers every repository in the registry (the other stack's too).
            aws.ecr.RegistryScanningConfiguration(
                f"{name}-enhanced-scanning",
                scan_type="ENHANCED",
                rules=[
                    aws.ecr.RegistryScanningConfigurationRuleArgs(
                        scan_frequency="CONTINUOUS_SCAN",
                        repository_filters=[
                            aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(filter="*", filter_type="WILDCARD")
                        ],
                    )
                ],
                opts=child(self),
            )

        self.repositories = refs
        self.api = refs[API_REPOSITORY]
        self.repository_urls = pulumi.Output.all(**{k: r.url for k, r in refs.items()})
        self.register_outputs({"repositoryUrl": self.api.url, "repositoryUrls": self.repository_urls})
