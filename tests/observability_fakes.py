"""Plain values the component-level test program hands to Observability as the other components' views."""

FAKE = {
    "cluster": "vitality-cluster-1a2b3c4",
    "apprunner_name": "vitality-api-5d6e7f8",
    "apprunner_id": "0123456789abcdef0123456789abcdef",
    "ecs_cluster": "vitality-api-cluster-9a8b7c6",
    "ecs_service": "vitality-api-svc-5d4e3f2",
    "distribution": "E2QWRUHAPOMQZL",
    "waf_metric": "vitalitywebacl",
    "waf_log_group": "aws-waf-logs-vitality-1234567",
}
