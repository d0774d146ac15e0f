"""Decision records (*hồ sơ quyết định*): what a policy decision changed, in the officer's words,
and the values the printed decision shows (seed "Beneficiary management": decision templates,
printing decisions)."""

from __future__ import annotations

from datetime import date
from typing import Any

from btxh_common.clock import month_text

# What each recorded action decides, as the printed decision names it.
ACTION_VI = {
    "register": "Trợ cấp xã hội hằng tháng",
    "import_new": "Trợ cấp xã hội hằng tháng",
    "add_policy": "Trợ cấp xã hội hằng tháng",
    "adjust": "Điều chỉnh mức trợ cấp xã hội hằng tháng",
    "import_adjust": "Điều chỉnh mức trợ cấp xã hội hằng tháng",
    "stop": "Thôi hưởng trợ cấp xã hội hằng tháng",
    "import_stop": "Thôi hưởng trợ cấp xã hội hằng tháng",
    "suspend": "Tạm dừng trợ cấp xã hội hằng tháng",
    "resume": "Tiếp tục trợ cấp xã hội hằng tháng",
    "death": "Cắt trợ cấp do đối tượng qua đời",
    "import_death": "Cắt trợ cấp do đối tượng qua đời",
    "delete_policy": "Xóa chế độ trợ cấp",
    "restore": "Khôi phục dữ liệu đối tượng",
    "migrated": "Trạng thái chuyển từ dữ liệu cũ",
}
STATUS_VI = {
    "active": "đang hưởng",
    "suspended": "tạm dừng",
    "under_review": "đang xét duyệt",
    "stopped": "thôi hưởng",
    "deceased": "đã chết",
    "removed": "không chi trả (thời gian bị xóa)",
}


def coefficient_vi(tenths: int) -> str:
    """15 → ``1,5`` (the Vietnamese decimal comma)."""
    whole, tenth = divmod(tenths, 10)
    return f"{whole},{tenth}" if tenth else str(whole)


def change_vi(d: dict[str, Any]) -> str:
    """The change a decision made, in one Vietnamese sentence."""
    parts = [ACTION_VI.get(d["action"], d["action"])]
    if d.get("category"):
        text = f"nhóm {d['category']}"
        if d.get("coefficient"):
            text += f", hệ số {coefficient_vi(d['coefficient'])}"
        if d.get("children"):
            text += f", {d['children']} con"
        parts.append(text)
    if d.get("status"):
        parts.append(f"trạng thái: {STATUS_VI.get(d['status'], d['status'])}")
    parts.append(f"từ tháng {month_vi(d['effective_month'])}")
    return "; ".join(parts)


def month_vi(month: date) -> str:
    return f"{month.month:02d}/{month.year}"


def day_vi(day: date | None) -> str:
    if day is None:
        return "ngày … tháng … năm …"
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def printed(d: dict[str, Any], units: dict[str, str], fallback_signer: str) -> dict[str, str]:
    """The values the decision template shows: the district's header, the person, the change."""
    district = units.get("district", "")
    return {
        "authority": "ỦY BAN NHÂN DÂN",
        "district_upper": district.upper(),
        "province": units.get("province", ""),
        "place": district,
        "decision_no": d.get("decision_no") or "…",
        "decision_date": day_vi(d.get("decision_date")),
        "title": ACTION_VI.get(d["action"], d["action"]),
        "full_name": d["full_name"],
        "birth_date": d["birth_date"].strftime("%d/%m/%Y") if d.get("birth_date") else "",
        "national_id": d.get("national_id") or "",
        "commune": units.get("commune", ""),
        "change": change_vi(d),
        "effective_month": month_vi(d["effective_month"]),
        "signer": d.get("signer") or fallback_signer,
        "record": f"{d['id']} ({month_text(d['effective_month'])})",
    }
