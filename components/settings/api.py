"""API settings: the `api` key table (platform, image, scaling, size, port, health path, the ecs origin's domain,
prefix list and rate limit), the bootstrap image, the instance/task sizes each platform accepts, the CloudFront
origin-facing prefix list per region, `ApiSettings`, the image reference check and `read_api`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from .registry import _TAG_RE
from .schema import Key, Section, _is_domain, _Problems, _Reader, one_of

# The public image a fresh stack deploys before anything was pushed, and what it serves (docs/api.md, first deploy).
BOOTSTRAP_IMAGE = "public.ecr.aws/aws-containers/hello-app-runner:latest"
BOOTSTRAP_PORT, BOOTSTRAP_HEALTH_PATH = 8000, "/"
ECS, APPRUNNER = "ecs", "apprunner"
API_PLATFORMS = (ECS, APPRUNNER)
# Removed platforms, each with what replaced it (a stack that still sets one gets the migration command).
REMOVED_PLATFORMS = {
    "ecs-express": "ecs-express was removed: with private subnets ECS Express Mode creates an internal load balancer "
    "CloudFront cannot reach and the provider hides its ARN. Use ecs (Fargate behind an internal load balancer reached "
    "through a CloudFront VPC origin); docs/api.md, migrating, lists what Pulumi replaces",
}
API_CPU_UNITS = (256, 512, 1024, 2048, 4096)
# App Runner's instance sizes (CreateService InstanceConfiguration): cpu units -> memory MiB.
APPRUNNER_SIZES = {256: (512, 1024), 512: (1024,), 1024: (2048, 3072, 4096), 2048: (4096, 6144), 4096: (8192, 10240, 12288)}
# Fargate task sizes (Amazon ECS Developer Guide, task CPU and memory): cpu units -> memory MiB.
FARGATE_SIZES = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
PLATFORM_SIZES = {APPRUNNER: APPRUNNER_SIZES, ECS: FARGATE_SIZES}
# Id of the AWS-managed prefix list com.amazonaws.global.cloudfront.origin-facing per region: AWS-owned, fixed per
# region, the only ingress of the API's load balancer (docs/decisions.md; a lookup at preview is not allowed).
# Confirm or add one with: aws ec2 describe-managed-prefix-lists --region <r>
#   --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing
CLOUDFRONT_ORIGIN_FACING = {
    "us-east-1": "pl-3b927c52",
    "us-east-2": "pl-b6a144df",
    "us-west-1": "pl-4ea04527",
    "us-west-2": "pl-82a045eb",
    "ca-central-1": "pl-38a64351",
    "eu-west-1": "pl-4fa04526",
    "eu-west-2": "pl-93a247fa",
    "eu-west-3": "pl-75b1541c",
    "eu-north-1": "pl-fab65393",
    "sa-east-1": "pl-5da64334",
    "ap-northeast-1": "pl-58a04531",
    "ap-southeast-1": "pl-31a34658",
}
ORIGIN_FACING_LIST = "com.amazonaws.global.cloudfront.origin-facing"

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
            "ecs (ECS Fargate behind an internal load balancer that only CloudFront reaches, through a VPC origin) or "
            "apprunner (only for accounts that already use App Runner: closed to new customers). Switching replaces "
            "the API service (docs/api.md, migrating).",
            default=ECS,
            allowed=one_of(*API_PLATFORMS)[0],
            # a removed platform passes the type check so that read_api can name its replacement
            check=lambda v: v in API_PLATFORMS or v in REMOVED_PLATFORMS,
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
            "Concurrent requests per instance before App Runner scales out; ECS scales on requests per task per "
            "minute at 60 times this value (and on CPU).",
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
            "Port the container listens on: 8000 for the bootstrap image; your app's port once api.image is yours. "
            "On ecs a change replaces the load balancer's target group.",
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
        Key(
            "domain",
            "string",
            "ecs: optional DNS name for the API origin inside the VPC (then hostedZoneId too), e.g. "
            "api-origin.example.com. With it the CloudFront to load balancer hop is HTTPS (a regional ACM certificate "
            "and an alias to the internal load balancer); empty: HTTP inside the VPC (a documented exception). "
            "Setting or changing it replaces the certificate and the listener.",
            default="",
            allowed="empty, or a lower-case DNS name such as api-origin.example.com",
            check=lambda v: v == "" or _is_domain(v),
        ),
        Key(
            "hostedZoneId",
            "string",
            "Route 53 hosted zone that holds api.domain (its certificate validation and alias records).",
            default="",
            allowed="empty, or a Route 53 zone id such as Z0123456789ABCDEFGHIJ",
            check=lambda v: v == "" or re.fullmatch(r"Z[A-Z0-9]{1,31}", v) is not None,
        ),
        Key(
            "cloudfrontPrefixListId",
            "string",
            f"ecs: id of the managed prefix list {ORIGIN_FACING_LIST} in aws:region, the only source the load "
            "balancer admits. Empty: the id this program knows for the region (docs/decisions.md).",
            default="",
            allowed="empty, or a prefix list id such as pl-82a045eb",
            check=lambda v: v == "" or re.fullmatch(r"pl-[0-9a-f]{8,17}", v) is not None,
        ),
        Key(
            "wafRateLimit",
            "integer",
            "ecs: requests per viewer address in 5 minutes that the API's regional web ACL allows (a backstop behind "
            "the edge web ACL's per-IP limit).",
            default=2000,
            allowed="100 to 2000000000",
            check=lambda v: 100 <= v <= 2_000_000_000,
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
    domain: str  # ecs: the origin's DNS name (HTTPS inside the VPC); empty: HTTP inside the VPC
    hosted_zone_id: str
    cloudfront_prefix_list_id: str  # ecs: resolved for aws:region
    waf_rate_limit: int

    @property
    def listener_port(self) -> int:
        """The load balancer's one listener: HTTPS with a domain, HTTP inside the VPC without."""
        return 443 if self.domain else 80

    @property
    def public_image(self) -> bool:
        """A full public reference (the bootstrap image), not a tag or digest in the API repository."""
        return "/" in self.image


