"""A row's way through an import: read, staged for review, split by commune, confirmed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from import_svc.domain.columns import POLICY_CHANGES, Kind
from import_svc.domain.findings import Checked

INFO_FIELDS = ("full_name", "birth_date", "gender", "address", "phone", "bank_account", "bank_name")
POLICY_FIELDS = (
    "full_name",
    "birth_date",
    "gender",
    "ethnicity",
    "village",
    "category",
    "monthly_amount",
    "effective_month",
    "decision_no",
    "decision_date",
    "death_date",
    "commune_code",
    "children",
)


@dataclass
class RawRow:
    row_no: int  # the Excel row number, as the officer sees it
    values: dict[str, Any]
    issues: dict[str, str] = field(default_factory=dict)  # column key -> error code
    numeric_id: bool = False  # the ID cell was a number (leading zeros may be lost)
    hidden: bool = False
    letters: dict[str, str] | None = None  # column letters, when not where the template has them


def flags(row: RawRow) -> dict[str, Any]:
    """What reading found beyond the values, kept with the staged row for re-validation."""
    out: dict[str, Any] = {}
    if row.issues:
        out["issues"] = row.issues
    if row.hidden:
        out["hidden"] = True
    if row.numeric_id:
        out["numeric_id"] = True
    if row.letters:
        out["columns"] = row.letters
    return out


Sent = tuple[int, dict[str, Any], dict[str, str], bool, bool, dict[str, str] | None]
"""A row as the reading child sends it: ``RawRow``'s fields in order (no object per row)."""


def found_in(chunk: list[Sent]) -> list[dict[str, Any]]:
    """A chunk of rows as the child sent them, as validation takes them (``staged``)."""
    out = []
    for row_no, values, issues, numeric_id, hidden, letters in chunk:
        found: dict[str, Any] = {}
        if issues:
            found["issues"] = issues
        if hidden:
            found["hidden"] = True
        if numeric_id:
            found["numeric_id"] = True
        if letters:
            found["columns"] = letters
        out.append({"row_no": row_no, "values": jsonable(values), "flags": found})
    return out


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text (the values of most rows hold none: given back as they are)."""
    if not any(v.__class__ in _DATES for v in values.values()):
        return values
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


_DATES = (date, datetime)


def staged(files: list[list[RawRow]]) -> list[dict[str, Any]]:
    """The rows of every file of an upload, as validation takes them (``file`` = index)."""
    return [
        {"row_no": r.row_no, "values": jsonable(r.values), "flags": flags(r), "file": i}
        for i, rows in enumerate(files)
        for r in rows
    ]


def by_commune(rows: list[Checked]) -> list[tuple[str | None, list[Checked]]]:
    """One batch per commune, in commune order; a file with no rows still makes one batch."""
    found: dict[str | None, list[Checked]] = defaultdict(list)
    for c in rows:
        found[c.commune_code].append(c)
    if not found:
        found[None] = []
    return sorted(found.items(), key=lambda kv: kv[0] or "")


def keep_in_commune(rows: list[Checked], commune: str | None) -> None:
    """On re-validation a row stays in its batch: one whose person is of another commune is
    an error, not a move."""
    for c in rows:
        if c.commune_code != commune and not any(e["code"] == "commune_mismatch" for e in c.errors):
            c.error("commune_code", "commune_mismatch", c.commune_code)


def confirmed_row(kind: Kind, checked: dict[str, Any]) -> dict[str, Any]:
    """The row as beneficiary-svc applies it (the ``ImportConfirmed`` row contract)."""
    v = checked["values"]
    base = {
        "row_no": checked["row_no"],
        "beneficiary_id": checked["beneficiary_id"],
        "national_id": v.get("national_id"),
    }
    if kind == "arrears":
        return {
            **base,
            "arrears_amount": int(v["arrears_amount"] or 0),
            "arrears_period": v.get("arrears_period"),
        }
    if kind == "info":
        return {**base, **{k: v[k] for k in INFO_FIELDS if v.get(k) is not None}}
    out = {**base, "change_type": POLICY_CHANGES[v["change_type"]]}
    for key in POLICY_FIELDS:
        if v.get(key) is not None:
            out[key] = v[key]
    return out
