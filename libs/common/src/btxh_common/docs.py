"""API docs pages (``/docs``, ``/redoc``) that load nothing from the internet.

FastAPI's own pages fetch Swagger UI, ReDoc, a favicon and Google fonts from public CDNs, so
on an officer's internal network they are blank. Here the same pages load a packaged copy of
the assets (the PyPI package ``fastapi-offline``: Swagger UI 5 and ReDoc 2 bundles, MIT),
served by the service itself under ``/docs-assets/``. Every service gets them through
``create_app``; another FastAPI app (the officer console) calls :func:`mount_local_docs`.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
# Swagger UI's validator badge would call validator.swagger.io: never.
SWAGGER_PARAMETERS = {"validatorUrl": None}
# The bundles still name a few outside addresses (ReDoc's "Redocly" logo on cdn.redoc.ly):
# the browser is told to load nothing but the service's own assets, so it never asks (the
# logo hides itself when it cannot load).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def mount_local_docs(
    app: FastAPI, docs_url: str = "/docs", redoc_url: str | None = "/redoc"
) -> None:
    """Serve Swagger UI at ``docs_url`` and ReDoc at ``redoc_url`` from local assets.

    The app must be built with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages off).
    URLs honour the ASGI ``root_path`` (a service behind a path prefix).
    """
    if app.docs_url is not None or app.redoc_url is not None:
        raise ValueError("build the app with docs_url=None and redoc_url=None first")
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
                swagger_ui_parameters={**SWAGGER_PARAMETERS, **(app.swagger_ui_parameters or {})},
            )
        )

    if redoc_url is None:
        return

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
                with_google_fonts=False,
            )
        )
