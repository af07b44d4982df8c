"""The Vitality CrossGuard policy pack.

The `policy.rules` package holds every rule, one module per service family (importable by tests and the offline
engine); `policy.__main__` is the only place that builds the `PolicyPack` (constructing it starts a gRPC server and
blocks, so nothing else may).
"""
