"""Read a stack's configuration the way the Pulumi CLI hands it to the program.

- `Pulumi.yaml` `config:` entries: keys without a namespace belong to the project; a typed entry may carry a
  `default`, which applies only when the stack file does not set the key at all (objects are *not* merged);
  keys of another namespace (`aws:region`) carry `value:` only.
- `Pulumi.<stack>.yaml` `config:` values win; every key there is namespaced.
- The CLI refuses to run when a typed key without a default is missing or has the wrong type; so do we,
  with the CLI's wording.
- `secure:` values (also nested inside objects) become a placeholder and their keys are marked secret.
- The program receives strings: plain strings as-is, everything else as JSON.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRET_PLACEHOLDER = "offline-secret-value"

_YAML_TYPES = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "array": list,
    "object": dict,
}


class StackConfigError(Exception):
    """What `pulumi` itself would refuse before running the program."""

    def __init__(self, stack: str, messages: list[str]):
        self.stack = stack
        self.messages = messages
        super().__init__("\n".join(messages))


@dataclass
class StackConfig:
    stack: str
    project: str
    values: dict[str, Any]  # full key -> plain value (dicts/lists as parsed)
    secret_keys: list[str] = field(default_factory=list)

    def as_engine_config(self) -> dict[str, str]:
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in self.values.items()}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    expected = _YAML_TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def _replace_secrets(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], inner = _replace_secrets(v)
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_replace_secrets(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def set_path(values: dict[str, Any], path: str, value: Any) -> None:
    """`pulumi config set --path` semantics for `ns:key.a.b` (objects are created on the way)."""
    namespace, _, rest = path.partition(":")
    top, *inner = rest.split(".")
    key = f"{namespace}:{top}"
    if not inner:
        values[key] = value
        return
    node = values.setdefault(key, {})
    if not isinstance(node, dict):
        raise StackConfigError("", [f"configuration key '{key}' is not an object, cannot set {path}"])
    for part in inner[:-1]:
        node = node.setdefault(part, {})
    node[inner[-1]] = value


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED: dict[tuple[Path, int, int], Any] = {}


def _read_yaml(path: Path) -> Any:
    """Parse a YAML file once per version of it (tests read the same stack files hundreds of times)."""
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        _PARSED[key] = yaml.load(path.read_text(), Loader=_Loader)
    return copy.deepcopy(_PARSED[key])


def load_stack_config(
    stack: str, root: Path = ROOT, overrides: Optional[Mapping[str, Any]] = None
) -> StackConfig:
    project_file = _read_yaml(root / "Pulumi.yaml")
    project = project_file["name"]
    stack_path = root / f"Pulumi.{stack}.yaml"
    if not stack_path.exists():
        raise StackConfigError(stack, [f"no stack named '{stack}' (expected {stack_path.name})"])
    stack_values = (_read_yaml(stack_path) or {}).get("config") or {}

    values: dict[str, Any] = {}
    secret_keys: list[str] = []
    declared: dict[str, dict[str, Any]] = {}
    for raw_key, entry in (project_file.get("config") or {}).items():
        key = raw_key if ":" in raw_key else f"{project}:{raw_key}"
        if not isinstance(entry, dict):
            values[key] = entry
            continue
        if "type" in entry:
            declared[key] = entry
        if "value" in entry:
            values[key] = copy.deepcopy(entry["value"])
        elif "default" in entry:
            values[key] = copy.deepcopy(entry["default"])

    errors: list[str] = []
    for key, value in stack_values.items():
        if ":" not in key:
            errors.append(f"Configuration key '{key}' is not namespaced by the project and should be '{project}:{key}'")
            continue
        plain, secret = _replace_secrets(value)
        values[key] = plain
        if secret:
            secret_keys.append(key)
    for path, value in (overrides or {}).items():
        # `--set key={secure: ...}` stands for `pulumi config set --secret`: the key becomes a secret, as in the CLI
        plain, secret = _replace_secrets(value)
        set_path(values, path, plain)
        top = path.split(".", 1)[0]
        if secret and top not in secret_keys:
            secret_keys.append(top)

    for key, entry in declared.items():
        if key not in values:
            errors.append(f"Stack '{stack}' is missing configuration value '{key}'")
        elif key not in secret_keys and not _type_ok(entry["type"], values[key]):
            errors.append(f"Stack '{stack}' with configuration key '{key}' must be of type '{entry['type']}'")
        elif entry.get("secret") and key not in secret_keys and key in stack_values:
            errors.append(f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret")
    if errors:
        raise StackConfigError(stack, errors)
    return StackConfig(stack=stack, project=project, values=values, secret_keys=secret_keys)


def stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
