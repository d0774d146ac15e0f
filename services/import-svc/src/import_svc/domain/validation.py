"""Row rules of the three imports (DOMAIN "Citizen IDs" and "Excel imports"), as pure code.

A row is checked against the register as import-svc knows it (its read model of identities)
and against the other rows of the same upload. Every finding says which field, a stable
code, a Vietnamese message and the value; warnings never block a row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from import_svc.domain.columns import Kind
from import_svc.domain.duplicates import UploadIds
from import_svc.domain.findings import Checked, Identity
from import_svc.domain.kinds import check_fields
from import_svc.domain.values import (
    NATIONAL_ID,
    id_warnings,
    normalise_commune,
    normalise_id,
    parse_amount,
    parse_period,
)

Counts = Counter[str | None] | UploadIds  # rows holding each national ID
Identities = dict[str, list[Identity]]  # national ID -> who holds it in the district
Communes = Mapping[str, str]  # the district's communes: code -> name


def validate(
    kind: Kind,
    rows: list[dict[str, Any]],
    identities: Identities,
    month_now: date,
    communes: Communes | None = None,
    upload: UploadIds | None = None,
) -> list[Checked]:
    """Check ``rows`` (``{"row_no", "values", "flags"}``) of one upload; returns one per row.
    ``communes`` (when known) names the communes in messages and is where a new person may
    live. With ``upload`` the rows are a chunk of an upload read as it goes: duplicates are
    counted across the upload's index (``UploadIds``), which takes the chunk's IDs first."""
    untouched = [kind == "arrears" and _untouched(r, identities) for r in rows]
    counted = Counter(
        normalise_id(r["values"].get("national_id"))
        for r, skip in zip(rows, untouched, strict=True)
        if not skip
    )
    ids: Counts = counted
    if upload is not None:
        upload.add(counted)
        ids = upload
    out = []
    for r, skip in zip(rows, untouched, strict=True):
        flags = r.get("flags") or {}
        checked = Checked(
            row_no=r["row_no"], values=dict(r["values"]), kind=kind, letters=flags.get("columns")
        )
        if skip:
            checked.skipped = True
            checked.commune_code = normalise_commune(checked.values.get("commune_code"))
        else:
            _check_common(kind, checked, flags, Register(identities, communes), ids)
            check_fields(kind, checked, month_now)
        out.append(checked)
    return out


def national_ids(rows: list[dict[str, Any]]) -> list[str]:
    """The IDs to look up in the register for ``rows``, each once, in order."""
    return sorted({i for r in rows if (i := normalise_id(r["values"].get("national_id")))})


def _untouched(row: dict[str, Any], identities: Identities) -> bool:
    """A row of the arrears template with data left as written: empty, or still the
    current arrears of the one person holding its ID (the template prefills them)."""
    values, flags = row["values"], row.get("flags") or {}
    if flags.get("issues") or flags.get("hidden"):
        return False
    amount, period = values.get("arrears_amount"), values.get("arrears_period")
    if amount is None and period is None:
        return True
    holders = [
        h
        for h in identities.get(normalise_id(values.get("national_id")) or "", [])
        if h.status != "removed"
    ]
    if len(holders) != 1 or not holders[0].arrears_amount or amount is None or period is None:
        return False
    current = parse_period(holders[0].arrears_period or "")
    return parse_amount(amount) == holders[0].arrears_amount and parse_period(period) == current


def _is_new(kind: Kind, row: Checked) -> bool:
    return kind == "policy" and row.values.get("change_type") == "Tăng thêm"


@dataclass(frozen=True)
class Register:
    """What a row is checked against: who holds which ID, and the district's communes."""

    identities: Identities
    communes: Communes | None

    def commune(self, code: str | None) -> str:
        name = (self.communes or {}).get(code or "")
        return f"{name} (mã xã {code})" if name else f"xã có mã {code}"

    def whose(self, who: Identity) -> str:
        return f"{who.full_name}, {self.commune(who.commune_code)}"


def _check_common(
    kind: Kind,
    row: Checked,
    flags: dict[str, Any],
    register: Register,
    counts: Counts,
) -> None:
    for key, code in (flags.get("issues") or {}).items():
        row.error(key, code, row.values.get(key))
    if flags.get("hidden"):
        row.error("row", "hidden_row")
    national_id = normalise_id(row.values.get("national_id"))
    row.values["national_id"] = national_id
    row.commune_code = normalise_commune(row.values.get("commune_code"))
    if _is_new(kind, row):
        _check_new_commune(row, register)
    if national_id is None:
        row.error("national_id", "required")
        return
    if not NATIONAL_ID.match(national_id):
        code = "national_id_numeric" if flags.get("numeric_id") else "national_id_format"
        row.error("national_id", code, national_id)
        return
    if counts[national_id] > 1:
        row.error("national_id", "duplicate_in_file", national_id)
    _check_holders(kind, row, national_id, register)


def _check_new_commune(row: Checked, register: Register) -> None:
    """A new person lives in one of the district's communes (when they are known)."""
    if register.communes is None or row.commune_code is None:
        return
    if row.commune_code not in register.communes:
        row.error("commune_code", "commune_not_in_district", row.commune_code)


def _check_holders(kind: Kind, row: Checked, national_id: str, register: Register) -> None:
    found = register.identities.get(national_id, [])
    holders = [h for h in found if h.status != "removed"]
    if _is_new(kind, row):
        if holders:
            rule = (
                f"Số CCCD/CMND đã có trong hệ thống, là của {register.whose(holders[0])}: "
                "không thể tăng mới; nếu là người này hãy dùng Điều chỉnh"
            )
            row.error("national_id", "id_must_be_new", national_id, rule)
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
    _check_against(kind, row, national_id, holders[0], register)


def _check_against(
    kind: Kind, row: Checked, national_id: str, who: Identity, register: Register
) -> None:
    """The row names one beneficiary: it must be in the row's commune; what the CCCD or an
    edited reference column disagrees on is said as a warning."""
    row.beneficiary_id = who.beneficiary_id
    named = row.values.get("beneficiary_id")
    if named is not None and str(named).strip().lower() != who.beneficiary_id.lower():
        rule = (
            f"Số CCCD/CMND này là của {register.whose(who)}, không phải của đối tượng có mã "
            "ở cột A; kiểm tra lại số CCCD/CMND của dòng"
        )
        row.error("national_id", "id_of_another", national_id, rule)
    if row.commune_code is None:
        row.commune_code = who.commune_code
    elif row.commune_code != who.commune_code:
        rule = (
            f"Số CCCD/CMND này là của {register.whose(who)}, không thuộc "
            f"{register.commune(row.commune_code)} của dòng"
        )
        row.error("commune_code", "commune_mismatch", row.commune_code, rule)
    for code in id_warnings(national_id, who):
        row.warn("national_id", code, national_id)
    name = row.values.get("full_name")
    if kind == "arrears" and isinstance(name, str) and name != who.full_name:
        row.warn("full_name", "ignored_column_changed", name)
