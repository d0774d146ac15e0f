"""Officers' networks are internal: every service's ``/docs`` and ``/redoc`` page loads only
what the service itself serves (issue 18). Checked on the four services as real processes:
the page names no internet address, and every asset it names answers 200 with the content
type a browser needs to run or style it."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx
from btxh_tools.harness import Stack

# src="…", href="…", url: '…', spec-url="…": everything the page makes the browser fetch
REFERENCES = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")
ANY_URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}


def referenced(html: str) -> list[str]:
    return [a or b for a, b in REFERENCES.findall(html)]


def kind(url: str) -> str:
    path = urlsplit(url).path
    return ".json" if path.endswith("openapi.json") else path[path.rfind(".") :]


async def check_page(http: httpx.AsyncClient, page_url: str) -> list[str]:
    """The page's references, after checking it names no outside host and each loads."""
    page = await http.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    outside = [u for u in ANY_URL.findall(page.text) if urlsplit(u).hostname not in LOOPBACK]
    assert outside == [], f"{page_url} loads from the internet: {outside}"
    refs = referenced(page.text)
    for ref in refs:
        asset = await http.get(urljoin(page_url, ref))
        assert asset.status_code == 200, (page_url, ref, asset.status_code)
        content_type = asset.headers["content-type"].split(";")[0].strip()
        assert content_type in CONTENT_TYPES[kind(ref)], (ref, content_type)
        assert len(asset.content) > 0, ref
    return refs


async def test_every_services_api_docs_load_nothing_from_the_internet(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        for name, url in stack.urls.items():
            swagger = await check_page(http, url + "/docs")
            kinds = sorted(kind(r) for r in swagger)
            assert kinds == [".css", ".js", ".json", ".png"], (name, swagger)
            redoc = await check_page(http, url + "/redoc")
            assert sorted(kind(r) for r in redoc) == [".js", ".json", ".png"], (name, redoc)
            spec = (await http.get(url + "/openapi.json")).json()
            assert spec["info"]["title"] == name
            # the assets are not API operations: the sweep and the AsyncAPI see none of them
            assert not any(p.startswith(("/docs", "/redoc")) for p in spec["paths"])