def is_image_reference(value: str) -> bool:
    """A tag, a digest, or a full reference (registry/repository:tag or @digest)."""
    return bool(_TAG_RE.fullmatch(value) or _DIGEST_RE.fullmatch(value) or _IMAGE_REF_RE.fullmatch(value))


def read_api(problems: _Problems, raw: Any, region: Optional[str]) -> Optional[ApiSettings]:
    r = _Reader(problems, API_SECTION, raw)
    v = r.values
    if r.ok("platform") and v["platform"] in REMOVED_PLATFORMS:
        r.fail("platform", f"{one_of(*API_PLATFORMS)[0]}; {REMOVED_PLATFORMS[v['platform']]}", ECS)
    ecs = r.ok("platform") and v["platform"] == ECS
    if r.ok("domain", "hostedZoneId") and bool(v["domain"]) != bool(v["hostedZoneId"]):
        missing = "hostedZoneId" if v["domain"] else "domain"
        r.fail(missing, "set together with api." + ("domain" if missing == "hostedZoneId" else "hostedZoneId")
               + " (both or neither)", "Z0123456789ABCDEFGHIJ" if missing == "hostedZoneId" else "api-origin.example.com")
    elif r.ok("platform", "domain") and v["domain"] and not ecs:
        r.fail("domain", "empty unless api.platform ecs (the origin domain of the internal load balancer)", "")
    prefix_list = ""
    if r.ok("cloudfrontPrefixListId"):
        prefix_list = v["cloudfrontPrefixListId"] or CLOUDFRONT_ORIGIN_FACING.get(region or "", "")
        if ecs and region is not None and not prefix_list:
            r.fail("cloudfrontPrefixListId", f"the id of {ORIGIN_FACING_LIST} in {region}, which this program does not "
                   f"know: aws ec2 describe-managed-prefix-lists --region {region} --filters "
                   f"Name=prefix-list-name,Values={ORIGIN_FACING_LIST}", "pl-0123456789abcdef0")
    if r.ok("image") and not is_image_reference(v["image"]):
        r.fail("image", API_SECTION.key("image").allowed, "v1.0.0")
    elif r.ok("image") and "/" in v["image"] and not v["image"].startswith(PUBLIC_ECR + "/"):
        r.fail("image", f"a tag or digest in the API repository, or a public image on {PUBLIC_ECR} (the only public "
               "registry App Runner pulls from; the same rule on ecs keeps a platform switch a one-line change)", "v1.0.0")
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
        domain=v["domain"],
        hosted_zone_id=v["hostedZoneId"],
        cloudfront_prefix_list_id=prefix_list,
        waf_rate_limit=v["wafRateLimit"],
    )
