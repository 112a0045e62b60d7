"""The explorer in a real browser: Debian's headless Chromium driven by Playwright clicks through search -> paper
-> graph node -> entity -> SPARQL editor -> result link, and fails on any request leaving 127.0.0.1 or any console
error. Set PAPERKG_SCREENSHOT=path to also save the search page as a PNG (the README's picture)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bench._server import running_server

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(Path(tmp_path_factory.mktemp("web")) / "data", env={"PAPERKG_MODEL": "hashing"}) as base:
        yield base


class Watch:
    """Every request the pages make (outside ones are refused and recorded) and every console error."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []

    def attach(self, context: Any) -> None:
        def route(route: Any) -> None:
            target = route.request.url
            if urlsplit(target).scheme in ("http", "https", "ws", "wss") and urlsplit(target).hostname not in LOCAL:
                self.outside.append(target)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", route)
        context.on("page", self.page)

    def page(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make install` installs Debian's package")
        pytest.skip("chromium is not installed (make install installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[tuple[Any, Watch]]:
    watch = Watch()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch.attach(context)
    page = context.new_page()
    watch.page(page)
    try:
        yield page, watch
    finally:
        context.close()
    assert watch.outside == [], f"requests left the machine: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}"


def test_search_paper_graph_entity_sparql(url: str, watched: tuple[Any, Watch]) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # only where chromium runs (see `browser`)

    page, _ = watched
    page.goto(url + "/")
    # the search box takes the focus on its own (autofocus); wait for it rather than race a loaded machine
    page.wait_for_function("document.activeElement && document.activeElement.name === 'q'")
    page.keyboard.type("speculative decoding")
    page.keyboard.press("Enter")
    page.wait_for_selector(".hit")
    assert "q=speculative+decoding" in page.url
    assert page.locator(".hit mark").count() > 0
    assert page.locator(".hit .chip").count() > 0
    if shot := os.environ.get("PAPERKG_SCREENSHOT"):
        page.set_viewport_size({"width": 1000, "height": 620})
        page.screenshot(path=shot)

    page.locator(".facets a.t-Hardware", has_text="NVIDIA A100").click()
    page.wait_for_url("**hardware=NVIDIA+A100**")
    assert page.locator(".active-filters .chip").count() == 1
    page.locator(".hit h2 a").first.click()
    page.wait_for_url("**/ui/papers/**")
    assert page.locator(".abstract .mention").count() > 0
    assert page.locator(".relations li").count() > 0
    page.wait_for_selector("#graph[data-ready=true]")

    # click a node of the picture: it opens that node's page
    page.locator("#graph").scroll_into_view_if_needed()
    box = page.locator("#graph").bounding_box()
    node = page.evaluate("""() => {
        const n = window.paperkgGraph.nodes('[centre = 0][type != "Paper"]')[0], p = n.renderedPosition();
        return {x: p.x, y: p.y, href: n.data('href')}; }""")
    # About one first click in four on the canvas does not register as a tap under automation (the page stays; a
    # second click opens the node). Seen on the commit before this test changed too; the cause is not found yet.
    for attempt in range(3):
        page.mouse.click(box["x"] + node["x"], box["y"] + node["y"])
        try:
            page.wait_for_url("**" + node["href"], timeout=10_000)
            break
        except PlaywrightTimeout:
            assert attempt < 2, f"a click on {node['href']} at {node} did not open its page"
    assert page.locator("h1").inner_text()
    assert page.locator("#papers-h").count() == 1

    # a technique's page fetches its related techniques after it is shown; one of them opens its own page
    page.goto(url + "/ui/entities/technique/speculative-decoding")
    page.wait_for_selector("#related ol.related li a")
    assert page.locator("#related[aria-busy]").count() == 0 and page.locator("#related .why").count() > 0
    related = page.locator("#related ol.related li a").first
    href = related.get_attribute("href")
    related.click()
    page.wait_for_url("**" + href)

    page.get_by_role("link", name="SPARQL", exact=True).click()
    page.wait_for_selector(".CodeMirror")
    page.get_by_role("link", name="Hardware by number of papers", exact=False).click()
    page.wait_for_selector(".sparql-results tbody tr")
    assert "NVIDIA A100" in page.locator(".sparql-results").inner_text()

    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("SELECT ?hw WHERE { ?paper pkg:runsOn ?hw } ORDER BY ?hw LIMIT 5")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".sparql-results tbody a")
    link = page.locator(".sparql-results tbody a").first
    assert link.inner_text().startswith("hardware:")
    link.click()
    page.wait_for_url("**/ui/entities/hardware/**")
    assert page.locator(".attrs").count() == 1


def test_docs_render_offline(url: str, watched: tuple[Any, Watch]) -> None:
    page, _ = watched
    page.goto(url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 10
    page.goto(url + "/redoc")
    page.wait_for_selector("h1:has-text('paperkg')", timeout=20_000)
    assert page.get_by_text("Search papers by meaning and keywords").count() > 0


def test_phone_width_and_keyboard(url: str, browser: Any) -> None:
    watch = Watch()
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    watch.attach(context)
    page = context.new_page()
    watch.page(page)
    try:
        for path in ("/?q=quantization", "/ui/entities/hardware/nvidia-a100", "/ui/entities/technique/lora", "/sparql"):
            page.goto(url + path)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
        page.goto(url + "/sparql")
        page.wait_for_selector(".CodeMirror")
        page.locator(".CodeMirror").click()
        page.keyboard.press("Tab")  # Tab leaves the editor instead of being trapped in it
        focused = page.evaluate("() => document.activeElement.textContent")
        assert focused.strip() == "Run query"
    finally:
        context.close()
    assert watch.outside == [] and watch.errors == [], (watch.outside, watch.errors)
