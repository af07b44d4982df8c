"""Registry settings: the `registry` key table (ECR repositories, mutable tags, release and protected tag
prefixes, expiry), `RegistrySettings` and `read_registry`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from .schema import Key, Section, _Problems, _Reader, _strings

_REPO_NAME_RE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
_TAG_RE: re.Pattern[str] = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")

REGISTRY_SECTION = Section(
    "registry",
    "Private ECR repositories for the service images.",
    (
        Key(
            "repositories",
            "array",
            "Repository short names, one private repository each (named <project>-<stack>/<name>). The API pulls "
            "from the one named api.",
            default=["api"],
            allowed="1 to 20 distinct lower-case names ([a-z0-9] separated by . _ - or /) including \"api\"",
            check=lambda v: 1 <= len(v) <= 20 and len(set(v)) == len(v) and "api" in v
            and _strings(lambda s: len(s) <= 200 and _REPO_NAME_RE.fullmatch(s) is not None)(v),
            replaces="renaming an entry replaces that repository (name): its images are deleted with it (protected in prod)"
        ),
        Key(
            "mutableTags",
            "array",
            "Moving tags that may be overwritten (e.g. latest). Empty: every tag is immutable. Each one becomes an "
            "exact-match exclusion from tag immutability.",
            default=[],
            allowed="up to 5 distinct exact tags ([A-Za-z0-9_][A-Za-z0-9_.-]*, no wildcards) that start with no "
            "release or protected prefix",
            check=lambda v: len(v) <= 5 and len(set(v)) == len(v) and _strings(lambda s: _TAG_RE.fullmatch(s) is not None)(v),
        ),
        Key(
            "releaseTagPrefixes",
            "array",
            "Tag prefixes of release images; the newest keepReleaseImages of each prefix are kept.",
            default=["v"],
            allowed="1 to 5 distinct tag prefixes ([A-Za-z0-9_][A-Za-z0-9_.-]*)",
            check=lambda v: 1 <= len(v) <= 5 and len(set(v)) == len(v) and _strings(lambda s: _TAG_RE.fullmatch(s) is not None)(v),
        ),
        Key(
            "keepReleaseImages",
            "integer",
            "How many release images to keep per release prefix; older ones expire.",
            default=30,
            allowed="1 to 1000",
            check=lambda v: 1 <= v <= 1000,
        ),
        Key(
            "protectedTagPrefixes",
            "array",
            "Tag prefixes of images that never expire (e.g. images that ran in prod, kept for audit).",
            default=["prod-"],
            allowed="up to 5 distinct tag prefixes ([A-Za-z0-9_][A-Za-z0-9_.-]*) that do not overlap a release prefix",
            check=lambda v: len(v) <= 5 and len(set(v)) == len(v) and _strings(lambda s: _TAG_RE.fullmatch(s) is not None)(v),
        ),
        Key(
            "untaggedExpiryDays",
            "integer",
            "Days after push when an untagged image (a superseded build layer set) expires.",
            default=7,
            allowed="1 to 365",
            check=lambda v: 1 <= v <= 365,
        ),
    ),
)


@dataclass(frozen=True)
class RegistrySettings:
    repositories: tuple[str, ...]
    mutable_tags: tuple[str, ...]
    release_tag_prefixes: tuple[str, ...]
    keep_release_images: int
    protected_tag_prefixes: tuple[str, ...]
    untagged_expiry_days: int


def read_registry(problems: _Problems, raw: Any) -> Optional[RegistrySettings]:
    r = _Reader(problems, REGISTRY_SECTION, raw)
    v = r.values
    if r.ok("releaseTagPrefixes", "protectedTagPrefixes"):
        clash = [(a, b) for a in v["protectedTagPrefixes"] for b in v["releaseTagPrefixes"] if a.startswith(b) or b.startswith(a)]
        if clash:
            r.fail("protectedTagPrefixes", f"prefixes that do not overlap a release prefix ({clash[0][0]!r} and {clash[0][1]!r} do)", [])
    if r.ok("mutableTags", "releaseTagPrefixes", "protectedTagPrefixes"):
        prefixes = (*v["releaseTagPrefixes"], *v["protectedTagPrefixes"])
        moving = [t for t in v["mutableTags"] if any(t.startswith(p) for p in prefixes)]
        if moving:
            r.fail("mutableTags", f"tags that start with no release or protected prefix ({moving[0]!r} does), so a "
                   "release tag can never be overwritten", [])
    if r.bad:
        return None
    return RegistrySettings(
        repositories=tuple(v["repositories"]),
        mutable_tags=tuple(v["mutableTags"]),
        release_tag_prefixes=tuple(v["releaseTagPrefixes"]),
        keep_release_images=v["keepReleaseImages"],
        protected_tag_prefixes=tuple(v["protectedTagPrefixes"]),
        untagged_expiry_days=v["untaggedExpiryDays"],
    )
