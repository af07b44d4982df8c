"""The offline engine: run the Pulumi program for a stack under mocks, with no CLI and no AWS account."""

from .engine import UNKNOWN, Capture, Resource, run
from .stack_config import StackConfigError, load_stack_config, stacks

__all__ = ["UNKNOWN", "Capture", "Resource", "StackConfigError", "load_stack_config", "run", "stacks"]
