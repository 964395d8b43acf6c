"""The README's config reference, rendered from the typed config (config.py): each key's description, default and
limits live in the model, once; `make golden` writes the tables between the README's markers and
tests/test_docs.py fails when they differ (as terraform-docs does for a module's inputs).

A field's `json_schema_extra` may say how it is documented:
  flatten   its sub-keys get rows of their own (`ml-edge:throttling.rateLimit`)
  table     it has its own table below (the models)
  default   the default column, when the model's default is not what a reader needs ("required" for a key a
            validator requires, "reference: two iris rows")
  allowed   the values a validator allows, listed
  pattern   False: the regular expression is left out (the description says it in words)
  skip      not a config key (the environment's name is the stack's)
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .config import BACKENDS, DEFAULT_TAGS_KEY, NAMESPACE, REGION_KEY, EnvConfig

PROVIDER_KEYS = {"region": REGION_KEY, "default_tags": DEFAULT_TAGS_KEY}
BEGIN, END = "<!-- config reference: rendered from program/ml_edge/config.py by make golden -->", "<!-- end config -->"
HEADER = "| key | default | allowed |\n| --- | --- | --- |\n"
FIRST = {"name": 0, "backend": 1}  # a model's keys: these first, then as declared


def _extra(info: FieldInfo) -> dict:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _yaml(value: Any) -> str:
    """A value as the stack file writes it (YAML flow style)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True, mode="json")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return '""'
    return _number(value)


def _default(info: FieldInfo, within: str | None) -> str:
    if "default" in _extra(info):
        return _extra(info)["default"]
    if info.is_required():
        return f"required with `{within}`" if within else "required"
    default = info.get_default(call_default_factory=True)
    return "none" if default is None else f"`{_yaml(default)}`"


def _either(values: list[str]) -> str:
    quoted = [f"`{v}`" for v in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _literals(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is Literal:
        return [str(v) for v in typing.get_args(annotation)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict):
        return [v for arg in typing.get_args(annotation) for v in _literals(arg)]
    return []


def _is_collection(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (list, dict)


def limits(info: FieldInfo) -> str:
    """What the model allows, in words: bounds, lengths, a pattern, the literal values."""
    bound = {name: getattr(m, name) for m in info.metadata
             for name in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern") if hasattr(m, name)}
    parts = []
    low = f"`{_number(bound['ge'])}" if "ge" in bound else None
    if low and "le" in bound:
        parts.append(f"{low}–{_number(bound['le'])}`")
    else:
        parts += [f"`{symbol} {_number(bound[name])}`" for name, symbol in
                  (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")) if name in bound]
    if _is_collection(info.annotation) and ("min_length" in bound or "max_length" in bound):
        if "max_length" in bound:
            parts.append(f"`{bound.get('min_length', 0)}–{bound['max_length']}` entries")
        else:
            parts.append(f"at least {bound['min_length']} {'entry' if bound['min_length'] == 1 else 'entries'}")
    elif "max_length" in bound:
        parts.append(f"up to {bound['max_length']} characters")
    if "pattern" in bound and _extra(info).get("pattern", True):
        parts.append(f"`{bound['pattern'].removeprefix('^').removesuffix('$')}`")
    literals = _literals(info.annotation)
    if literals:
        parts.append(("each " if _is_collection(info.annotation) else "") + _either(literals))
    if "allowed" in _extra(info):
        parts.append("one of " + ", ".join(_number(v) for v in _extra(info)["allowed"]))
    return ", ".join(parts)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, in a list, as a dict's values, or optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _fields_summary(model: type[BaseModel]) -> str:
    """Each field of a nested object, with its limits and description (for objects documented in one row)."""
    items = []
    for info in model.model_fields.values():
        inner = _nested_model(info.annotation)
        said = [limits(info), info.description or ""]
        if inner is not None and not _literals(info.annotation):
            said.append(_fields_summary(inner))
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            said.append("optional" if default is None else f"default `{_yaml(default)}`")
        said = [s for s in said if s]
        items.append(f"`{info.alias}`" + (f" ({'; '.join(said)})" if said else ""))
    return ", ".join(items)


def _allowed(info: FieldInfo) -> str:
    said = [limits(info), info.description or ""]
    inner = _nested_model(info.annotation)
    if inner is not None and "table" not in _extra(info) and not _literals(info.annotation):
        said.append(_fields_summary(inner))
    return ": ".join(s for s in said[:2] if s) + "".join(f"; {s}" for s in said[2:] if s)


def _rows(model: type[BaseModel], prefix: str, within: str | None) -> list[str]:
    rows = []
    for name, info in model.model_fields.items():
        extra = _extra(info)
        if extra.get("skip"):
            continue
        key = PROVIDER_KEYS.get(name) or f"{prefix}{info.alias}"
        if extra.get("flatten"):
            inner = _nested_model(info.annotation)
            rows += _rows(inner, f"{key}.", key if not info.is_required() and info.default is None else within)
            continue
        rows.append(f"| `{key}` | {_default(info, within)} | {_allowed(info)} |")
    return rows


def config_table() -> str:
    """The environment's keys: one row each (objects with `flatten` one row per sub-key)."""
    return HEADER + "\n".join(_rows(EnvConfig, f"{NAMESPACE}:", None)) + "\n"


def models_table() -> str:
    """The keys of one model, across its backends: a key only some backends have says which."""
    seen: dict[str, tuple[FieldInfo, list[str]]] = {}
    for backend, model in BACKENDS.items():
        for info in model.model_fields.values():
            seen.setdefault(info.alias, (info, []))[1].append(backend)
    rows = []
    for alias, (info, backends) in sorted(seen.items(), key=lambda item: FIRST.get(item[0], len(FIRST))):
        if alias == "backend":
            allowed = _either(list(BACKENDS))
            default = "required"
        else:
            allowed = _allowed(info)
            default = _default(info, None)
            if len(backends) < len(BACKENDS):
                allowed = f"{_either(backends)} only" + (f": {allowed}" if allowed else "")
        rows.append(f"| `{alias}` | {default} | {allowed} |")
    return HEADER + "\n".join(rows) + "\n"


def rendered(readme: str) -> str:
    """The README with its config tables rendered between the markers (the first, the environment's keys; the
    second, a model's)."""
    tables = iter([config_table(), models_table()])
    parts = readme.split(BEGIN)
    out = parts[0]
    for part in parts[1:]:
        _, end, rest = part.partition(END)
        if not end:
            raise ValueError(f"README: {BEGIN} without {END}")
        out += f"{BEGIN}\n{next(tables)}{END}{rest}"
    return out
