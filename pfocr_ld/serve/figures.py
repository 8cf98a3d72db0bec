"""Figure routes: every figure IRI we mint resolves here, and the paged figure list.

``{base path}{figid}.html`` is the IRI itself, so it is negotiated (HTML, Turtle, JSON-LD,
N-Triples; ``406`` when nothing offered is acceptable) and answers with ``Content-Location`` and
``Link rel=alternate``; the suffixes ``.ttl``, ``.jsonld`` and ``.nt`` name a format. The description
holds exactly the triples of the figure's block in the dump
(:func:`~pfocr_ld.serve.descriptions.figure_description`), so its JSON-LD is byte-for-byte the published
``jsonld/<figid>.jsonld``. An unknown figid gets a ``404`` suggesting figures of the same paper. The
base path itself lists the figures, :data:`FIGURES_PER_PAGE` at a time, as a page or as RDF with
``Link`` headers to the other pages.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pfocr_ld import rdf, schemaorg, templates, vocab
from pfocr_ld.serve.core import ServerCore
from pfocr_ld.serve.descriptions import figure_description, rdf_body
from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.negotiation import (
    CONTENT_TYPES,
    FIGURE_OFFERS,
    FIGURE_SUFFIXES,
    PAGE_OFFERS,
    Representation,
    negotiate,
    strong_etag,
)

_INDEX_QUERY = """PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dc: <http://purl.org/dc/elements/1.1/>
SELECT ?figure ?figid ?title WHERE {{
  ?figure a pfocr:Figure ; dcterms:identifier ?figid .
  OPTIONAL {{ ?figure dc:title ?title }}
}} ORDER BY ?figid ?figure LIMIT {limit} OFFSET {offset}"""
#: Figures on one page of the figure list (one more row is read to know whether a next page exists).
FIGURES_PER_PAGE = 100


class FigureRoutes(ServerCore):
    """``{base path}{figid}.{html,ttl,jsonld,nt}`` and the figure list at the base path."""

    def figure_path(self, root: str, figid: str) -> str:
        """The server path of a figure without its suffix (the IRI's own percent-encoding)."""
        return self.local_href(root)(self.mapper.figure_iri(figid)).removesuffix(".html")  # type: ignore[union-attr]

    def figure_formats(self, path: str) -> list[tuple[str, str, str]]:
        return [
            ("Turtle", "text/turtle", f"{path}.ttl"),
            ("JSON-LD", "application/ld+json", f"{path}.jsonld"),
            ("N-Triples", "application/n-triples", f"{path}.nt"),
        ]

    def figure_representation(self, figid: str, fmt: str, root: str) -> Representation | None:
        """The figure in one format, rendered once and cached (runs in a worker thread)."""
        key = (figid, fmt, root if fmt == "html" else "")
        cached: Representation | None = self.cache.get(key)
        if cached is not None:
            return cached
        iri = self.mapper.figure_iri(figid)
        triples = figure_description(self.store, iri)
        if triples is None:
            return None
        if fmt == "html":
            body = templates.figure_page(
                triples,
                iri,
                schema_block=schemaorg.embed_block(triples, iri),
                formats=self.figure_formats(self.figure_path(root, figid)),
                root=root,
                figures_path=self.config.base_path,
            ).encode("utf-8")
        else:
            body = rdf_body(triples, fmt, iri)
        rep = Representation(body, CONTENT_TYPES[fmt], strong_etag(body))
        self.cache.put(key, rep)
        return rep

    async def figure(self, request: Request) -> Response:
        """``{base path}{figid}.{html,ttl,jsonld,nt}``; ``.html`` is the IRI itself, so it is negotiated."""
        name: str = request.path_params["name"]
        root = self.root(request)
        figid, dot, suffix = name.rpartition(".")
        if not dot or suffix not in FIGURE_SUFFIXES:
            figid, suffix = name, ""
        negotiated = suffix == "html"
        fmt = negotiate(request.headers.get("accept"), FIGURE_OFFERS) if negotiated else suffix
        # A cached representation is served from the event loop; only rendering needs a thread.
        rep = self.cache.get((figid, fmt or "ttl", root if fmt == "html" else ""))
        if rep is None:
            rep = await run_in_threadpool(self.figure_representation, figid, fmt or "ttl", root)
        if rep is None:
            raise HttpError(
                404,
                "No such figure",
                f"this store has no figure {figid!r} (its identifier would be "
                f"{self.mapper.figure_iri(figid)})",
                suggestions=await self.suggestions(figid, root),
            )
        path = self.figure_path(root, figid)
        if not suffix:
            # /figures/<figid>: the identifier is <figid>.html, so send the client there.
            return RedirectResponse(path + ".html", status_code=301)
        if fmt is None:
            raise HttpError(
                406,
                "Not Acceptable",
                "this figure is available as text/html, text/turtle, application/ld+json and "
                "application/n-triples; none of them is acceptable to the client",
                headers={
                    "Vary": "Accept",
                    "Link": ", ".join(
                        f'<{href}>; rel="alternate"; type="{media}"'
                        for _, media, href in self.figure_formats(path)
                    ),
                },
            )
        extra = {}
        if negotiated:
            extra["Content-Location"] = f"{path}.{fmt}"
            extra["Link"] = ", ".join(
                f'<{href}>; rel="alternate"; type="{media}"' for _, media, href in self.figure_formats(path)
            )
        return self.representation_response(request, rep, negotiated=negotiated, extra=extra)

    async def figure_index(self, request: Request) -> Response:
        fmt = negotiate(request.headers.get("accept"), PAGE_OFFERS)
        if fmt is None:
            raise HttpError(
                406,
                "Not Acceptable",
                "the figure list is available as text/html, text/turtle, application/n-triples, "
                "application/ld+json and application/rdf+xml",
                headers={"Vary": "Accept"},
            )
        raw = request.query_params.get("page", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
            raise HttpError(400, "Bad page number", f"page must be a number from 1, not {raw[:40]!r}")
        number = int(raw)
        rows = await self.internal_query(
            _INDEX_QUERY.format(limit=FIGURES_PER_PAGE + 1, offset=(number - 1) * FIGURES_PER_PAGE)
        )
        if rows is None:
            raise HttpError(
                503, "Figure list unavailable", "the figure list could not be read in time; try again"
            )
        root = self.root(request)
        path = root + self.config.base_path
        previous_href = f"{path}?page={number - 1}" if number > 1 else None
        next_href = f"{path}?page={number + 1}" if len(rows) > FIGURES_PER_PAGE else None
        if fmt != "html":
            return self.figure_list_response(rows[:FIGURES_PER_PAGE], fmt, previous_href, next_href)
        local = self.local_href(root)
        items = [
            (local(r["figure"]) or r["figure"], r.get("figid", ""), r.get("title") or r.get("figid", ""))
            for r in rows[:FIGURES_PER_PAGE]
        ]
        body = templates.figure_index_page(
            items,
            page_number=number,
            previous_href=previous_href,
            next_href=next_href,
            root=root,
            figures_path=self.config.base_path,
        ).encode("utf-8")
        return Response(
            body, headers={"Content-Type": CONTENT_TYPES["html"], "Vary": "Accept", **self.cache_headers()}
        )

    def figure_list_response(
        self, rows: list[dict[str, Any]], fmt: str, previous_href: str | None, next_href: str | None
    ) -> Response:
        """One page of the figure list as RDF: each figure's type, identifier and title; the other
        pages are linked with HTTP ``Link`` headers (RFC 8288), which leaves the data about figures only."""
        triples: list[rdf.Triple] = []
        for row in rows:
            figure = row["figure"]
            triples.append((figure, vocab.T.rdf["type"], f"<{vocab.T.pfocr['Figure']}>"))
            if row.get("figid"):
                triples.append((figure, vocab.T.dcterms["identifier"], rdf.literal(row["figid"])))
            if row.get("title"):
                triples.append((figure, vocab.T.dc["title"], rdf.literal(row["title"], language="en")))
        pages = (("prev", previous_href), ("next", next_href))
        links = [f'<{href}>; rel="{rel}"' for rel, href in pages if href]
        headers = {"Vary": "Accept", **self.cache_headers()}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(rdf_body(triples, fmt), headers={**headers, "Content-Type": CONTENT_TYPES[fmt]})
