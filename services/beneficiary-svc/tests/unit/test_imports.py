"""What a confirmed import answers: each rejected row with why, the rest applied, or the whole
batch refused."""

from datetime import date

import pytest
from beneficiary_svc.domain.imports import (
    applied_rows,
    locked_refusal,
    rejected_rows,
    transfer_refusal,
)
from btxh_common.events import RejectedRow


def test_a_rejected_row_carries_its_code_and_the_officers_message() -> None:
    assert rejected_rows([(4, "commune_mismatch"), (9, "duplicate_row")]) == [
        RejectedRow(
            row_no=4, code="commune_mismatch", message_vi="Đối tượng không thuộc xã của lô dữ liệu"
        ),
        RejectedRow(
            row_no=9,
            code="duplicate_row",
            message_vi="Đối tượng xuất hiện nhiều lần trong lô dữ liệu",
        ),
    ]


@pytest.mark.parametrize(
    "code",
    [
        "not_found",
        "commune_mismatch",
        "beneficiary_removed",
        "national_id_changed",
        "national_id_duplicated",
        "duplicate_row",
    ],
)
def test_every_recheck_code_has_a_message(code: str) -> None:
    [row] = rejected_rows([(2, code)])
    assert row.message_vi


def test_the_rows_not_rejected_are_applied_in_file_order() -> None:
    rows = [{"row_no": n} for n in (2, 3, 4, 5, 99)]
    rejected = [RejectedRow(row_no=n, code="duplicate_row", message_vi="x") for n in (3, 99)]
    assert applied_rows(rows, rejected) == [2, 4, 5]


def test_nothing_rejected_applies_every_row() -> None:
    assert applied_rows([{"row_no": 7}, {"row_no": 2}], []) == [7, 2]


def test_a_locked_register_refuses_the_batch_naming_the_locked_month() -> None:
    assert locked_refusal(date(2026, 11, 1)) == RejectedRow(
        row_no=0,
        code="data_locked",
        message_vi="Dữ liệu tháng 2026-11 đã được chốt; lô không được áp dụng",
    )


def test_a_transfer_that_does_not_match_its_manifest_is_refused_with_the_transfer_code() -> None:
    refused = transfer_refusal("manifest_mismatch")
    assert (refused.row_no, refused.code) == (0, "manifest_mismatch")
    assert "không khớp" in refused.message_vi
    assert transfer_refusal(None).code == "transfer_rejected"
