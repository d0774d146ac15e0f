"""Every value a caller sends any service is bounded (issue 16, item 10d): read from each
app's OpenAPI, every text parameter or body field has a length, a pattern or a closed set,
every integer a ceiling, every list a length. Dates carry ``bounds.PastDate`` (1900..today),
which OpenAPI cannot show; ``tests/test_field_bounds.py`` sends them."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

SERVICES = ["import_svc", "beneficiary_svc", "payment_svc", "settlement_svc"]
# Bounded elsewhere: the uploaded files by the upload limits (IMPORT_MAX_FILES, bytes), the
# cut-off days by the payment-unit rules (1–28 or "last", 422 otherwise).
ALLOWED = {
    ("import_svc", "/v1/imports", "body.files"),
    ("import_svc", "/v1/imports", "body.files[]"),
    ("settlement_svc", "/v1/districts/{district}/payment-unit-settings", "body.list_cutoff_day"),
    (
        "settlement_svc",
        "/v1/districts/{district}/payment-unit-settings",
        "body.settlement_cutoff_day",
    ),
}


def _walk(schema: dict[str, Any], comps: dict[str, Any], path: str, out: list[str]) -> None:
    if "$ref" in schema:
        _walk(comps[schema["$ref"].split("/")[-1]], comps, path, out)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            _walk(option, comps, path, out)
    kind = schema.get("type")
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            _walk(sub, comps, f"{path}.{name}", out)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            _walk(extra, comps, f"{path}.*", out)
    elif kind == "array":
        _walk(schema.get("items", {}), comps, f"{path}[]", out)
        if "maxItems" not in schema:
            out.append(path)
    elif kind == "string":
        closed = any(k in schema for k in ("maxLength", "pattern", "enum", "const"))
        if not closed and schema.get("format") not in ("uuid", "binary", "date"):
            out.append(path)
    elif kind == "integer" and "maximum" not in schema and "exclusiveMaximum" not in schema:
        out.append(path)


def unbounded(package: str) -> list[tuple[str, str, str]]:
    spec = importlib.import_module(f"{package}.app").app.openapi()
    comps = spec.get("components", {}).get("schemas", {})
    found: list[tuple[str, str, str]] = []
    for route, operations in spec["paths"].items():
        for op in operations.values():
            paths: list[str] = []
            for p in op.get("parameters", []):
                if p["in"] in ("query", "path"):
                    _walk(p.get("schema", {}), comps, f"{p['in']}:{p['name']}", paths)
            for content in op.get("requestBody", {}).get("content", {}).values():
                _walk(content.get("schema", {}), comps, "body", paths)
            found += [(package, route, p) for p in paths]
    return found


@pytest.mark.parametrize("package", SERVICES)
def test_every_request_value_is_bounded(package: str) -> None:
    assert [u for u in unbounded(package) if u not in ALLOWED] == []


def test_the_check_sees_an_unbounded_field() -> None:
    out: list[str] = []
    _walk(
        {"type": "object", "properties": {"note": {"type": "string"}, "n": {"type": "integer"}}},
        {},
        "body",
        out,
    )
    assert out == ["body.note", "body.n"]
