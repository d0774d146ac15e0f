"""Row rules of the three imports (DOMAIN "Citizen IDs" and "Excel imports"), as pure code.

A row is checked against the register as import-svc knows it (its read model of identities)
and against the other rows of the same upload. Every finding says which field, a stable
code, a Vietnamese message and the value; warnings never block a row.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from import_svc.domain.columns import Kind
from import_svc.domain.findings import Checked, Identity
from import_svc.domain.kinds import check_fields
from import_svc.domain.values import (
    NATIONAL_ID,
    id_warnings,
    normalise_commune,
    normalise_id,
)

Identities = dict[str, list[Identity]]  # national ID -> who holds it in the district


def validate(
    kind: Kind, rows: list[dict[str, Any]], identities: Identities, month_now: date
) -> list[Checked]:
    """Check ``rows`` (``{"row_no", "values", "flags"}``) of one upload; returns one per row."""
    untouched = [kind == "arrears" and _untouched(r) for r in rows]
    ids = Counter(
        normalise_id(r["values"].get("national_id"))
        for r, skip in zip(rows, untouched, strict=True)
        if not skip
    )
    out = []
    for r, skip in zip(rows, untouched, strict=True):
        checked = Checked(row_no=r["row_no"], values=dict(r["values"]))
        if skip:
            checked.skipped = True
            checked.commune_code = normalise_commune(checked.values.get("commune_code"))
        else:
            _check_common(kind, checked, r.get("flags") or {}, identities, ids)
            check_fields(kind, checked, month_now)
        out.append(checked)
    return out


def national_ids(rows: list[dict[str, Any]]) -> list[str]:
    """The IDs to look up in the register for ``rows``, each once, in order."""
    return sorted({i for r in rows if (i := normalise_id(r["values"].get("national_id")))})


def _untouched(row: dict[str, Any]) -> bool:
    values, flags = row["values"], row.get("flags") or {}
    return (
        values.get("arrears_amount") is None
        and values.get("arrears_period") is None
        and not flags.get("issues")
        and not flags.get("hidden")
    )


def _is_new(kind: Kind, row: Checked) -> bool:
    return kind == "policy" and row.values.get("change_type") == "Tăng thêm"


def _check_common(
    kind: Kind,
    row: Checked,
    flags: dict[str, Any],
    identities: Identities,
    counts: Counter[str | None],
) -> None:
    for key, code in (flags.get("issues") or {}).items():
        row.error(key, code, row.values.get(key))
    if flags.get("hidden"):
        row.error("row", "hidden_row")
    national_id = normalise_id(row.values.get("national_id"))
    row.values["national_id"] = national_id
    row.commune_code = normalise_commune(row.values.get("commune_code"))
    if national_id is None:
        if not _is_new(kind, row):
            row.error("national_id", "required")
        return
    if not NATIONAL_ID.match(national_id):
        code = "national_id_numeric" if flags.get("numeric_id") else "national_id_format"
        row.error("national_id", code, national_id)
        return
    if counts[national_id] > 1:
        row.error("national_id", "duplicate_in_file", national_id)
    _check_holders(kind, row, national_id, identities.get(national_id, []))


def _check_holders(kind: Kind, row: Checked, national_id: str, found: list[Identity]) -> None:
    holders = [h for h in found if h.status != "removed"]
    if _is_new(kind, row):
        if holders:
            row.error("national_id", "id_must_be_new", national_id)
        return
    if not holders:
        row.error("national_id", "not_found", national_id)
        return
    if len(holders) > 1:
        row.duplicate_of = [
            {
                "beneficiary_id": h.beneficiary_id,
                "full_name": h.full_name,
                "commune_code": h.commune_code,
                "status": h.status,
            }
            for h in holders
        ]
        row.warn("national_id", "held_by_several", national_id)
        return
    _check_against(kind, row, national_id, holders[0])


def _check_against(kind: Kind, row: Checked, national_id: str, who: Identity) -> None:
    """The row names one beneficiary: it must be in the row's commune; what the CCCD or an
    edited reference column disagrees on is said as a warning."""
    row.beneficiary_id = who.beneficiary_id
    if row.commune_code is None:
        row.commune_code = who.commune_code
    elif row.commune_code != who.commune_code:
        row.error("commune_code", "commune_mismatch", row.commune_code)
    for code in id_warnings(national_id, who):
        row.warn("national_id", code, national_id)
    name = row.values.get("full_name")
    if kind == "arrears" and isinstance(name, str) and name != who.full_name:
        row.warn("full_name", "ignored_column_changed", name)
