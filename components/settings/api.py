"""API settings: the `api` key table (platform, image, scaling, size, port, health path), the bootstrap image and
the instance/task sizes each platform accepts, `ApiSettings`, the image reference check and `read_api`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from .registry import _TAG_RE
from .schema import Key, Section, _Problems, _Reader, one_of

# The public image a fresh stack deploys before anything was pushed, and what it serves (docs/api.md, first deploy).
BOOTSTRAP_IMAGE = "public.ecr.aws/aws-containers/hello-app-runner:latest"
BOOTSTRAP_PORT, BOOTSTRAP_HEALTH_PATH = 8000, "/"
API_PLATFORMS = ("apprunner", "ecs-express")
API_CPU_UNITS = (256, 512, 1024, 2048, 4096)
# App Runner's instance sizes (CreateService InstanceConfiguration): cpu units -> memory MiB.
APPRUNNER_SIZES = {256: (512, 1024), 512: (1024,), 1024: (2048, 3072, 4096), 2048: (4096, 6144), 4096: (8192, 10240, 12288)}
# Fargate task sizes, capped at the 8192 MiB the ECS Express provider documents.
FARGATE_SIZES = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 8193, 1024)),
    4096: (8192,),
}
PLATFORM_SIZES = {"apprunner": APPRUNNER_SIZES, "ecs-express": FARGATE_SIZES}

PUBLIC_ECR = "public.ecr.aws"
_DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")
_IMAGE_REF_RE = re.compile(
    r"(?P<repo>[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[a-f0-9]{64}))"
)


API_SECTION = Section(
    "api",
    "The API service: platform, image and scaling.",
    (
        Key(
            "platform",
            "string",
            "apprunner (the seed's choice; only for accounts that already use App Runner) or ecs-express "
            "(Amazon ECS Express Mode).",
            default="apprunner",
            allowed=one_of(*API_PLATFORMS)[0],
            check=one_of(*API_PLATFORMS)[1],
        ),
        Key(
            "image",
            "string",
            "Image tag or digest in the API repository (e.g. v1.4.2 or sha256:...), or a full public image "
            "reference for the first deploy before anything was pushed.",
            default=BOOTSTRAP_IMAGE,
            allowed="a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), a digest (sha256:<64 hex>) or a full image reference",
        ),
        Key("minInstances", "integer", "Minimum running instances.", default=1, allowed="1 to 25", check=lambda v: 1 <= v <= 25),
        Key("maxInstances", "integer", "Maximum running instances.", default=4, allowed="1 to 25, at least minInstances", check=lambda v: 1 <= v <= 25),
        Key(
            "maxConcurrency",
            "integer",
            "Concurrent requests per instance before App Runner scales out; ECS Express scales on requests per "
            "task per minute at 60 times this value.",
            default=100,
            allowed="1 to 200",
            check=lambda v: 1 <= v <= 200,
        ),
        Key(
            "cpu",
            "integer",
            "CPU units per instance or task (1024 = 1 vCPU).",
            default=1024,
            allowed="256, 512, 1024, 2048 or 4096, in a combination with memory the platform accepts",
            check=lambda v: v in API_CPU_UNITS,
        ),
        Key(
            "memory",
            "integer",
            "Memory per instance or task in MiB.",
            default=2048,
            allowed="a size in MiB the platform accepts for api.cpu (see docs/api.md)",
            check=lambda v: 512 <= v <= 30720,
        ),
        Key(
            "port",
            "integer",
            "Port the container listens on: 8000 for the bootstrap image; your app's port once api.image is yours.",
            default=BOOTSTRAP_PORT,
            allowed="1024 to 65535",
            check=lambda v: 1024 <= v <= 65535,
        ),
        Key(
            "healthCheckPath",
            "string",
            "HTTP path the platform probes for health: / for the bootstrap image; your app's (e.g. /health) after.",
            default=BOOTSTRAP_HEALTH_PATH,
            allowed="an absolute path of at most 51 characters from [A-Za-z0-9._~/-], e.g. /health",
            check=lambda v: re.fullmatch(r"/[A-Za-z0-9._~/-]{0,50}", v) is not None,
        ),
    ),
)


@dataclass(frozen=True)
class ApiSettings:
    platform: str
    image: str
    min_instances: int
    max_instances: int
    max_concurrency: int
    cpu: int
    memory: int
    port: int
    health_check_path: str

    @property
    def public_image(self) -> bool:
        """A full public reference (the bootstrap image), not a tag or digest in the API repository."""
        return "/" in self.image


def is_image_reference(value: str) -> bool:
    """A tag, a digest, or a full reference (registry/repository:tag or @digest)."""
    return bool(_TAG_RE.fullmatch(value) or _DIGEST_RE.fullmatch(value) or _IMAGE_REF_RE.fullmatch(value))


def read_api(problems: _Problems, raw: Any) -> Optional[ApiSettings]:
    r = _Reader(problems, API_SECTION, raw)
    v = r.values
    if r.ok("image") and not is_image_reference(v["image"]):
        r.fail("image", API_SECTION.key("image").allowed, "v1.0.0")
    elif r.ok("image") and "/" in v["image"] and not v["image"].startswith(PUBLIC_ECR + "/"):
        r.fail("image", f"a tag or digest in the API repository, or a public image on {PUBLIC_ECR} (the only public "
               "registry App Runner pulls from)", "v1.0.0")
    if r.ok("minInstances", "maxInstances") and v["minInstances"] > v["maxInstances"]:
        r.fail("maxInstances", f"at least api.minInstances ({v['minInstances']})", v["minInstances"])
    if r.ok("image", "port", "healthCheckPath") and v["image"] == BOOTSTRAP_IMAGE:
        # a health check on the wrong port or path fails the very first deploy
        if v["port"] != BOOTSTRAP_PORT:
            r.fail("port", f"{BOOTSTRAP_PORT} while api.image is the bootstrap image (it serves HTTP on {BOOTSTRAP_PORT}); "
                   "set your app's port together with api.image", BOOTSTRAP_PORT)
        if v["healthCheckPath"] != BOOTSTRAP_HEALTH_PATH:
            r.fail("healthCheckPath", f"{BOOTSTRAP_HEALTH_PATH} while api.image is the bootstrap image (it answers only "
                   "there); set your app's path together with api.image", BOOTSTRAP_HEALTH_PATH)
    if r.ok("platform", "cpu", "memory"):
        sizes = PLATFORM_SIZES[v["platform"]]
        if v["memory"] not in sizes[v["cpu"]]:
            r.fail("memory", f"for api.cpu {v['cpu']} on {v['platform']}: one of {', '.join(map(str, sizes[v['cpu']]))}",
                   sizes[v["cpu"]][0])
    if r.bad:
        return None
    return ApiSettings(
        platform=v["platform"],
        image=v["image"],
        min_instances=v["minInstances"],
        max_instances=v["maxInstances"],
        max_concurrency=v["maxConcurrency"],
        cpu=v["cpu"],
        memory=v["memory"],
        port=v["port"],
        health_check_path=v["healthCheckPath"],
    )
