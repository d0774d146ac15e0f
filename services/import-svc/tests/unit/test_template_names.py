"""A district's template .zip names each commune's workbook ``<code> - <name>.xlsx``: the name
as the national list writes it (NFC), without what Windows refuses in a file name."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

from import_svc.adapters.templates import write_template
from import_svc.domain.columns import entry_name


def test_an_entry_is_named_by_commune_code_and_name() -> None:
    assert entry_name("00001", "Phường Phúc Xá") == "00001 - Phường Phúc Xá.xlsx"


def test_an_entry_name_is_nfc_whatever_form_the_name_came_in() -> None:
    name = entry_name("00001", unicodedata.normalize("NFD", "Phường Phúc Xá"))
    assert name == "00001 - Phường Phúc Xá.xlsx"
    assert unicodedata.is_normalized("NFC", name)


def test_an_entry_name_drops_what_windows_refuses() -> None:
    assert entry_name("00002", 'Xã A/B: "C" <D>|E?*\\F. ') == "00002 - Xã A B C D E F.xlsx"


def test_a_commune_without_a_name_is_named_by_its_code() -> None:
    assert entry_name("99999", None) == "99999.xlsx"


def test_a_district_zip_names_its_workbooks_by_commune_code_and_name(tmp_path: Path) -> None:
    people = [
        {
            "beneficiary_id": f"b-{code}",
            "national_id": "001085012345",
            "full_name": "Nguyễn Văn An",
            "commune_code": code,
        }
        for code in ("00004", "00001")
    ]
    target = write_template("arrears", people, "001", None, tmp_path)
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        flags = [i.flag_bits & 0x800 for i in archive.infolist()]
    assert names == ["00001 - Phường Phúc Xá.xlsx", "00004 - Phường Trúc Bạch.xlsx"]
    assert all(flags), "UTF-8 names are flagged so (Windows unzip reads them as such)"
