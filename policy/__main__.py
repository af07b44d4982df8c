"""Entry point of `pulumi preview --policy-pack policy`: build the pack from the rules, nothing else."""

import sys
from pathlib import Path

# The CLI runs this file from inside policy/; make the `policy` package importable the way tests import it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.rules import POLICIES

PolicyPack(name="vitality-soc2", policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
