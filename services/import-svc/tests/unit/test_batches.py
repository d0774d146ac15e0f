"""A batch's life and its rows' way through it: when a batch may be edited, validated again
or confirmed (with the codes officers get), the split by commune, and the row contract of
``ImportConfirmed``."""

from __future__ import annotations

from datetime import date

import pytest
from btxh_common.errors import DomainError, InvalidInput, TooLarge
from import_svc.adapters.batches import guard
from import_svc.domain.batch import (
    FINAL,
    Event,
    Progress,
    Status,
    amount_field,
    applied_status,
    check_upload,
    check_upload_size,
    ensure_confirmable,
    ensure_editable,
    ensure_in_review,
    sources,
    target,
    transition,
)
from import_svc.domain.findings import Checked
from import_svc.domain.rows import (
    RawRow,
    by_commune,
    confirmed_row,
    flags,
    found_in,
    jsonable,
    keep_in_commune,
    staged,
)

# ---------------------------------------------------------------- guards


def test_an_upload_needs_at_least_one_file_and_at_most_the_limit() -> None:
    with pytest.raises(InvalidInput) as none:
        check_upload(0, 50)
    assert none.value.code == "no_files"
    with pytest.raises(InvalidInput) as many:
        check_upload(51, 50)
    assert (many.value.code, many.value.message_vi) == ("too_many_files", "Tối đa 50 tệp mỗi lần")
    check_upload(50, 50)


def test_rows_are_edited_only_while_the_batch_is_in_review() -> None:
    ensure_editable("awaiting_review")
    with pytest.raises(InvalidInput) as refused:
        ensure_editable("confirmed")
    assert refused.value.code == "not_in_review"
    assert refused.value.message_vi == "Lô đang ở trạng thái confirmed: không sửa được"


