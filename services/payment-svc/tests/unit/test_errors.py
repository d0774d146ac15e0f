"""Every refusal answers the status, code and text officers got before the move."""

from __future__ import annotations

from datetime import date

import pytest
from btxh_common.errors import DomainError
from btxh_common.problems import domain_problem
from payment_svc.domain import errors

SEPTEMBER = date(2024, 9, 1)


@pytest.mark.parametrize(
    ("error", "status", "code", "text"),
    [
        (errors.NoLevel(), 422, "no_level", "Chưa có mức chuẩn trợ giúp xã hội cho tháng này"),
        (errors.PeriodExists(), 409, "period_exists", "Kỳ chi trả này đã được mở"),
        (
            errors.PeriodNotFound(SEPTEMBER),
            404,
            "period_not_found",
            "Chưa mở kỳ chi trả tháng 2024-09",
        ),
        (
            errors.PeriodLocked(SEPTEMBER),
            409,
            "period_locked",
            "Kỳ chi trả tháng 2024-09 đã khóa: không thay đổi được",
        ),
        (
            errors.PullNotPast(),
            422,
            "pull_not_past",
            "Chỉ chuyển được tiền chưa nhận của tháng trước đó",
        ),
        (
            errors.PullFromSettled(SEPTEMBER),
            409,
            "pull_from_settled",
            "Danh sách tháng 2024-09 đã quyết toán: không chuyển được",
        ),
        (errors.ListNotFound(), 404, "list_not_found", "Không tìm thấy danh sách chi trả"),
        (
            errors.ListSettled(),
            409,
            "list_settled",
            "Danh sách đã quyết toán: không lập lại được",
        ),
        (
            errors.ListAtPaymentUnit(),
            409,
            "list_at_payment_unit",
            "Đơn vị chi trả đã nhận danh sách: không lập phiên bản mới được",
        ),
        (
            errors.ListHasPayments(),
            409,
            "list_has_payments",
            "Danh sách đã có người được chi trả: không lập phiên bản mới được",
        ),
        (
            errors.ListNotDraft(),
            409,
            "list_not_draft",
            "Chỉ xóa được danh sách chưa gửi (bản nháp)",
        ),
        (errors.ListAlreadySubmitted(), 409, "list_already_submitted", "Danh sách đã được gửi"),
        (
            errors.ListNotPayable(),
            409,
            "list_not_payable",
            "Danh sách ở trạng thái này không cập nhật trạng thái chi trả được",
        ),
        (
            errors.IntegratedDistrict(),
            403,
            "integrated_district",
            "Huyện chi trả qua đơn vị chi trả tích hợp: trạng thái do đơn vị chi trả báo về; "
            "cập nhật tay cần quyền giám sát",
        ),
        (errors.NoStatusGiven(), 422, "no_status", "Chưa có trạng thái nào để cập nhật"),
        (
            errors.LineNotInList("999999999999"),
            422,
            "line_not_in_list",
            "Không có dòng chi trả 999999999999 trong danh sách",
        ),
        (errors.LineNotFound(), 404, "line_not_found", "Không tìm thấy dòng chi trả"),
        (errors.LineNotSplittable(), 409, "line_not_splittable", "Dòng này không tách được nữa"),
        (errors.LinePaid(), 409, "line_paid", "Dòng đã chi trả: không tách được"),
        (
            errors.LineCarriedOver(),
            409,
            "line_carried_over",
            "Tiền của dòng này đã chuyển sang kỳ sau: không đổi được",
        ),
        (
            errors.SplitSumMismatch(1_420_000),
            422,
            "split_sum_mismatch",
            "Cần ít nhất 2 phần. mỗi phần > 0 và tổng bằng 1.420.000 đồng",
        ),
    ],
)
def test_a_refusal_keeps_its_status_code_and_vietnamese_text(
    error: DomainError, status: int, code: str, text: str
) -> None:
    problem = domain_problem(error).body()
    assert (problem["status"], problem["code"], problem["detail"]) == (status, code, text)
