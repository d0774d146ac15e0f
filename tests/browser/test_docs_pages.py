"""Every service's API docs render fully in a browser cut off from the internet (issue 18):
Swagger UI shows the service's operations and ReDoc its title, and the guard fails the test on
any request that leaves loopback (a CDN script, a web font, the online validator)."""

from __future__ import annotations

from playwright.async_api import BrowserContext, expect

from .conftest import Guard, World, shot


async def test_every_services_docs_and_redoc_render_offline(
    world: World, guarded: tuple[BrowserContext, Guard]
) -> None:
    context, guard = guarded
    page = await context.new_page()
    for name, url in world.stack.urls.items():
        await page.goto(url + "/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(name)
        # At least one operation rendered from the service's own openapi.json
        await expect(page.locator(".opblock-summary-path").first).to_be_visible()
        await expect(page.locator(".opblock-summary-path", has_text="/healthz")).to_have_count(1)
        await shot(page, f"docs-{name}")
        await page.goto(url + "/redoc")
        await expect(page.locator("h1").first).to_contain_text(name)
        await expect(page.locator("[data-section-id]").first).to_be_attached()
        await shot(page, f"redoc-{name}")
    assert guard.outside == [], guard.outside
