"""Row rules of the three imports (DOMAIN "Citizen IDs" and "Excel imports"), as pure code.

A row is checked against the register as import-svc knows it (its read model of identities)
and against the other rows of the same upload. Every finding says which field, a stable
code, a Vietnamese message and the value; warnings never block a row.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from import_svc.columns import ARREARS_CHANGE, POLICY_CHANGES, Kind
from import_svc.reading import as_date, clean_text

_ID = re.compile(r"^(\d{9}|\d{12})$")
_MONTH = re.compile(r"^(\d{1,2})[/-](\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")  # also what re-validation stores
_RANGE = re.compile(r"\d{1,2}[/-]\d{4}\s*(-|đến|–|,|;)\s*\d{1,2}[/-]\d{4}")
_AMOUNT = re.compile(r"^\d{1,3}([.,\s]\d{3})*$|^\d+$")
GENDERS = {"nam": "male", "nữ": "female", "nu": "female", "khác": "other", "khac": "other"}

MESSAGES = {
    "required": "Trường bắt buộc chưa có giá trị",
    "national_id_format": "Số CCCD/CMND phải gồm đúng 9 hoặc 12 chữ số",
    "national_id_numeric": (
        "Ô số CCCD/CMND đang ở dạng số nên đã mất các số 0 ở đầu; định dạng cột là Văn bản "
        "và nhập lại đủ số"
    ),
    "not_found": "Không tìm thấy đối tượng có số CCCD/CMND này trong huyện",
    "commune_mismatch": "Đối tượng không thuộc xã của lô dữ liệu",
    "commune_missing": "Thiếu mã xã và không xác định được xã từ số CCCD/CMND",
    "duplicate_in_file": "Số CCCD/CMND xuất hiện nhiều lần trong các tệp tải lên",
    "held_by_several": "Số CCCD/CMND đang trùng giữa nhiều đối tượng trong hệ thống",
    "change_type_invalid": "Loại biến động không đúng với loại dữ liệu",
    "amount_invalid": "Số tiền phải là số nguyên không âm (ví dụ 1.500.000)",
    "amount_required": "Có kỳ chi trả thì phải có số tiền truy lĩnh",
    "period_invalid": "Kỳ chi trả phải có dạng MM/YYYY",
    "period_range": (
        "Chỉ nhập một tháng: đây là tháng chi trả khoản truy lĩnh, không phải khoảng thời gian "
        "được truy lĩnh"
    ),
    "period_past": "Kỳ chi trả đã qua: danh sách các tháng trước đã khóa",
    "period_too_far": "Kỳ chi trả chỉ được trong 12 tháng tới",
    "period_required": "Có số tiền truy lĩnh thì phải có kỳ chi trả",
    "formula_not_allowed": "Ô chứa công thức hoặc bắt đầu bằng =, +, @; hãy nhập giá trị",
    "merged_cell": "Ô bị gộp (merge); hãy bỏ gộp ô",
    "hidden_row": "Dòng đang bị ẩn trong tệp; hãy hiện dòng hoặc xóa nếu không dùng",
    "date_invalid": "Ngày phải có dạng DD/MM/YYYY",
    "gender_invalid": "Giới tính phải là Nam, Nữ hoặc Khác",
    "name_invalid": "Họ tên không hợp lệ",
    "beneficiary_inactive": "Đối tượng đã bị xóa khỏi hệ thống",
    "id_must_be_new": "Số CCCD/CMND đã có trong hệ thống: không thể tăng mới",
    "ignored_column_changed": "Cột này không được cập nhật qua mẫu này; giá trị sửa bị bỏ qua",
    "cccd_birth_year_mismatch": "Năm sinh trong số CCCD khác năm sinh đã lưu",
    "cccd_gender_mismatch": "Giới tính trong số CCCD khác giới tính đã lưu",
}


@dataclass(frozen=True)
class Identity:
    beneficiary_id: str
    national_id: str
    commune_code: str
    full_name: str
    status: str
    birth_date: date | None = None
    gender: str | None = None


@dataclass
class Checked:
    row_no: int
    values: dict[str, Any]
    commune_code: str | None = None
    beneficiary_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False  # an untouched row of a template with data: nothing to apply

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.errors:
            return "invalid"
        if self.duplicate_of:
            return "duplicate"
        return "valid"

    def error(self, key: str, code: str, value: Any = None) -> None:
        """One error per field: the first found is the one to fix."""
        if not any(e["field"] == key for e in self.errors):
            self.errors.append(_finding(key, code, value))

    def warn(self, key: str, code: str, value: Any = None) -> None:
        self.warnings.append(_finding(key, code, value))


def _finding(key: str, code: str, value: Any) -> dict[str, Any]:
    shown = value if isinstance(value, str | int | None) else str(value)
    return {"field": key, "code": code, "message_vi": MESSAGES[code], "value": shown}


def normalise_id(value: Any) -> str | None:
    if value is None:
        return None
    return clean_text(str(value)).replace(" ", "") or None


def normalise_commune(value: Any) -> str | None:
    if value is None:
        return None
    text = clean_text(str(value))
    return text.zfill(5) if text.isdigit() and len(text) <= 5 else text or None


def parse_amount(value: Any) -> int | None:
    """Integer VND from a numeric cell or text with ``.``/``,``/space thousands separators."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str):
        text = clean_text(value)
        if _AMOUNT.match(text):
            return int(re.sub(r"[.,\s]", "", text))
    return None


