"""The HTTP API officers call is the one it was: the same operations on the same paths."""

from __future__ import annotations

from payment_svc.app import app


def test_the_service_answers_the_same_operations_on_the_same_paths() -> None:
    spec = app.openapi()
    operations = {
        (method.upper(), path, op["operationId"])
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/v1/")
    }
    d, dm = "/v1/districts/{district}", "/v1/districts/{district}/periods/{month}"
    assert {(m, p) for m, p, _ in operations} == {
        ("POST", f"{d}/periods"),
        ("GET", f"{d}/periods"),
        ("POST", f"{dm}/lock"),
        ("POST", f"{dm}/unlock"),
        ("POST", f"{dm}/lists"),
        ("GET", f"{dm}/lists"),
        ("POST", f"{dm}/pull"),
        ("PUT", f"{d}/payment-mode"),
        ("GET", "/v1/lists/{list_id}"),
        ("GET", "/v1/lists/{list_id}/lines"),
        ("DELETE", "/v1/lists/{list_id}"),
        ("POST", "/v1/lists/{list_id}/submit"),
        ("POST", "/v1/lists/{list_id}/statuses"),
        ("GET", "/v1/lines/{line_id}/audit"),
        ("POST", "/v1/lines/{line_id}/split"),
        ("GET", f"{dm}/reports/{{name}}"),
        ("POST", f"{d}/recoveries"),
        ("GET", f"{d}/recoveries"),
        ("GET", f"{d}/recoveries/{{recovery_id}}"),
        ("POST", f"{d}/recoveries/{{recovery_id}}/cancel"),
        ("GET", f"{d}/read-position"),
        ("GET", f"{d}/deaths"),
    }
    names = {op.split("_v1_")[0] for _, _, op in operations}
    assert names == {
        "open_period",
        "periods",
        "lock",
        "unlock",
        "generate",
        "period_lists",
        "pull",
        "payment_mode",
        "get_list",
        "lines",
        "delete",
        "submit",
        "statuses",
        "audit",
        "split",
        "report",
        "create_recovery",
        "recoveries",
        "recovery",
        "cancel_recovery",
        "read_position",
        "deaths",
    }


def test_every_route_that_answers_json_declares_what_it_answers() -> None:
    spec = app.openapi()
    for path, item in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in item.items():
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            if method != "delete":
                assert ok["content"]["application/json"]["schema"], f"{method} {path}"
