"""Shared settings machinery: how a key is declared and how raw config becomes checked values.

`Key` and `Section` declare keys (type, default, what is allowed, a description); `Problem`, `_Problems` and
`ConfigError` collect every problem with the `pulumi config set` command that fixes it and report them together;
`_coerce` accepts the strings `pulumi config set --path` writes; `one_of`, `between` and the `_is_*` helpers are
reusable checks; `raw_config` and `_Reader` turn one section's raw object into plain values and report unknown keys
with a "did you mean" suggestion. No key names live here: they live in the area modules. Names with a leading
underscore are internal to the `components.settings` package (the area modules use them, components do not).
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import pulumi

PROJECT = "vitality"

_MISSING = object()


# --------------------------------------------------------------------------------------------------
# Problem collection
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    key: str  # full key, e.g. "vitality:database.maxCapacity"
    value: Any  # the value given (or _MISSING)
    allowed: str  # what is allowed
    fix: str  # the command that fixes it

    def render(self) -> str:
        given = "not set" if self.value is _MISSING else f"got {json.dumps(self.value)}"
        return f"{self.key}: {given}; allowed: {self.allowed}\n      fix: {self.fix}"


class ConfigError(pulumi.RunError):
    """Every problem in the stack configuration, reported together."""

    def __init__(self, stack: str, problems: Sequence[Problem]):
        self.stack = stack
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p.render()}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(
            f"Stack configuration of {PROJECT}/{stack} has {len(self.problems)} {noun}; nothing was created:\n{lines}"
        )

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.problems]


def _cli_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if re.fullmatch(r"[A-Za-z0-9_./:@+=-]+", text) else f"'{text}'"


class _Problems:
    def __init__(self, stack: str):
        self.stack = stack
        self.items: list[Problem] = []

    def fix_command(self, full_key: str, example: Any) -> str:
        namespace, _, path = full_key.partition(":")
        key = path if namespace == PROJECT else full_key
        flag = " --path" if "." in path or "[" in path else ""
        if example is _MISSING:
            return f"pulumi config rm{flag} {key} --stack {self.stack}"
        return f"pulumi config set{flag} {key} {_cli_value(example)} --stack {self.stack}"

    def add(self, full_key: str, value: Any, allowed: str, example: Any) -> None:
        self.items.append(Problem(full_key, value, allowed, self.fix_command(full_key, example)))

    def unknown(self, full_key: str, value: Any, candidates: Sequence[str]) -> None:
        leaf = full_key.rsplit(".", 1)[-1].split(":")[-1]
        close = difflib.get_close_matches(leaf, candidates, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(candidates))}"
        self.items.append(Problem(full_key, value, f"no such key; {hint}", self.fix_command(full_key, _MISSING)))


# --------------------------------------------------------------------------------------------------
# Declarative schema
# --------------------------------------------------------------------------------------------------

Check = Callable[[Any], bool]


@dataclass(frozen=True)
class Key:
    """One configuration value inside a section (or a top-level key when the section is None)."""

    name: str
    kind: str  # "string" | "integer" | "number" | "boolean" | "array" | "object"
    description: str
    default: Any = _MISSING  # _MISSING: required
    allowed: str = ""  # human text of what is allowed, beyond the type
    check: Optional[Check] = None  # value -> ok
    example: Any = _MISSING  # value suggested in the fix command when there is no default
    items: str = "string"  # element kind for arrays
    # what a change of this key replaces (ForceNew in the provider), said in Pulumi.yaml and docs; "" for nothing
    replaces: str = ""

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    def suggestion(self) -> Any:
        return self.default if self.example is _MISSING else self.example


@dataclass(frozen=True)
class Section:
    name: str  # config key under the project namespace, e.g. "database"
    description: str
    keys: tuple[Key, ...]
    required: bool = False  # the whole object must be present in the stack

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    def defaults(self) -> dict[str, Any]:
        return {k.name: k.default for k in self.keys if not k.required}


_TYPE_TEXT = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a map",
}


def _coerce(kind: str, value: Any) -> tuple[bool, Any]:
    """Accept the value if it has the kind; strings written by `pulumi config set --path` are parsed."""
    if kind == "string":
        return isinstance(value, str), value
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    if kind == "integer":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return True, int(value)
        return False, value
    if kind == "number":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, (int, float)):
            return True, value
        if isinstance(value, str):
            try:
                return True, float(value)
            except ValueError:
                return False, value
        return False, value
    if kind == "array":
        return isinstance(value, list), value
    if kind == "object":
        return isinstance(value, dict), value
    raise AssertionError(f"unknown kind {kind}")


# --------------------------------------------------------------------------------------------------
# Reusable checks
# --------------------------------------------------------------------------------------------------


def one_of(*values: Any) -> tuple[str, Check]:
    return "one of " + ", ".join(json.dumps(v) for v in values), lambda v: v in values


def between(low: float, high: float) -> tuple[str, Check]:
    return f"from {low:g} to {high:g}", lambda v: low <= v <= high


def _is_cidr(value: Any) -> bool:
    try:
        ipaddress.IPv4Network(value, strict=True)
        return True
    except (ValueError, TypeError):
        return False


def _is_email(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value) is not None


def _is_domain(value: Any) -> bool:
    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    return isinstance(value, str) and len(value) <= 253 and re.fullmatch(rf"({label}\.)+[a-z]{{2,63}}", value) is not None


def _strings(check: Check) -> Check:
    return lambda v: all(isinstance(i, str) and check(i) for i in v)


# --------------------------------------------------------------------------------------------------
# Reading raw config
# --------------------------------------------------------------------------------------------------


def raw_config() -> dict[str, Any]:
    """All config the engine handed to the program: the CLI passes PULUMI_CONFIG, tests use set_all_config."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Reader:
    """Validates one section's raw object against its keys and returns plain values."""

    def __init__(self, problems: _Problems, section: Optional[Section], raw: Any, top_level: Sequence[Key] = ()):
        self.problems = problems
        self.section = section
        self.values: dict[str, Any] = {}
        self.bad: set[str] = set()
        self.keys = section.keys if section else tuple(top_level)  # top-level keys belong to no section
        if section is None:
            data = raw
        elif raw is _MISSING:
            data = {}
        else:
            data = raw
        for unknown in sorted(set(data) - {k.name for k in self.keys}) if section else ():
            problems.unknown(self.full(unknown), data[unknown], [k.name for k in self.keys])
        for key in self.keys:
            self._read(key, data.get(key.name, _MISSING))

    def full(self, name: str) -> str:
        return f"{PROJECT}:{self.section.name}.{name}" if self.section else f"{PROJECT}:{name}"

    def _read(self, key: Key, value: Any) -> None:
        if value is _MISSING:
            if key.required:
                self.problems.add(self.full(key.name), _MISSING, key.allowed or _TYPE_TEXT[key.kind], key.suggestion())
                self.bad.add(key.name)
            else:
                self.values[key.name] = key.default
            return
        ok, coerced = _coerce(key.kind, value)
        if ok and key.kind == "array":
            ok = all(_coerce(key.items, item)[0] for item in coerced)
        allowed = f"{_TYPE_TEXT[key.kind]}" + (f", {key.allowed}" if key.allowed else "")
        if not ok or (key.check is not None and not _safe(key.check, coerced)):
            self.problems.add(self.full(key.name), value, allowed, key.suggestion())
            self.bad.add(key.name)
            return
        self.values[key.name] = coerced

    def ok(self, *names: str) -> bool:
        return not any(n in self.bad for n in names)

    def fail(self, name: str, allowed: str, example: Any = _MISSING) -> None:
        key = (self.section.key(name) if self.section else next(k for k in self.keys if k.name == name))
        self.problems.add(self.full(name), self.values.get(name, _MISSING), allowed, key.suggestion() if example is _MISSING else example)
        self.bad.add(name)


def _safe(check: Check, value: Any) -> bool:
    try:
        return bool(check(value))
    except (TypeError, ValueError, AttributeError):
        return False


def _nested(problems: _Problems, section: Section, raw: Any) -> _Reader:
    return _Reader(problems, section, raw if isinstance(raw, dict) else {})
