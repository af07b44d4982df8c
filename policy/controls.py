"""The AWS Security Hub controls the rules cite: standards and severity as the current AWS docs give them
(reference/compliance-controls.md §1; "(2023)" severities where the docs no longer list one)."""

from __future__ import annotations

FSBP, CIS3, CIS14, NIST, TAGGING = "FSBP", "CIS v3.0", "CIS v1.4", "NIST 800-53 r5", "AWS Resource Tagging"
F, FC, C, N, T = (FSBP,), (FSBP, CIS3), (CIS3,), (NIST,), (TAGGING,)


def _many(prefix: str, numbers: str, standards: tuple[str, ...], severity: str) -> dict[str, tuple[tuple[str, ...], str]]:
    return {f"{prefix}.{n}": (standards, severity) for n in numbers.split()}


# control id -> (standards, severity)
CONTROLS: dict[str, tuple[tuple[str, ...], str]] = {
    "Account.1": (FC, "medium"),
    **_many("AppRunner", "1 2", T, "low"),
    **_many("CloudFront", "1 12", F, "high"),
    **_many("CloudFront", "3 5 6 7 9 10 13 15", F, "medium"),
    **_many("CloudFront", "4 8", F, "low"),
    "CloudFront.14": (T, "low"),
    "CloudTrail.1": (FC, "high"),
    "CloudTrail.2": (FC, "medium"),
    "CloudTrail.4": (FC, "low"),
    "CloudTrail.5": (F, "low"),
    "CloudTrail.6": ((CIS14,), "critical"),
    "CloudTrail.7": (C, "low"),
    **_many("CloudWatch", "15 17", N, "high"),
    "CloudWatch.16": (N, "medium"),
    "Config.1": (FC, "critical"),
    "EC2.2": (FC, "high"),
    **_many("EC2", "6 7 21", FC, "medium"),
    **_many("EC2", "10 15 55 56 57 58 60 172", F, "medium"),
    "EC2.18": (F, "high"),
    "EC2.19": (F, "critical"),
    **_many("EC2", "53 54", C, "high"),
    "ECR.1": (F, "high"),
    **_many("ECR", "2 3", F, "medium"),
    "ECR.5": (N, "medium"),
    **_many("ECS", "2 4 5 8 9", F, "high"),
    **_many("ECS", "10 12", F, "medium"),
    **_many("ELB", "1 4 5 6 12", F, "medium"),
    "ELB.16": (N, "medium"),
    **_many("GuardDuty", "1 5 6 8 9 10 11", F, "high"),
    **_many("GuardDuty", "7 12 13", F, "medium"),
    "IAM.1": (F, "high"),
    "IAM.2": (FC, "low"),
    **_many("IAM", "3 5", FC, "medium"),
    "IAM.7": (F, "medium"),
    **_many("IAM", "15 27", C, "medium"),
    **_many("IAM", "16 18", C, "low"),
    "IAM.21": (F, "low"),
    "IAM.28": (C, "high"),
    **_many("KMS", "1 2", F, "medium"),
    "KMS.4": ((CIS3, NIST), "medium"),
    "KMS.5": (F, "critical"),
    "RDS.2": (FC, "critical"),
    "RDS.3": (FC, "medium"),
    "RDS.13": (FC, "high"),
    **_many("RDS", "4 7 9 10 11 12 15 24 27 35 37", F, "medium"),
    **_many("RDS", "6 16 17 19 20 21 22 47", F, "low"),
    "RDS.46": (F, "high"),
    **_many("S3", "1 5", FC, "medium"),
    **_many("S3", "2 3", F, "critical"),
    "S3.6": (F, "high"),
    "S3.8": (FC, "high"),
    **_many("S3", "9 12", F, "medium"),
    "S3.13": (F, "low"),
    **_many("S3", "7 14", N, "low"),
    **_many("S3", "10 11 15 17", N, "medium"),
    "S3.20": (C, "low"),
    **_many("S3", "22 23", C, "medium"),
    **_many("SecretsManager", "1 4", F, "medium"),
    "SecretsManager.5": (T, "low"),
    "SNS.1": (N, "medium"),
    "SNS.4": (F, "high"),
    **_many("WAF", "10 12", F, "medium"),
    "WAF.11": (N, "low"),
}


def standards_of(controls: tuple[str, ...]) -> tuple[str, ...]:
    order = (FSBP, CIS3, CIS14, NIST, TAGGING)
    found = {s for c in controls for s in CONTROLS[c][0]}
    return tuple(s for s in order if s in found)
