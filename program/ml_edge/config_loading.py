"""Reading the raw stack config into an EnvConfig, with every problem reported at once.

`load_config` takes the raw stack config (the `ml-edge:*` keys and `aws:region`, as the Pulumi engine hands
them to the program: scalars as strings, objects and lists as JSON) and returns an `EnvConfig`, or raises
`ConfigError` listing every problem, each naming the key, the bad value and what is allowed (with a "did you
mean" for unknown keys).
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from .config import BACKENDS, DEFAULT_TAGS_KEY, NAMESPACE, REGION_KEY, EnvConfig


class ConfigError(ValueError):
    """The stack config is invalid; `problems` holds one readable line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  - {p}" for p in problems))



def load_config(raw: Mapping[str, Any], environment: str, secret_keys: frozenset[str] = frozenset()) -> EnvConfig:
    """Validate the raw stack config of `environment`; raise ConfigError naming every bad key."""
    problems: list[str] = []
    data: dict[str, Any] = {"environment": environment}
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if key == REGION_KEY:
            data["region"] = value
        elif key == DEFAULT_TAGS_KEY:
            data["defaultTags"] = _decode(value)
        elif namespace == NAMESPACE:
            data[name] = _decode(value)
        elif namespace not in _PROVIDER_NAMESPACES:
            problems.append(f"{key}: unknown namespace {namespace!r}; this program reads '{NAMESPACE}:*' keys")
    if "region" not in data:
        problems.append(f"{REGION_KEY}: required (the AWS region of the API, for example eu-west-1)")
        data["region"] = "us-east-1"  # placeholder so the remaining keys are still checked
    try:
        config = EnvConfig.model_validate(data)
    except ValidationError as error:
        problems += [_describe(e, secret_keys) for e in error.errors()]
    else:
        if not problems:
            return config
    raise ConfigError(problems)


_PROVIDER_NAMESPACES = {"aws", "pulumi", "random"}


def _decode(value: Any) -> Any:
    """Objects and lists reach the program as JSON text; scalars as plain text ("30", "true")."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(error: dict, secret_keys: frozenset[str]) -> str:
    loc = _without_union_tags(error["loc"])
    key = _key_path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(key, loc, _allowed_keys(error["loc"][:-1]))
    if kind == "missing":
        return f"{key}: required"
    backends = ", ".join(repr(b) for b in BACKENDS)
    if kind == "union_tag_not_found":
        return f"{key}.backend: required; allowed: {backends}"
    if kind == "union_tag_invalid":
        return f"{key}.backend: unknown backend {error['ctx']['tag']!r}; allowed: {backends}"
    message = error["msg"].removeprefix("Value error, ")
    if not loc:  # a whole-config check names its own key (in full when it is a provider's)
        return message if message.startswith(f"{DEFAULT_TAGS_KEY}.") else f"{NAMESPACE}:{message}"
    if kind == "string_pattern_mismatch":
        message = f"does not match {error['ctx']['pattern']}"
    if "got " in message:  # the message already quotes the offending values
        return f"{key}: {message}"
    shown = "[secret]" if _top_key(loc) in secret_keys else _short(error.get("input"))
    bounded = kind in ("greater_than_equal", "less_than_equal", "int_parsing", "int_type")
    return f"{key}: {message} (got {shown}){_allowed_range(error['loc']) if bounded else ''}"


def _without_union_tags(loc: tuple) -> tuple:
    # pydantic puts the discriminator's value into the location (models.1.sagemaker.endpointName)
    return tuple(part for i, part in enumerate(loc) if not (part in BACKENDS and i > 0 and isinstance(loc[i - 1], int)))


def _top_key(loc: tuple) -> str:
    provider_keys = {"region": REGION_KEY, "defaultTags": DEFAULT_TAGS_KEY}
    return provider_keys.get(loc[0], f"{NAMESPACE}:{loc[0]}") if loc else NAMESPACE


def _key_path(loc: tuple) -> str:
    if not loc:
        return NAMESPACE
    path = _top_key(loc)
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _unknown_key(key: str, loc: tuple, allowed: list[str]) -> str:
    prefix = f"{NAMESPACE}:" if len(loc) == 1 else ""
    guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    hint = f" (did you mean '{prefix}{guess[0]}'?)" if guess else ""
    return f"{key}: unknown key{hint}; allowed here: {', '.join(allowed)}"


def _walk(loc: tuple) -> tuple[Any, Any]:
    """(the model at `loc`, the field `loc` ends on) inside EnvConfig, from a pydantic error location; the model is
    a tuple of models where any backend's may be meant, None past a plain value, and the field None when `loc`
    names no single field."""
    model: Any = EnvConfig
    field = None
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(model, tuple) and part in BACKENDS:
            model = BACKENDS[part]
            continue
        if model is None or isinstance(model, tuple):
            return None, None
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None, None
        model = _inner_model(field.annotation)
    return model, field


def _allowed_keys(loc: tuple) -> list[str]:
    """The aliases accepted at `loc`, a pydantic error location inside EnvConfig."""
    model, _ = _walk(loc)
    if model is None:
        return []
    if isinstance(model, tuple):  # a model of any backend: list the keys they share and their own
        return sorted({(f.alias or n) for m in model for n, f in m.model_fields.items()})
    return [f.alias or n for n, f in model.model_fields.items() if n not in ("environment", "region", "default_tags")]


def _allowed_range(loc: tuple) -> str:
    """"; allowed: 1–900" for a number with both bounds, so that an error at one bound shows the other too."""
    _, field = _walk(loc)
    bounds = [next((getattr(m, bound) for m in field.metadata if hasattr(m, bound)), None) if field else None
              for bound in ("ge", "le")]
    return f"; allowed: {bounds[0]}–{bounds[1]}" if None not in bounds else ""


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType) and all(isinstance(a, type) and issubclass(a, BaseModel) for a in args):
        return tuple(args) if len(args) > 1 else args[0]
    for arg in args:
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

