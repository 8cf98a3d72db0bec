"""Document routes: the landing page, the dataset description, the JSON-LD context and the model.

``/`` is a page for people and the dataset description for programs (HTML breaks ties, so
``Accept: */*`` gets the page); ``/void`` and ``/.well-known/void`` serve the release's
``void.ttl`` (or ``--void``) with ``void:sparqlEndpoint`` naming this server as the client addressed
it, negotiated or by suffix (``/void.ttl``, ``.nt``, ``.jsonld``, ``.rdf``); ``/ld/context.jsonld``
(and where the documents' relative ``../context.jsonld`` resolves) the bundled context; ``/vocab``
the ontology every ``pfocr:`` term resolves to, and ``/vocab/mapping`` docs/mapping.md.
"""

from __future__ import annotations

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pfocr_ld import rdf, templates, vocab
from pfocr_ld.resources import mapping_doc
from pfocr_ld.serve.core import ServerCore
from pfocr_ld.serve.descriptions import rdf_body
from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.negotiation import (
    CONTENT_TYPES,
    DATA_OFFERS,
    DATA_SUFFIXES,
    MARKDOWN_OFFERS,
    PAGE_OFFERS,
    Representation,
    negotiate,
    strong_etag,
)
from pfocr_ld.templates import model_pages

_SUFFIX_OF = {fmt: suffix for suffix, fmt in DATA_SUFFIXES.items()}
_VOCAB_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


