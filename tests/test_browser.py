"""The served pages in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Loads a figure page and the query page, picks a named query on the page, runs it and finds its
rows — once with JavaScript (the enhanced page) and once without (plain forms). Screenshots of each
page go to ``test-artifacts/``. Nothing leaves 127.0.0.1: the figure's PMC image is answered with a
local placeholder and every other outside request is aborted. Without Chromium or Playwright the
test fails (it does not skip): install them with ``apt-get install chromium`` and ``pip install '.[test]'``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The server fixtures of test_serve: one build, one store, one server for both modules.
from serving import HER2, RICH, Served

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450" viewBox="0 0 800 450">'
    '<rect width="800" height="450" fill="#dde3ea"/><text x="400" y="225" font-family="sans-serif" '
    'font-size="28" text-anchor="middle" fill="#333">PMC image (not fetched in tests)</text></svg>'
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install '.[test]' (never `playwright install`)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Any, served: Served, *, javascript: bool = True) -> tuple[Any, Any, list[str]]:
    """A fresh context and page that can reach only the test server; browser errors are collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    errors: list[str] = []

    def route(request_route: Any) -> None:
        request = request_route.request
        if request.url.startswith(served.url + "/"):
            request_route.continue_()
        elif request.resource_type == "image":
            request_route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)
        else:
            errors.append(f"outside request blocked: {request.url}")
            request_route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return context, page, errors


def expected_rows(served: Served, name: str) -> list[dict[str, Any]]:
    from pfocr_ld.query import library, open_source, run_named

    params = dict(library()[name].example.get("params") or {})
    with open_source(data=[served.out]) as source:
        return list(run_named(source, name, **params).values())


def test_figure_page_in_chromium(browser: Any, served: Served) -> None:
    context, page, errors = open_page(browser, served)
    try:
        response = page.goto(served.figure(RICH))
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == "en"
        assert "Metabolic Features of Osteoblasts" in page.locator("h1").inner_text()
        image = page.locator("figure img")
        assert "Pathway figure" in (image.get_attribute("alt") or "")
        page.wait_for_function("document.querySelector('figure img').complete")
        assert page.evaluate("document.querySelector('figure img').naturalWidth") > 0
        published = json.loads((served.out / "jsonld" / f"{RICH}.jsonld").read_bytes())
        gene_mentions = sum(1 for n in published["@graph"] if "pfocr:GeneMention" in n.get("@type", []))
        assert page.locator("table.genes tbody tr").count() == gene_mentions
        assert page.locator("table.chemicals tbody tr").count() > 0
        assert page.locator("table.diseases tbody tr").count() > 0
        block = page.evaluate(
            "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
        )
        assert block == json.loads((served.out / "schemaorg" / f"{RICH}.jsonld").read_bytes())
        page.screenshot(path=str(ARTIFACTS / "figure-page.png"), full_page=True)
        page.keyboard.press("Tab")  # the first stop is the skip link
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        turtle = page.locator("ul.formats a", has_text="Turtle")
        assert turtle.get_attribute("href") == f"/figures/{RICH}.ttl"
        assert errors == []
    finally:
        context.close()
    assert (ARTIFACTS / "figure-page.png").stat().st_size > 10_000


def test_query_page_runs_a_named_query_with_javascript(browser: Any, served: Served) -> None:
    expected = expected_rows(served, "genes-of-figure")
    assert expected
    context, page, errors = open_page(browser, served)
    try:
        page.goto(served.url + "/sparql")
        assert page.locator("#load-example").is_hidden()  # the script made choosing enough
        page.select_option("#example", "genes-of-figure")
        assert HER2 in page.locator("#query").input_value()  # filled by the script, no reload
        assert "NCBI genes" in page.locator("#example-description").inner_text()
        page.click("#run-query")
        page.wait_for_selector("table.results tbody tr")
        rows = page.locator("table.results tbody tr")
        assert rows.count() == len(expected)
        headers = page.locator("table.results thead th").all_inner_texts()
        assert headers == ["figid", "gene", "geneId", "symbol", "taxon"]
        figids = set(page.locator("table.results tbody tr td:first-child").all_inner_texts())
        assert figids == {HER2}
        symbols = page.locator("table.results tbody tr td:nth-child(4)").all_inner_texts()
        assert sorted(symbols) == sorted(str(r["symbol"] or "") for r in expected)
        assert "query=" in page.url  # the results page is a shareable URL
        page.screenshot(path=str(ARTIFACTS / "query-page.png"), full_page=False)
        assert errors == []
    finally:
        context.close()
    assert (ARTIFACTS / "query-page.png").stat().st_size > 10_000


def test_query_page_works_without_javascript(browser: Any, served: Served) -> None:
    expected = expected_rows(served, "figures-for-gene")
    context, page, errors = open_page(browser, served, javascript=False)
    try:
        page.goto(served.url + "/sparql")
        page.select_option("#example", "figures-for-gene")
        with page.expect_navigation():
            page.click("#load-example")  # a plain form: the server puts the example in the editor
        assert "VALUES" in page.locator("#query").input_value()
        with page.expect_navigation():
            page.click("#run-query")
        page.wait_for_selector("table.results tbody tr")
        assert page.locator("table.results tbody tr").count() == len(expected)
        assert page.locator(".row-count").inner_text() == str(len(expected))
        assert page.locator("#example").input_value() == "figures-for-gene"  # still shown as chosen
        page.screenshot(path=str(ARTIFACTS / "query-page-no-javascript.png"), full_page=False)
        assert errors == []
    finally:
        context.close()


def test_gene_list_page_in_chromium(browser: Any, served: Served) -> None:
    """/enrich: type a list into the labelled form, submit it (a plain form), read the ranked table."""
    from pfocr_ld.enrichment import enrich, enrichment_json
    from pfocr_ld.query import open_source

    with open_source(data=[served.out]) as source:
        expected = enrichment_json(enrich(source, ["ERBB2", "egfr", "AKT1", "Nope1"]), min_size=3)
    context, page, errors = open_page(browser, served, javascript=False)
    try:
        page.goto(served.url + "/")
        with page.expect_navigation():
            page.click("text=Find figures for a gene list")
        page.get_by_label("Genes").fill("ERBB2, egfr\nAKT1 Nope1")
        with page.expect_navigation():
            page.get_by_role("button", name="Find figures").click()
        rows = page.locator("table.enrichment tbody tr")
        assert rows.count() == len(expected["figures"]) > 0
        first = rows.first.locator("a")
        assert expected["figures"][0]["figid"] in (first.get_attribute("href") or "")
        assert "Nope1" in page.locator(".unmatched").inner_text()
        page.screenshot(path=str(ARTIFACTS / "gene-list-page.png"), full_page=False)
        with page.expect_navigation():
            first.click()
        assert expected["figures"][0]["figid"] in page.url
        assert errors == []
    finally:
        context.close()
