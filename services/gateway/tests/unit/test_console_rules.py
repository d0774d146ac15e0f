"""The console's own rules without any service: formats officers read, a service's refusal
said in Vietnamese, the token it signs, the idle timeout, CSRF on the login form."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import httpx
import jwt
import pytest
from btxh_common.auth import Role
from btxh_gateway import labels, web
from btxh_gateway.accounts import Officer
from btxh_gateway.app import create_app
from btxh_gateway.services import problem_of
from btxh_gateway.settings import GatewaySettings
from btxh_gateway.tokens import load_signer
from btxh_tools.console import Account, write_accounts
from btxh_tools.tokens import SigningKey
from fastapi.testclient import TestClient

KEY = SigningKey.generate("unit-gateway")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def test_numbers_months_and_dates_as_officers_write_them() -> None:
    assert labels.money(1_500_000) == "1.500.000 đ"
    assert labels.money(0) == "0 đ"
    assert labels.month("2026-11") == "11/2026"
    assert labels.month(date(2027, 1, 1)) == "01/2027"
    assert labels.day("2026-11-05") == "05/11/2026"
    assert labels.day("2026-11-05T17:30:00+00:00") == "06/11/2026 00:30"  # Vietnam's time
    assert labels.month_input("03/2027") == "2027-03"
    assert labels.month_input("13-2027") == "13-2027"  # left for the service to refuse


def test_a_refusal_is_said_in_vietnamese_never_as_json() -> None:
    body = {
        "type": "urn:btxh:problem:validation_failed",
        "title": "Dữ liệu không hợp lệ",
        "status": 422,
        "code": "validation_failed",
        "detail": "Dữ liệu không hợp lệ",
        "errors": [{"field": "month", "code": "string_pattern_mismatch",
                    "message_vi": "Giá trị không hợp lệ: không đúng định dạng"}],
    }  # fmt: skip
    error = problem_of(httpx.Response(422, json=body), "payment")
    assert (error.status, error.code, error.title) == (422, "validation_failed", body["title"])
    assert error.items == ["month: Giá trị không hợp lệ: không đúng định dạng"]
    plain = problem_of(httpx.Response(502, text="<html>Bad gateway</html>"), "payment")
    assert plain.title == "Dịch vụ chi trả báo lỗi (mã 502)"


def settings(tmp_path: Path, **more: object) -> GatewaySettings:
    accounts = write_accounts(
        tmp_path / "accounts.json",
        [Account("canbo.001", "mk", "Nguyễn Thị Lan", Role.DISTRICT_OFFICER, ("001",))],
    )
    return GatewaySettings(
        accounts_file=str(accounts),
        signing_key=json.dumps(KEY.private_jwk()),
        secure_cookie=False,
        **more,  # type: ignore[arg-type]
    )


def test_the_token_is_short_lived_and_names_the_officer_role_and_units(tmp_path: Path) -> None:
    signer = load_signer(settings(tmp_path, token_ttl_seconds=120))
    officer = Officer("canbo.001", "Lan", Role.DISTRICT_OFFICER, ("001",))
    token = signer.token(officer)
    assert jwt.get_unverified_header(token)["kid"] == "unit-gateway"
    claims = jwt.decode(
        token, KEY.private.public_key(), algorithms=["EdDSA"], audience="btxh",
        issuer="btxh-gateway",
    )  # fmt: skip
    assert (claims["sub"], claims["role"], claims["units"]) == (
        "canbo.001",
        "district_officer",
        ["001"],
    )
    assert claims["exp"] - claims["iat"] == 120


def login(client: TestClient) -> None:
    page = client.get("/dang-nhap")
    token = CSRF.search(page.text)
    assert token
    answer = client.post(
        "/dang-nhap",
        data={"csrf": token[1], "username": "canbo.001", "password": "mk", "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_a_session_idle_longer_than_the_timeout_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings(tmp_path, idle_minutes=30))
    with TestClient(app) as client:
        login(client)
        assert client.get("/d/001/", follow_redirects=False).status_code == 200
        now = web.time.time()
        monkeypatch.setattr(web.time, "time", lambda: now + 29 * 60)
        assert client.get("/d/001/", follow_redirects=False).status_code == 200
        monkeypatch.setattr(web.time, "time", lambda: now + 29 * 60 + 31 * 60)
        gone = client.get("/d/001/", follow_redirects=False)
        assert gone.status_code == 303
        assert "expired=1" in gone.headers["location"]
        again = client.get(gone.headers["location"])
        assert "Phiên làm việc đã hết hạn" in again.text
        assert client.get("/d/001/", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_in_vietnamese(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        page = client.get("/dang-nhap")
        token = CSRF.search(page.text)
        assert token
        answer = client.post(
            "/dang-nhap", data={"csrf": token[1], "username": "canbo.001", "password": "sai"}
        )
        assert answer.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in answer.text
        assert client.get("/d/001/", follow_redirects=False).status_code == 303


def test_pages_load_nothing_from_elsewhere_and_big_bodies_are_refused_unread(
    tmp_path: Path,
) -> None:
    with TestClient(create_app(settings(tmp_path, max_upload_bytes=4096))) as client:
        page = client.get("/dang-nhap")
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["cache-control"] == "no-store"
        assert "http" not in page.text.split("<main")[0].replace('charset="utf-8"', "")
        big = client.post(
            "/d/001/cap-nhat-excel/tai-len",
            content=b"x" * 5000,
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
        assert big.status_code == 413
        assert "vượt quá" in big.text