class DocumentRoutes(ServerCore):
    """``/``, ``/void``, the JSON-LD context, ``/vocab`` and ``/vocab/mapping``."""

    def dataset_summary(self) -> dict[str, str]:
        index = templates.Index(self.void_triples)
        releases = sorted(s for s in index.nodes if index.literal(s, vocab.T.pav["version"]))
        if not releases:
            return {}
        release = releases[-1]
        return {
            "title": index.literal(release, vocab.T.dcterms["title"]) or release,
            "version": index.literal(release, vocab.T.pav["version"]) or "",
        }

    async def home(self, request: Request) -> Response:
        root = self.root(request)
        fmt = negotiate(request.headers.get("accept"), PAGE_OFFERS)
        if fmt is None:
            raise HttpError(
                406,
                "Not Acceptable",
                "this address offers text/html and the dataset description as text/turtle, "
                "application/n-triples, application/ld+json and application/rdf+xml",
                headers={"Vary": "Accept"},
            )
        if fmt != "html":
            rep = await run_in_threadpool(self.void_representation, fmt, root, self.sparql_endpoint(request))
            return self.representation_response(
                request, rep, negotiated=True, extra={"Content-Location": f"{root}/void.{_SUFFIX_OF[fmt]}"}
            )
        body = templates.landing_page(
            counts=await self.counts(),
            dataset=self.dataset_summary(),
            examples=[(e.name, e.title) for e in self.examples],
            root=root,
            figures_path=self.config.base_path,
        ).encode("utf-8")
        return Response(
            body, headers={"Content-Type": CONTENT_TYPES["html"], "Vary": "Accept", **self.cache_headers()}
        )

    def sparql_endpoint(self, request: Request) -> str | None:
        """This server's ``/sparql`` as the client addressed it (scheme, host and root path of the
        request); ``None`` when that is not an IRI (a malformed Host header)."""
        endpoint = str(request.url.replace(path=self.root(request) + "/sparql", query="", fragment=""))
        try:
            ox.NamedNode(endpoint)
        except ValueError:
            return None
        return endpoint if endpoint.startswith(("http://", "https://")) else None

    def served_void(self, endpoint: str | None) -> list[rdf.Triple]:
        """The dataset description as served: the release's, plus ``void:sparqlEndpoint`` naming this
        server's endpoint on each ``void:Dataset`` (a build cannot know where it will be served)."""
        if endpoint is None:
            return self.void_triples
        dataset_type = f"<{vocab.T.void['Dataset']}>"
        typed = {s for s, p, o in self.void_triples if p == vocab.T.rdf["type"] and o == dataset_type}
        # The release, not its class and property partitions (void:Datasets too, parts of it).
        parts = {
            o[1:-1]
            for s, p, o in self.void_triples
            if p in (vocab.T.void["classPartition"], vocab.T.void["propertyPartition"])
        }
        datasets = sorted(typed - parts)
        extra = [(s, vocab.T.void["sparqlEndpoint"], f"<{endpoint}>") for s in datasets]
        return sorted(set(self.void_triples) | set(extra))

    def void_representation(self, fmt: str, root: str, endpoint: str | None = None) -> Representation:
        # The endpoint comes from the request's Host: one cache entry per host (the LRU bounds them).
        key = ("void", fmt, root if fmt == "html" else "", endpoint)
        cached: Representation | None = self.cache.get(key)
        if cached is not None:
            return cached
        triples = self.served_void(endpoint)
        if fmt == "html":
            turtle = rdf_body(triples, "ttl").decode("utf-8")
            formats = [
                ("Turtle", "text/turtle", f"{root}/void.ttl"),
                ("N-Triples", "application/n-triples", f"{root}/void.nt"),
                ("JSON-LD", "application/ld+json", f"{root}/void.jsonld"),
                ("RDF/XML", "application/rdf+xml", f"{root}/void.rdf"),
            ]
            body = templates.void_page(
                triples, turtle, formats=formats, root=root, figures_path=self.config.base_path
            ).encode("utf-8")
        else:
            body = rdf_body(triples, fmt)
        rep = Representation(body, CONTENT_TYPES[fmt], strong_etag(body))
        self.cache.put(key, rep)
        return rep

    async def void(self, request: Request) -> Response:
        suffix = request.path_params.get("suffix")
        if suffix is not None:
            fmt = DATA_SUFFIXES.get(suffix)
            if fmt is None:
                raise HttpError(
                    404,
                    "Not Found",
                    f"the dataset description is at /void.ttl, /void.nt, "
                    f"/void.jsonld and /void.rdf, not /void.{suffix}",
                )
        else:
            fmt = negotiate(request.headers.get("accept"), DATA_OFFERS)
            if fmt is None:
                raise HttpError(
                    406,
                    "Not Acceptable",
                    "the dataset description is available as text/turtle, "
                    "application/n-triples, application/ld+json, application/rdf+xml and text/html",
                    headers={"Vary": "Accept"},
                )
        rep = await run_in_threadpool(
            self.void_representation, fmt, self.root(request), self.sparql_endpoint(request)
        )
        return self.representation_response(request, rep, negotiated=suffix is None)

    async def context(self, request: Request) -> Response:
        rep = Representation(self.context_body, CONTENT_TYPES["jsonld"], strong_etag(self.context_body))
        return self.representation_response(request, rep, negotiated=False)

    # the model: vocabulary and mapping ----------------------------------------------------------------
    def vocab_representation(self, fmt: str, root: str) -> Representation:
        key = ("vocab", fmt, root if fmt == "html" else "")
        cached: Representation | None = self.cache.get(key)
        if cached is not None:
            return cached
        if fmt == "html":
            formats = [
                (label, media, f"{root}/vocab.{suffix}")
                for label, media, suffix in (
                    ("Turtle", "text/turtle", "ttl"),
                    ("N-Triples", "application/n-triples", "nt"),
                    ("JSON-LD", "application/ld+json", "jsonld"),
                    ("RDF/XML", "application/rdf+xml", "rdf"),
                )
            ]
            # the lean triple form has no blank nodes (the ontology's owl:oneOf list has some); the
            # page lists named terms only and shows the Turtle as written
            named = [
                rdf.from_oxigraph(quad)
                for quad in self.vocab_quads
                if isinstance(quad.subject, ox.NamedNode) and not isinstance(quad.object, ox.BlankNode)
            ]
            body = model_pages.vocab_page(
                named,
                self.vocab_turtle.decode("utf-8"),
                formats=formats,
                root=root,
                figures_path=self.config.base_path,
            ).encode("utf-8")
        elif fmt == "ttl":
            body = self.vocab_turtle
        else:
            body = ox.serialize(self.vocab_quads, format=_VOCAB_FORMATS[fmt], prefixes=vocab.PREFIXES) or b""
        rep = Representation(body, CONTENT_TYPES[fmt], strong_etag(body))
        self.cache.put(key, rep)
        return rep

    async def vocabulary(self, request: Request) -> Response:
        """``/vocab`` (the namespace of every ``pfocr:`` term) and ``/vocab.{ttl,nt,jsonld,rdf}``."""
        suffix = request.path_params.get("suffix")
        if suffix is not None:
            fmt = DATA_SUFFIXES.get(suffix)
            if fmt is None:
                raise HttpError(
                    404, "Not Found", f"the vocabulary is at /vocab.ttl, .nt, .jsonld and .rdf, not .{suffix}"
                )
        else:
            fmt = negotiate(request.headers.get("accept"), PAGE_OFFERS)
            if fmt is None:
                raise HttpError(
                    406,
                    "Not Acceptable",
                    "the vocabulary is available as text/html, text/turtle, application/n-triples, "
                    "application/ld+json and application/rdf+xml",
                    headers={"Vary": "Accept"},
                )
        rep = await run_in_threadpool(self.vocab_representation, fmt, self.root(request))
        return self.representation_response(request, rep, negotiated=suffix is None)

    async def mapping(self, request: Request) -> Response:
        """``/vocab/mapping``: docs/mapping.md, as a page or (``Accept: text/markdown``) as written."""
        fmt = negotiate(request.headers.get("accept"), MARKDOWN_OFFERS)
        if fmt is None:
            raise HttpError(406, "Not Acceptable", "the mapping is available as text/html and text/markdown")
        markdown = mapping_doc().read_text(encoding="utf-8")
        root = self.root(request)
        if fmt == "html":
            body = model_pages.markdown_page(
                "Mapping", markdown, source_link=None, root=root, figures_path=self.config.base_path
            ).encode("utf-8")
        else:
            body = markdown.encode("utf-8")
        rep = Representation(body, CONTENT_TYPES[fmt], strong_etag(body))
        return self.representation_response(request, rep, negotiated=True)
