"""Every service reads the same way (STYLE.md): SQL only in adapters, a pure domain, short
files and functions, typed events all the way in. These checks keep it so."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p for p in (ROOT / "services").glob("*-svc") if (p / "src").is_dir())
SOURCES = sorted(
    path
    for top in [ROOT / "libs" / "common" / "src", ROOT / "tools" / "src", ROOT / "devtools" / "src"]
    + [svc / "src" for svc in SERVICES]
    + [ROOT / "services" / "gateway" / "src"]  # the console: no domain/, the same sizes
    for path in top.rglob("*.py")
)
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
SQL_CALL = re.compile(r"conn\.(fetch|execute)")


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_sql_is_only_in_adapters(service: Path) -> None:
    outside = [
        f"{relative(path)}:{no}"
        for path in (service / "src").rglob("*.py")
        if "adapters" not in path.parts
        for no, line in enumerate(path.read_text().splitlines(), 1)
        if SQL_CALL.search(line)
    ]
    assert outside == []


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_the_domain_does_no_io(service: Path) -> None:
    forbidden = {"asyncpg", "fastapi", "faststream", "aiokafka"}
    domains = list((service / "src").glob("*/domain"))
    assert domains, f"{service.name} has no domain/ package"
    found = []
    for path in domains[0].rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{relative(path)}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert found == []


def test_no_source_file_is_over_400_lines() -> None:
    long = {
        relative(p): n for p in SOURCES if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                size = (node.end_lineno or node.lineno) - start + 1
                if size > MAX_FUNCTION_LINES:
                    long[f"{relative(path)}:{node.lineno} {node.name}"] = size
    assert long == {}


def test_no_service_reads_an_event_payload_as_a_dict() -> None:
    reads = [
        f"{relative(path)}:{no}"
        for svc in SERVICES
        for path in (svc / "src").rglob("*.py")
        for no, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.payload\[|\.payload\.get\(|envelope\.payload\b", line)
    ]
    assert reads == []
