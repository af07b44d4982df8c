"""The Vitality CrossGuard policy pack.

`policy.rules` holds every rule (importable by tests and the offline engine); `policy.__main__` is the only
place that builds the `PolicyPack` (constructing it starts a gRPC server and blocks, so nothing else may).
"""
