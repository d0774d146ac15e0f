"""The fields each import kind checks and normalises: arrears, information, policy."""

from __future__ import annotations

from datetime import date

from btxh_common import bounds
from btxh_common.clock import add_months, month_text

from import_svc.domain.cells import as_date, clean_text
from import_svc.domain.columns import ARREARS_CHANGE, POLICY_CHANGES, Kind
from import_svc.domain.findings import Checked
from import_svc.domain.values import GENDERS, parse_amount, parse_period

# DOMAIN "Excel imports" §10A: what each change type requires (the national ID is checked
# with the register, in validation). The start month of a new person (and of an adjustment
# or a stop) is ``effective_month``; a new person's commune places them in the district.
POLICY_REQUIRED: dict[str, tuple[str, ...]] = {
    "Tăng thêm": (
        "full_name",
        "birth_date",
        "gender",
        "ethnicity",
        "commune_code",
        "village",
        "category",
        "monthly_amount",
        "decision_no",
        "effective_month",
    ),
    "Điều chỉnh": ("full_name", "category", "monthly_amount", "decision_no", "effective_month"),
    "Thôi hưởng": ("full_name", "category", "monthly_amount", "decision_no", "effective_month"),
    "Cắt chết": ("full_name", "death_date", "decision_no"),
}


# The longest text each column may hold (the same bounds as the HTTP API); a column not
# named here holds at most ``bounds.TEXT``.
MAX_CHARS: dict[str, int] = {
    "full_name": bounds.NAME,
    "address": bounds.ADDRESS,
    "phone": bounds.PHONE,
    "bank_account": bounds.BANK_ACCOUNT,
    "bank_name": bounds.NAME,
    "category": bounds.CODE,
    "ethnicity": bounds.CODE,
    "village": bounds.NAME,
    "change_type": bounds.CODE,
    "commune_code": bounds.CODE,
    "decision_no": bounds.DECISION_NO,
}


def check_fields(kind: Kind, row: Checked, month_now: date) -> None:
    if kind == "arrears":
        check_arrears(row, month_now)
    elif kind == "info":
        check_info(row)
    else:
        check_policy(row)
    check_lengths(kind, row)


def check_lengths(kind: Kind, row: Checked) -> None:
    """Every text of the row within its column's bound. A longer one is an error naming the
    row, the column and its bound, without the text; the row keeps only the text's first
    ``bound + 1`` characters (still too long, so still invalid until an officer fixes it),
    so a 5 MB cell is never stored, shown or sent whole."""
    for key, value in row.values.items():
        most = MAX_CHARS.get(key, bounds.TEXT)
        if isinstance(value, str) and len(value) > most:
            row.values[key] = value[: most + 1]
            row.error(key, "text_too_long", message_vi=too_long(most))


def too_long(most: int) -> str:
    return f"nội dung dài hơn {most} ký tự, giới hạn của cột; hãy rút gọn rồi kiểm tra lại"


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


def check_arrears(row: Checked, month_now: date) -> None:
    """An amount ≥ 0 paid in one month, from this month to 12 months ahead; each needs the
    other."""
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
        row.values["arrears_period"] = month_text(period)


def check_info(row: Checked) -> None:
    if (name := row.values.get("full_name")) is not None and not (
        isinstance(name, str) and 0 < len(name) <= bounds.NAME
    ):
        row.error("full_name", "name_invalid", name)
    _check_day(row, "birth_date")
    if (gender := row.values.get("gender")) is not None:
        mapped = GENDERS.get(clean_text(str(gender)).lower())
        if mapped is None:
            row.error("gender", "gender_invalid", gender)
        else:
            row.values["gender"] = mapped
    _as_text(row, "phone", "bank_account")


def check_policy(row: Checked) -> None:
    change = _check_change_type(row, set(POLICY_CHANGES))
    check_info(row)
    if change is None:
        return
    for key in POLICY_REQUIRED[change]:
        if row.values.get(key) is None:
            row.error(key, "required")
    if (month := row.values.get("effective_month")) is not None:
        parsed = parse_period(month)
        if isinstance(parsed, str):
            row.error("effective_month", "month_invalid", month)
        else:
            row.values["effective_month"] = month_text(parsed)
    if (raw := row.values.get("monthly_amount")) is not None:
        amount = parse_amount(raw)
        if amount is None:
            row.error("monthly_amount", "amount_invalid", raw)
        else:
            row.values["monthly_amount"] = amount
    _check_day(row, "decision_date")
    _check_day(row, "death_date")
    _as_text(row, "category", "decision_no", "ethnicity", "village")
    if change in ("Tăng thêm", "Điều chỉnh"):
        _check_children(row)


PER_CHILD = "DON_THAN"  # the single-parent allowance is per child: the decision says how many


def _check_children(row: Checked) -> None:
    """Required (1–50) for a single parent (DON_THAN); absent (or 1) for any other category."""
    raw = row.values.get("children")
    if raw is None:
        if row.values.get("category") == PER_CHILD:
            row.error("children", "required")
        return
    children = parse_amount(raw)
    if children is None or not 1 <= children <= 50:
        row.error("children", "children_invalid", raw)
    elif row.values.get("category") != PER_CHILD and children != 1:
        row.error("children", "children_not_applicable", raw)
    else:
        row.values["children"] = children


def _check_day(row: Checked, key: str) -> None:
    """A day, stored as ``YYYY-MM-DD``."""
    if (value := row.values.get(key)) is not None:
        parsed = as_date(value)
        if parsed is None:
            row.error(key, "date_invalid", value)
        else:
            row.values[key] = parsed.isoformat()


def _as_text(row: Checked, *keys: str) -> None:
    """Codes and numbers Excel made numeric are kept as the text they are."""
    for key in keys:
        if isinstance(row.values.get(key), int):
            row.values[key] = str(row.values[key])
