"""Fixtures: whole-program captures through the offline engine, cached per (stack, preview, overrides)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Optional

import pytest

from components.settings import ConfigError
from offline import Capture, run

_CACHE: dict[tuple[str, bool, str], Capture] = {}


def capture_for(stack: str, preview: bool = False, overrides: Optional[Mapping[str, Any]] = None) -> Capture:
    """Run the program once per distinct input; tests must not mutate the capture."""
    key = (stack, preview, json.dumps(overrides or {}, sort_keys=True))
    if key not in _CACHE:
        _CACHE[key] = run(stack, preview=preview, overrides=overrides)
    return _CACHE[key]


@pytest.fixture
def program() -> Callable[..., Capture]:
    return capture_for


@pytest.fixture(params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def capture(stack: str) -> Capture:
    return capture_for(stack)


@pytest.fixture(params=["dev", "prod", "security"])
def any_capture(request: pytest.FixtureRequest) -> Capture:
    """Every stack, the security-tooling one included: for properties that hold for every topology."""
    return capture_for(request.param)


@pytest.fixture(scope="session")
def dev() -> Capture:
    return capture_for("dev")


@pytest.fixture(scope="session")
def prod() -> Capture:
    return capture_for("prod")


def config_error(stack: str, overrides: Mapping[str, Any]) -> ConfigError:
    """Run with bad config; assert it fails with a ConfigError before any resource exists and return the error."""
    with pytest.raises(ConfigError) as info:
        run(stack, overrides=overrides)
    registered = [r for r in getattr(info.value, "registered_resources", []) if r.type != "pulumi:pulumi:Stack"]
    assert registered == [], f"resources were registered before the config error: {[r.name for r in registered]}"
    return info.value


def policy(resource: Any, key: str = "policy") -> dict[str, Any]:
    """A JSON policy input as a dict."""
    value = resource.inputs[key]
    return json.loads(value) if isinstance(value, str) else value


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]