def parse_period(value: Any) -> date | str:
    """The payment month, or the code of what is wrong with it."""
    if isinstance(value, date):
        return value.replace(day=1)
    text = clean_text(str(value))
    if _RANGE.search(text):
        return "period_range"
    if m := _MONTH.match(text):
        month, year = int(m[1]), int(m[2])
        if 1 <= month <= 12 and 1900 <= year <= 2199:
            return date(year, month, 1)
    if (m := _ISO_DAY.match(text)) and 1 <= int(m[2]) <= 12 and 1900 <= int(m[1]) <= 2199:
        return date(int(m[1]), int(m[2]), 1)
    return "period_invalid"


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def id_warnings(national_id: str, who: Identity) -> list[str]:
    """Where a 12-digit CCCD disagrees with the recorded birth year or gender."""
    if len(national_id) != 12 or not national_id[3].isdigit():
        return []
    code = int(national_id[3])
    found = []
    if (
        who.birth_date is not None
        and 1900 + 100 * (code // 2) + int(national_id[4:6]) != who.birth_date.year
    ):
        found.append("cccd_birth_year_mismatch")
    if who.gender in ("male", "female") and ("male", "female")[code % 2] != who.gender:
        found.append("cccd_gender_mismatch")
    return found


def validate(
    kind: Kind,
    rows: list[dict[str, Any]],
    identities: dict[str, list[Identity]],
    month_now: date,
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
            out.append(checked)
            continue
        _check_common(kind, checked, r.get("flags") or {}, identities, ids)
        {"arrears": _check_arrears, "info": _check_info, "policy": _check_policy}[kind](
            checked, identities, month_now
        )
        out.append(checked)
    return out


def _untouched(row: dict[str, Any]) -> bool:
    values, flags = row["values"], row.get("flags") or {}
    return (
        values.get("arrears_amount") is None
        and values.get("arrears_period") is None
        and not flags.get("issues")
        and not flags.get("hidden")
    )


def _check_common(
    kind: Kind,
    row: Checked,
    flags: dict[str, Any],
    identities: dict[str, list[Identity]],
    counts: Counter[str | None],
) -> None:
    for key, code in (flags.get("issues") or {}).items():
        row.error(key, code, row.values.get(key))
    if flags.get("hidden"):
        row.error("row", "hidden_row")
    national_id = normalise_id(row.values.get("national_id"))
    row.values["national_id"] = national_id
    commune = normalise_commune(row.values.get("commune_code"))
    row.commune_code = commune
    if national_id is None:
        if kind != "policy" or row.values.get("change_type") != "Tăng thêm":
            row.error("national_id", "required")
        return
    if flags.get("numeric_id") and not _ID.match(national_id):
        row.error("national_id", "national_id_numeric", national_id)
        return
    if not _ID.match(national_id):
        row.error("national_id", "national_id_format", national_id)
        return
    if counts[national_id] > 1:
        row.error("national_id", "duplicate_in_file", national_id)
    holders = [h for h in identities.get(national_id, []) if h.status != "removed"]
    if kind == "policy" and row.values.get("change_type") == "Tăng thêm":
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
    (who,) = holders
    row.beneficiary_id = who.beneficiary_id
    if commune is None:
        row.commune_code = who.commune_code
    elif commune != who.commune_code:
        row.error("commune_code", "commune_mismatch", commune)
    for code in id_warnings(national_id, who):
        row.warn("national_id", code, national_id)
    name = row.values.get("full_name")
    if kind == "arrears" and isinstance(name, str) and name != who.full_name:
        row.warn("full_name", "ignored_column_changed", name)


def _check_change_type(row: Checked, allowed: set[str]) -> str | None:
    value = row.values.get("change_type")
    if value is None:
        row.error("change_type", "required")
        return None
    text = clean_text(str(value))
    if text not in allowed:
        row.error("change_type", "change_type_invalid", text)
        return None
    return text


def _check_arrears(row: Checked, _: dict[str, list[Identity]], month_now: date) -> None:
    _check_change_type(row, {ARREARS_CHANGE})
    raw_amount, raw_period = row.values.get("arrears_amount"), row.values.get("arrears_period")
    amount = None if raw_amount is None else parse_amount(raw_amount)
    if raw_amount is not None and amount is None:
        row.error("arrears_amount", "amount_invalid", raw_amount)
    period = None if raw_period is None else parse_period(raw_period)
    if isinstance(period, str):
        row.error("arrears_period", period, raw_period)
        period = None
    elif period is not None:
        if period < month_now:
            row.error("arrears_period", "period_past", raw_period)
        elif period > add_months(month_now, 12):
            row.error("arrears_period", "period_too_far", raw_period)
    if amount and raw_period is None:
        row.error("arrears_period", "period_required")
    if raw_period is not None and raw_amount is None:
        row.error("arrears_amount", "amount_required")
    if amount is None and raw_amount is None and raw_period is None:
        row.error("arrears_amount", "required")
    row.values["arrears_amount"] = amount if amount is not None else raw_amount
    if period is not None:
        row.values["arrears_period"] = f"{period.year:04d}-{period.month:02d}"


def _check_info(row: Checked, _: dict[str, list[Identity]], __: date) -> None:
    if (name := row.values.get("full_name")) is not None and not (
        isinstance(name, str) and 0 < len(name) <= 200
    ):
        row.error("full_name", "name_invalid", name)
    for key in ("birth_date",):
        if (value := row.values.get(key)) is not None:
            parsed = as_date(value)
            if parsed is None:
                row.error(key, "date_invalid", value)
            else:
                row.values[key] = parsed.isoformat()
    if (gender := row.values.get("gender")) is not None:
        mapped = GENDERS.get(clean_text(str(gender)).lower())
        if mapped is None:
            row.error("gender", "gender_invalid", gender)
        else:
            row.values["gender"] = mapped
    for key in ("phone", "bank_account"):
        if isinstance(row.values.get(key), int):
            row.values[key] = str(row.values[key])


def _check_policy(row: Checked, identities: dict[str, list[Identity]], month_now: date) -> None:
    change = _check_change_type(row, set(POLICY_CHANGES))
    _check_info(row, identities, month_now)
    if change is None:
        return
    needs = {
        "Tăng thêm": (
            "full_name",
            "birth_date",
            "gender",
            "category",
            "effective_month",
            "decision_no",
        ),
        "Điều chỉnh": ("category", "effective_month", "decision_no"),
        "Thôi hưởng": ("effective_month", "decision_no"),
        "Cắt chết": ("death_date", "decision_no"),
    }[change]
    for key in needs:
        if row.values.get(key) is None:
            row.error(key, "required")
    if (month := row.values.get("effective_month")) is not None:
        parsed = parse_period(month)
        if isinstance(parsed, str):
            row.error("effective_month", "period_invalid", month)
        else:
            row.values["effective_month"] = f"{parsed.year:04d}-{parsed.month:02d}"
    for key in ("decision_date", "death_date"):
        if (value := row.values.get(key)) is not None:
            parsed_day = as_date(value)
            if parsed_day is None:
                row.error(key, "date_invalid", value)
            else:
                row.values[key] = parsed_day.isoformat()
    for key in ("category", "decision_no"):
        if isinstance(row.values.get(key), int):
            row.values[key] = str(row.values[key])


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
        keys = (
            "full_name",
            "birth_date",
            "gender",
            "address",
            "phone",
            "bank_account",
            "bank_name",
        )
        return {**base, **{k: v[k] for k in keys if v.get(k) is not None}}
    out = {**base, "change_type": POLICY_CHANGES[v["change_type"]]}
    for key in (
        "full_name",
        "birth_date",
        "gender",
        "category",
        "effective_month",
        "decision_no",
        "decision_date",
        "death_date",
        "commune_code",
    ):
        if v.get(key) is not None:
            out[key] = v[key]
    return out
