"""Reading in a child process: the same answer as reading in place, a refusal with its code,
and a child that runs out of memory or time reported as dead instead of taking the caller
down (no database, no broker: only the child process)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from import_svc.adapters.child_reader import ReadDied, Reading, read_file
from import_svc.adapters.templates import write_workbook
from import_svc.adapters.workbook import FileRefused, Limits, read_sheet

MIB = 1024 * 1024


def template(people: int = 3) -> bytes:
    out = io.BytesIO()
    write_workbook(
        "arrears",
        [
            {
                "beneficiary_id": f"b-{n}",
                "national_id": f"001085{n:06d}",
                "full_name": "Nguyễn Văn An",
                "commune_code": "00101",
                "change_type": "Điều chỉnh thông tin, CS",
            }
            for n in range(people)
        ],
        out,
    )
    return out.getvalue()


def sparse(last_cell: str) -> bytes:
    """A workbook of two cells, A1 and ``last_cell``: a few KB for a grid that is not."""
    book = openpyxl.Workbook()
    book.active["A1"] = "Số CCCD/CMND"
    book.active[last_cell] = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_file_read_in_a_child_gives_the_rows_read_in_place() -> None:
    book = openpyxl.load_workbook(io.BytesIO(template()))
    book["DuLieu"].row_dimensions[3].hidden = True
    book["DuLieu"]["G4"] = "=1+1"
    out = io.BytesIO()
    book.save(out)
    sheet = await read_file(out.getvalue(), "arrears", Reading())
    assert sheet == read_sheet(out.getvalue(), "arrears", Limits())
    assert [r.row_no for r in sheet.rows] == [2, 3, 4]
    assert sheet.rows[1].values["national_id"] == "001085000001"
    assert (sheet.rows[1].hidden, sheet.rows[2].issues) == (
        True,
        {"arrears_period": "formula_not_allowed"},
    )


async def test_a_refusal_in_the_child_comes_back_with_its_code_and_reason() -> None:
    with pytest.raises(FileRefused) as refused:
        await read_file(b"not a workbook at all", "arrears", Reading())
    assert refused.value.code == "not_a_workbook"
    assert "Excel" in refused.value.message_vi


async def test_a_child_out_of_memory_dies_alone_and_is_reported() -> None:
    # 200 001 rows x 40 columns: within a limit of 200 000 rows and the column limit, but the
    # reader's dense grid of 8M cells does not fit in 256 MiB
    data = sparse("AN200001")
    assert len(data) < 10_000
    with pytest.raises(ReadDied):
        await read_file(data, "arrears", Reading(Limits(max_rows=200_000), memory_bytes=256 * MIB))


async def test_a_child_past_its_time_limit_is_killed_and_reported() -> None:
    with pytest.raises(ReadDied) as died:
        await read_file(template(), "arrears", Reading(seconds=0.01))
    assert died.value.reason == "timeout"


def test_a_refusal_survives_the_trip_between_processes() -> None:
    import pickle

    refused = pickle.loads(pickle.dumps(FileRefused("zip_bomb", "Tệp nén bất thường")))
    assert (refused.code, refused.message_vi) == ("zip_bomb", "Tệp nén bất thường")
