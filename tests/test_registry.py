"""Registry: private, KMS-encrypted, immutable, scanned repositories with a lifecycle that protects what matters."""

from __future__ import annotations

import json

from offline import UNKNOWN
from tests.conftest import capture_for

REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"


def test_one_repository_per_entry_named_by_stack(capture) -> None:
    repos = capture.of_type(REPO)
    assert [r.inputs["name"] for r in repos] == [f"vitality-{capture.stack}/api"]
    extra = capture_for("dev", overrides={"vitality:registry.repositories": ["api", "worker"]})
    assert sorted(r.inputs["name"] for r in extra.of_type(REPO)) == ["vitality-dev/api", "vitality-dev/worker"]
    assert len(extra.of_type(LIFECYCLE)) == 2


def test_repository_is_kms_encrypted_with_the_data_key_and_scans_on_push(capture) -> None:
    data_key = capture.named(f"vitality-{capture.stack}-kms-data", "aws:kms/key:Key")
    for repo in capture.of_type(REPO):
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": data_key.outputs["arn"]}]
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["tags"]["Component"] == "registry"


def test_tags_are_immutable_unless_a_moving_tag_is_configured(capture) -> None:
    repo = capture.one(REPO)
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert not repo.inputs.get("imageTagMutabilityExclusionFilters")
    moving = capture_for("dev", overrides={"vitality:registry.mutableTags": ["latest"]}).one(REPO)
    assert moving.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert moving.inputs["imageTagMutabilityExclusionFilters"] == [{"filter": "latest", "filterType": "WILDCARD"}]


def test_prod_protects_and_only_dev_force_deletes(dev, prod) -> None:
    assert dev.one(REPO).inputs["forceDelete"] is True and not dev.one(REPO).protect
    assert prod.one(REPO).inputs.get("forceDelete") is not True and prod.one(REPO).protect


def test_lifecycle_protects_prefix_first_keeps_releases_and_expires_untagged(capture) -> None:
    policy = capture.one(LIFECYCLE)
    assert policy.parent == capture.one(REPO).urn
    rules = sorted(json.loads(policy.inputs["policy"])["rules"], key=lambda r: r["rulePriority"])
    assert [r["rulePriority"] for r in rules] == [1, 2, 3]
    protect, release, untagged = rules
    assert protect["selection"]["tagPrefixList"] == ["prod-"]
    assert protect["selection"]["countNumber"] >= 100_000
    assert release["selection"] == {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 30}
    assert untagged["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}
    assert all(r["action"] == {"type": "expire"} for r in rules)


def test_lifecycle_follows_config() -> None:
    capture = capture_for("dev", overrides={
        "vitality:registry.releaseTagPrefixes": ["v", "release-"],
        "vitality:registry.keepReleaseImages": 5,
        "vitality:registry.protectedTagPrefixes": [],
        "vitality:registry.untaggedExpiryDays": 2,
    })
    rules = sorted(json.loads(capture.one(LIFECYCLE).inputs["policy"])["rules"], key=lambda r: r["rulePriority"])
    assert [r["selection"].get("tagPrefixList") for r in rules] == [["v"], ["release-"], None]
    assert [r["selection"]["countNumber"] for r in rules] == [5, 5, 2]


def test_enhanced_scanning_only_in_the_baseline_stack(dev, prod) -> None:
    assert dev.of_type(SCANNING) == []
    scanning = prod.one(SCANNING)
    assert scanning.inputs["scanType"] == "ENHANCED"
    assert scanning.inputs["rules"] == [
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}
    ]


def test_repository_url_output(capture) -> None:
    assert capture.outputs["repositoryUrl"] == f"111122223333.dkr.ecr.us-west-2.amazonaws.com/vitality-{capture.stack}/api"
    assert capture_for(capture.stack, preview=True).outputs["repositoryUrl"] == UNKNOWN
