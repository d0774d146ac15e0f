"""Each template opens in LibreOffice (headless ``--convert-to xlsx``) and comes back whole:
the IDs still text with their leading zeros, the change-type drop-down still on its column,
the defined names a program finds the columns by still there; a text that looks like a formula
stays text, and the current arrears are there as numbers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest
from import_svc.adapters.templates import write_workbook
from import_svc.domain.columns import CHANGE_CHOICES, COLUMNS, Kind, template_row

PERSON = {
    "beneficiary_id": "2f1c1d7e-0000-4000-8000-000000000001",
    "national_id": "001085012345",
    "full_name": '=HYPERLINK("http://x")',  # what a hostile name would try
    "commune_code": "00001",
    "birth_date": None,
    "gender": "male",
    "arrears_amount": 800_000,
    "arrears_period": "2026-09",
}


@pytest.mark.parametrize("kind", ["arrears", "info", "policy"])
def test_a_template_opens_in_libreoffice_and_keeps_ids_drop_down_and_names(
    kind: Kind, tmp_path: Path
) -> None:
    source = tmp_path / "in" / f"{kind}.xlsx"
    source.parent.mkdir()
    with source.open("wb") as out:
        write_workbook(kind, [template_row(kind, PERSON)], out)
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = tmp_path / "out" / f"{kind}.xlsx"
    assert done.returncode == 0, done.stdout + done.stderr
    assert converted.exists(), done.stdout + done.stderr
    assert "repair" not in (done.stdout + done.stderr).lower()

    book = openpyxl.load_workbook(converted)
    sheet = book["DuLieu"]
    letters = {c.key: openpyxl.utils.get_column_letter(i) for i, c in enumerate(COLUMNS[kind], 1)}
    assert sheet[f"{letters['national_id']}2"].value == "001085012345"
    assert sheet[f"{letters['national_id']}1"].value == "Số CCCD/CMND"
    name = sheet[f"{letters['full_name']}2"]
    assert (name.value, name.data_type) == ('=HYPERLINK("http://x")', "s")
    if kind == "arrears":
        assert sheet[f"{letters['arrears_amount']}2"].value == 800_000
        assert sheet[f"{letters['arrears_period']}2"].value == "09/2026"
    names = {n for n in book.defined_names if n.startswith("btxh.")}
    assert names == {f"btxh.{c.key}" for c in COLUMNS[kind]}
    (drop_down,) = [
        v for v in sheet.data_validations.dataValidation if letters["change_type"] in str(v.sqref)
    ]
    assert drop_down.type == "list"
    assert f"{letters['change_type']}500" in drop_down.sqref  # rows an officer adds have it too
    choices = book["DanhMuc"]
    assert choices.sheet_state == "hidden"
    listed = [choices.cell(r, 1).value for r in range(1, len(CHANGE_CHOICES[kind]) + 1)]
    assert listed == CHANGE_CHOICES[kind]
