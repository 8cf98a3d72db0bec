"""A researcher's gene list on `pfocr-ld serve`: the `/enrich` page and its JSON.

Claims: a real server on 127.0.0.1 over the sample answers a posted gene list with the same JSON as
`pfocr_ld.enrichment.enrich` on the same store and as `pfocr-ld enrich --format json` (both compared
whole); the HTML page shows the ranked table with links to the figures' local pages, the stated
background and the unmatched items with a hint; the landing page and the navigation link it; the
library is read once per (taxon, min size) and kept; hostile input (huge lists, control characters,
SPARQL text in a symbol, bad taxa and sizes) is a 400 or plain symbols that match nothing.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld.enrichment import enrich, enrichment_json, split_gene_items
from pfocr_ld.query import open_source
from pfocr_ld.serve import enrich as enrich_service
from pfocr_ld.serve import running_server

GENES = "erbb2, EGFR\nakt1 MTOR\n7157\nNope1"
HER2 = "PMC3376449__fonc-02-00062-g001"


@pytest.fixture(scope="module")
def store(sample_store_dir: Path) -> Path:
    return sample_store_dir  # the session's sample store (conftest), opened read-only by every user


@pytest.fixture(scope="module")
def running(store: Path) -> Iterator[object]:
    with running_server(store, timeout=20, workers=1) as server:
        yield server


@pytest.fixture(scope="module")
def client(running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.url, timeout=60) as http:  # type: ignore[attr-defined]
        yield http


def _expected(store: Path, items: list[str], taxon: str = "9606", min_size: int = 3) -> dict:
    with open_source(store=store) as source:
        result = enrich(source, items, taxon=taxon, min_size=min_size)
    # through JSON, as the server sends it (floats round-trip exactly)
    return json.loads(json.dumps(enrichment_json(result, min_size=min_size)))


def test_posted_list_equals_enrich_and_the_cli(client: httpx.Client, store: Path, tmp_path: Path) -> None:
    response = client.post(
        "/enrich", data={"genes": GENES, "taxon": "9606"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    items = ["erbb2", "EGFR", "akt1", "MTOR", "7157", "Nope1"]
    assert answer == _expected(store, items)
    # the claims below can fail: the answer has figures, a background and the unmatched item
    assert answer["unmatched"] == ["Nope1"] and answer["list_size"] >= 4
    her2 = next(f for f in answer["figures"] if f["figid"] == HER2)
    assert {"AKT1", "EGFR", "ERBB2", "MTOR"} <= set(her2["overlap_symbols"])
    assert answer["figures"][0]["p_value"] <= answer["figures"][-1]["p_value"]

    genes_file = tmp_path / "genes.txt"
    genes_file.write_text(GENES, encoding="utf-8")
    command = [sys.executable, "-m", "pfocr_ld.cli", "enrich", "--genes-file", str(genes_file)]
    cli = subprocess.run(
        [*command, "--store", str(store), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == answer

    # the same by GET with format=json, with repeated gene= values, and for another organism
    again = client.get("/enrich", params=[("gene", g) for g in items] + [("format", "json")])
    assert again.status_code == 200 and again.json() == answer
    mouse = client.get(
        "/enrich",
        params={"genes": "Trp53 Egfr Mdm2", "taxon": "10090", "min_size": "1"},
        headers={"Accept": "application/json"},
    )
    assert mouse.status_code == 200
    assert mouse.json() == _expected(store, ["Trp53", "Egfr", "Mdm2"], "10090", 1)


def test_page_shows_table_background_and_hint(client: httpx.Client, store: Path, running) -> None:
    response = client.post("/enrich", data={"genes": GENES}, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    expected = _expected(store, ["erbb2", "EGFR", "akt1", "MTOR", "7157", "Nope1"])
    # the table: one row per figure, in the ranked order, each linked to the figure's local page
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td><a href="([^"]+)">', page)
    assert [int(rank) for rank, _ in rows] == list(range(1, len(expected["figures"]) + 1))
    hrefs = [html.unescape(href) for _, href in rows]
    assert hrefs[0].endswith(f"/figures/{expected['figures'][0]['figid']}.html")
    first = client.get(hrefs[0], headers={"Accept": "text/html"})
    assert first.status_code == 200 and html.escape(expected["figures"][0]["figid"]) in first.text
    for header in ("overlap", "genes in common", "set size", "p-value", "FDR"):
        assert f'<th scope="col">{header}</th>' in page
    assert f"{expected['figures'][0]['fdr']:.3g}" in page
    assert (
        f"Background: {expected['background_size']:,} genes of taxon 9606 in {expected['library_size']:,} "
        f"figures" in page
    )
    assert f"{expected['list_size']:,} of the 6 listed genes" in page
    assert "<code>Nope1</code>" in page and "Hint:" in page and "case-insensitively" in page
    # the form keeps what was typed, labelled
    assert '<label for="genes">' in page and "erbb2, EGFR" in page


def test_form_and_links(client: httpx.Client) -> None:
    form = client.get("/enrich", headers={"Accept": "text/html"})
    assert form.status_code == 200
    assert '<textarea id="genes" name="genes"' in form.text and 'aria-current="page"' in form.text
    assert "<table" not in form.text
    home = client.get("/", headers={"Accept": "text/html"})
    assert 'href="/enrich"' in home.text and "Find figures for a gene list" in home.text
    # in the navigation of every page
    assert re.search(r'<nav aria-label="Site">.*href="/enrich".*</nav>', home.text, re.S)


def test_library_is_read_once_and_kept(client: httpx.Client, running) -> None:
    service = _service(running)
    before = service.cache.get(("10116", 2))
    assert before is None
    calls = []
    original = service._read_library

    async def counting(taxon: str, min_size: int):  # type: ignore[no-untyped-def]
        calls.append((taxon, min_size))
        return await original(taxon, min_size)

    service._read_library = counting
    try:
        for genes in ("Egfr", "Akt1 Egfr", "Mtor"):
            response = client.post(
                "/enrich",
                data={"genes": genes, "taxon": "10116", "min_size": "2"},
                headers={"Accept": "application/json"},
            )
            assert response.status_code == 200
    finally:
        del service._read_library
    assert calls == [("10116", 2)]
    assert service.cache.get(("10116", 2)) is not None


def test_concurrent_first_requests_share_one_read(running) -> None:
    """Requests for a library being read wait for that read instead of starting their own."""
    service = _service(running)
    calls = []
    original = service._read_library

    async def counting(taxon: str, min_size: int):  # type: ignore[no-untyped-def]
        calls.append((taxon, min_size))
        await asyncio.sleep(0.5)  # a slow library: the other requests arrive while it is read
        return await original(taxon, min_size)

    def post(genes: str) -> int:
        with httpx.Client(base_url=running.url, timeout=60) as http:
            response = http.post(
                "/enrich",
                data={"genes": genes, "taxon": "9606", "min_size": "7"},
                headers={"Accept": "application/json"},
            )
            return response.status_code

    service._read_library = counting
    try:
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(post, ["TP53", "EGFR", "AKT1 MTOR", "ERBB2"]))
    finally:
        del service._read_library
    assert statuses == [200] * 4
    assert calls == [("9606", 7)]


def _service(running) -> enrich_service.EnrichService:  # type: ignore[no-untyped-def]
    return running.server.enrichment  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "data",
    [
        {"genes": "TP53 " * (enrich_service.MAX_GENES + 1)},
        {"genes": "x" * (enrich_service.MAX_TEXT + 1)},
        {"genes": "TP53\x00EGFR"},
        {"genes": "TP53\x1b[31m"},
        {"genes": "A" * (enrich_service.MAX_ITEM + 1)},
        {"genes": "TP53", "taxon": "9606 } ?s ?p ?o {"},
        {"genes": "TP53", "taxon": "human"},
        {"genes": "TP53", "min_size": "0"},
        {"genes": "TP53", "min_size": "3; DROP"},
        {"genes": "TP53", "format": "xml"},
        {"genes": "TP53", "query": "SELECT * { ?s ?p ?o }"},
    ],
)
def test_bad_input_is_a_400(client: httpx.Client, data: dict[str, str]) -> None:
    response = client.post("/enrich", data=data, headers={"Accept": "text/plain"})
    assert response.status_code == 400, (data, response.status_code)
    assert response.text.startswith("400 ") and "Traceback" not in response.text


def test_json_without_genes_is_a_400_and_other_bodies_a_415(client: httpx.Client) -> None:
    assert client.get("/enrich?format=json").status_code == 400
    assert client.post("/enrich", content=b"TP53", headers={"Content-Type": "text/plain"}).status_code == 415


def test_sparql_in_a_symbol_is_a_symbol(client: httpx.Client, store: Path) -> None:
    """Query text in the list is split into items that match no gene: the answer is the genes' own."""
    hostile = "TP53,x\" } ?s ?p ?o {,') } UNION { ?s ?p ?o,<http://x>,EGFR"
    response = client.post("/enrich", data={"genes": hostile}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["list_size"] == 2  # TP53 and EGFR, nothing else
    assert 'x"' in answer["unmatched"] and "?s" in answer["unmatched"]
    assert answer == _expected(store, [item for item in re.split(r"[,\s]+", hostile) if item])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_is_an_answer_or_a_400(client: httpx.Client, store: Path, text: str) -> None:
    response = client.post("/enrich", data={"genes": text}, headers={"Accept": "application/json"})
    assert response.status_code in (200, 400), (text, response.status_code)
    items = split_gene_items([text])
    if response.status_code == 200:
        assert response.json() == _expected(store, items)
    else:
        assert response.text.startswith("400 Bad gene list: ")
        assert (
            not items
            or any(len(item) > enrich_service.MAX_ITEM for item in items)
            or any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)
        )


def test_a_library_past_the_limits_is_a_503_and_not_kept(client: httpx.Client, running) -> None:
    """A library the pool cannot return (here: larger than the byte limit) is a 503 naming the limits;
    the failure is not cached, so the same request succeeds once the limit allows it."""
    config = _service(running).server.config
    saved = config.max_response_bytes
    config.max_response_bytes = 64  # 4 × 64 bytes: not even the first rows of a library fit
    try:
        failed = client.post(
            "/enrich",
            data={"genes": "TP53", "min_size": "4"},
            headers={"Accept": "application/json, text/plain;q=0.5"},
        )
    finally:
        config.max_response_bytes = saved
    assert failed.status_code == 503, failed.text
    assert "could not be read within this server's limits" in failed.text
    assert failed.headers["retry-after"] == "30"
    again = client.post(
        "/enrich", data={"genes": "TP53", "min_size": "4"}, headers={"Accept": "application/json"}
    )
    assert again.status_code == 200 and again.json()["min_size"] == 4