def test_a_batch_is_validated_again_only_while_in_review() -> None:
    ensure_in_review("awaiting_review")
    with pytest.raises(DomainError) as refused:
        ensure_in_review("applied")
    assert not isinstance(refused.value, InvalidInput), "a conflict (409), not bad input"
    assert refused.value.code == "not_in_review"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("confirmed", "already_confirmed"),
        ("applied", "already_confirmed"),
        ("failed", "batch_failed"),
    ],
)
def test_a_batch_is_confirmed_once(status: str, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        ensure_confirmable(status, "00101", 0, 0, skip_invalid=False)
    assert refused.value.code == code
    assert refused.value.message_vi == f"Lô đã ở trạng thái {status}: không xác nhận lại được"


def test_a_batch_without_a_commune_cannot_be_confirmed() -> None:
    with pytest.raises(DomainError) as refused:
        ensure_confirmable("awaiting_review", None, 0, 0, skip_invalid=False)
    assert refused.value.code == "commune_unknown"


def test_invalid_or_duplicate_rows_left_block_confirmation_unless_skipped() -> None:
    with pytest.raises(DomainError) as refused:
        ensure_confirmable("awaiting_review", "00101", 2, 1, skip_invalid=False)
    assert refused.value.code == "invalid_rows_left"
    assert refused.value.message_vi.startswith("Còn 3 dòng lỗi hoặc trùng")
    ensure_confirmable("awaiting_review", "00101", 2, 1, skip_invalid=True)


def test_edited_rows_not_validated_again_block_confirmation_even_when_skipping() -> None:
    for skip in (False, True):
        with pytest.raises(DomainError) as refused:
            ensure_confirmable("awaiting_review", "00101", 0, 0, skip, unvalidated=2)
        assert not isinstance(refused.value, InvalidInput), "a conflict (409)"
        assert refused.value.code == "rows_not_validated"
        assert refused.value.message_vi.startswith("Còn 2 dòng đã sửa chưa được kiểm tra lại")
    ensure_confirmable("awaiting_review", "00101", 0, 0, skip_invalid=False, unvalidated=0)


def test_an_upload_says_its_size_and_stays_within_the_limit() -> None:
    check_upload_size(200 * 1024 * 1024, 200 * 1024 * 1024)
    with pytest.raises(TooLarge) as large:
        check_upload_size(200 * 1024 * 1024 + 1, 200 * 1024 * 1024)
    assert large.value.code == "upload_too_large"
    assert "200 MB" in large.value.message_vi
    with pytest.raises(InvalidInput) as unknown:
        check_upload_size(None, 200 * 1024 * 1024)
    assert not isinstance(unknown.value, TooLarge)
    assert unknown.value.code == "upload_length_missing"


def test_a_batch_with_rejected_rows_is_partially_applied() -> None:
    assert applied_status(any_rejected=False) == "applied"
    assert applied_status(any_rejected=True) == "partially_applied"


def test_only_an_arrears_transfer_carries_a_total_amount() -> None:
    assert amount_field("arrears") == "arrears_amount"
    assert (amount_field("info"), amount_field("policy")) == (None, None)


# ---------------------------------------------------------------- rows


def test_what_reading_found_travels_with_the_row_as_flags() -> None:
    found = RawRow(2, {"a": 1}, issues={"a": "merged_cell"}, numeric_id=True, hidden=True)
    assert flags(found) == {"issues": {"a": "merged_cell"}, "hidden": True, "numeric_id": True}
    assert flags(RawRow(3, {})) == {}


def test_staged_rows_keep_their_file_and_store_dates_as_text() -> None:
    files = [[RawRow(2, {"d": date(2026, 1, 2)})], [RawRow(2, {"d": None}, hidden=True)]]
    assert staged(files) == [
        {"row_no": 2, "values": {"d": "2026-01-02"}, "flags": {}, "file": 0},
        {"row_no": 2, "values": {"d": None}, "flags": {"hidden": True}, "file": 1},
    ]
    assert jsonable({"n": 1, "t": "x"}) == {"n": 1, "t": "x"}


def checked(row_no: int, commune: str | None) -> Checked:
    return Checked(row_no=row_no, values={}, commune_code=commune)


def test_a_file_is_split_into_one_batch_per_commune_in_commune_order() -> None:
    rows = [checked(2, "00102"), checked(3, None), checked(4, "00101"), checked(5, "00102")]
    split = [(c, [r.row_no for r in part]) for c, part in by_commune(rows)]
    assert split == [(None, [3]), ("00101", [4]), ("00102", [2, 5])]


def test_a_file_without_rows_still_makes_one_batch() -> None:
    assert by_commune([]) == [(None, [])]


def test_on_revalidation_a_row_of_another_commune_is_an_error_not_a_move() -> None:
    moved, staying = checked(2, "00102"), checked(3, "00101")
    keep_in_commune([moved, staying], "00101")
    assert [(e["field"], e["code"]) for e in moved.errors] == [("commune_code", "commune_mismatch")]
    assert staying.errors == []


def test_confirmed_arrears_rows_carry_the_amount_as_an_integer_and_the_month() -> None:
    row = {
        "row_no": 4,
        "beneficiary_id": "b-1",
        "values": {"national_id": "001085012345", "arrears_amount": 0, "arrears_period": None},
    }
    assert confirmed_row("arrears", row) == {
        "row_no": 4,
        "beneficiary_id": "b-1",
        "national_id": "001085012345",
        "arrears_amount": 0,
        "arrears_period": None,
    }


def test_confirmed_information_rows_carry_only_the_fields_given() -> None:
    values = {"national_id": "1", "full_name": "A", "phone": None, "commune_code": "00101"}
    row = {"row_no": 2, "beneficiary_id": "b", "values": values}
    assert confirmed_row("info", row) == {
        "row_no": 2,
        "beneficiary_id": "b",
        "national_id": "1",
        "full_name": "A",
    }


@pytest.mark.parametrize(
    ("written", "sent"),
    [("Tăng thêm", "new"), ("Điều chỉnh", "adjust"), ("Thôi hưởng", "stop"), ("Cắt chết", "death")],
)
def test_confirmed_policy_rows_name_the_change_in_the_contracts_words(
    written: str, sent: str
) -> None:
    values = {"national_id": None, "change_type": written, "commune_code": "00101", "gender": None}
    row = {"row_no": 2, "beneficiary_id": None, "values": values}
    assert confirmed_row("policy", row) == {
        "row_no": 2,
        "beneficiary_id": None,
        "national_id": None,
        "change_type": sent,
        "commune_code": "00101",
    }


# ---------------------------------------------------------------- the state machine


def test_the_batch_lifecycle_is_the_one_domain_md_draws() -> None:
    # DOMAIN "Excel imports": uploaded (parsing) → awaiting_review → confirmed → applied or
    # partially_applied; failed for a file that could not be read; refused by the register
    assert transition("parsing", "parsed") == "awaiting_review"
    assert transition("parsing", "read_failed") == "failed"
    assert transition("awaiting_review", "confirm") == "confirmed"
    assert transition("confirmed", "applied") == "applied"
    assert transition("confirmed", "partially_applied") == "partially_applied"
    assert transition("confirmed", "refused") == "refused"


@pytest.mark.parametrize("status", ["failed", "applied", "partially_applied", "refused"])
def test_nothing_moves_a_batch_out_of_a_final_state(status: Status) -> None:
    events: list[Event] = ["parsed", "read_failed", "confirm", "applied", "refused"]
    assert [transition(status, e) for e in events] == [None] * len(events)
    assert status in FINAL


def test_a_batch_is_confirmed_only_from_review_and_applied_only_once_confirmed() -> None:
    assert transition("parsing", "confirm") is None
    assert transition("awaiting_review", "applied") is None
    assert transition("confirmed", "confirm") is None


# DOMAIN "Excel imports", by hand: every move a batch may make; any other (status, event) is
# refused. The adapters' updates guard with what the table derives from these.
STATUSES: list[Status] = [
    "parsing",
    "awaiting_review",
    "failed",
    "confirmed",
    "applied",
    "partially_applied",
    "refused",
]
EVENTS: list[Event] = [
    "parsed",
    "read_failed",
    "confirm",
    "applied",
    "partially_applied",
    "refused",
]
MOVES: dict[tuple[str, str], str] = {
    ("parsing", "parsed"): "awaiting_review",
    ("parsing", "read_failed"): "failed",
    ("awaiting_review", "confirm"): "confirmed",
    ("confirmed", "applied"): "applied",
    ("confirmed", "partially_applied"): "partially_applied",
    ("confirmed", "refused"): "refused",
}
REFUSED = [(s, e) for s in STATUSES for e in EVENTS if (s, e) not in MOVES]


@pytest.mark.parametrize(("status", "event"), list(MOVES))
def test_each_move_of_the_lifecycle_is_allowed_and_guarded_from_its_status(
    status: Status, event: Event
) -> None:
    assert transition(status, event) == MOVES[status, event]
    assert status in sources(event)
    assert target(event) == MOVES[status, event]
    assert guard(event) == (MOVES[status, event], sources(event))


@pytest.mark.parametrize(("status", "event"), REFUSED)
def test_each_other_move_is_refused_and_left_out_of_the_guard(status: Status, event: Event) -> None:
    assert transition(status, event) is None
    assert status not in sources(event)
    assert status not in guard(event)[1]


def test_the_guards_name_exactly_the_statuses_each_event_leaves() -> None:
    assert len(REFUSED) == len(STATUSES) * len(EVENTS) - 6
    assert {e: sources(e) for e in EVENTS} == {
        "parsed": ["parsing"],
        "read_failed": ["parsing"],
        "confirm": ["awaiting_review"],
        "applied": ["confirmed"],
        "partially_applied": ["confirmed"],
        "refused": ["confirmed"],
    }


def test_progress_adds_up_rows_read_validated_and_staged() -> None:
    p = Progress("staging").more(read=5, validated=5).more(staged=5).more(read=2)
    assert (p.phase, p.read, p.validated, p.staged) == ("staging", 7, 5, 5)


def test_a_chunk_from_the_child_is_validated_as_the_same_rows_read_in_place() -> None:
    sent = [
        (
            2,
            {"national_id": "001085000001", "birth_date": date(1950, 1, 2)},
            {},
            False,
            False,
            None,
        ),
        (3, {"national_id": 1085000002}, {"full_name": "merged_cell"}, True, True, {"x": "C"}),
    ]
    in_place = staged([[RawRow(*r) for r in sent]])
    assert found_in(sent) == [{k: v for k, v in s.items() if k != "file"} for s in in_place]
    assert found_in(sent)[0]["values"]["birth_date"] == "1950-01-02"
    assert found_in(sent)[1]["flags"] == {
        "issues": {"full_name": "merged_cell"},
        "hidden": True,
        "numeric_id": True,
        "columns": {"x": "C"},
    }
