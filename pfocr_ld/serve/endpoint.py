"""The ``/sparql`` route: the SPARQL 1.1 Protocol, the service description and the query page.

GET, form POST and direct POST (:meth:`SparqlRoutes.sparql_params`, the body bounded by
``--max-body``, UTF-8 only); SPARQL Update in any form is a ``403``. A query passes the guard
(:func:`pfocr_ld.serve.guard.check_query`) and then runs in a query worker
(:class:`~pfocr_ld.serve.workers.QueryPool`), its result negotiated among SPARQL JSON/XML, CSV, TSV
(SELECT, ASK) and Turtle, N-Triples, RDF/XML, JSON-LD (CONSTRUCT, DESCRIBE), or named by ``format=``.
Without a query the route returns the SPARQL Service Description, or, to a browser, the query page
with the named queries as examples and a server-rendered results table.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import orjson
import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from pfocr_ld import sparql, templates, vocab
from pfocr_ld.serve.core import ServerCore
from pfocr_ld.serve.guard import check_query
from pfocr_ld.serve.http_errors import HttpError, read_only
from pfocr_ld.serve.jobs import QueryJob, QueryOutcome
from pfocr_ld.serve.negotiation import (
    CONTENT_TYPES,
    DATA_OFFERS,
    GRAPH_FORMATS,
    GRAPH_OFFERS,
    SELECT_FORMATS,
    SELECT_OFFERS,
    Representation,
    negotiate,
    strong_etag,
)

_SERVICE_DESCRIPTION_FORMATS = tuple(
    "http://www.w3.org/ns/formats/" + name
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    )
)
SD = "http://www.w3.org/ns/sparql-service-description#"


class SparqlRoutes(ServerCore):
    """``/sparql``: queries, the service description, and the query page for browsers."""

    async def sparql_params(self, request: Request) -> list[tuple[str, str]]:
        """The protocol parameters of a request: URL parameters, plus the form or the direct query body."""
        params = list(request.query_params.multi_items())
        if request.method != "POST":
            return params
        media, _, rest = request.headers.get("content-type", "").partition(";")
        media = media.strip().lower()
        charset = re.search(r"charset\s*=\s*\"?([\w.-]+)", rest, re.IGNORECASE)
        if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
            raise HttpError(415, "Unsupported charset", "send the request body in UTF-8")
        if media == "application/sparql-update":
            raise read_only()
        if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise HttpError(
                415,
                "Unsupported Media Type",
                "POST a query as application/x-www-form-urlencoded (query=…) or as "
                "application/sparql-query (the query itself); this endpoint accepts no updates",
            )
        body = await self.read_body(request)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise HttpError(400, "Bad encoding", f"the request body is not UTF-8: {error}") from error
        if media == "application/sparql-query":
            if any(name == "query" for name, _ in params):
                raise HttpError(
                    400, "Two queries", "a direct POST carries the query in its body, not also in the URL"
                )
            return [*params, ("query", text)]
        try:
            form = parse_qsl(text, keep_blank_values=True, max_num_fields=100)
        except ValueError as error:
            raise HttpError(400, "Bad form", f"the form cannot be read: {error}") from error
        return params + form

    def check_query(self, text: str) -> None:
        """Refuse, before any engine sees it: empty, too long, too deeply nested, an update, SERVICE."""
        check_query(text, self.config.max_query_length)

    def service_description(self, request: Request, fmt: str) -> Representation:
        endpoint = str(request.url.replace(query="", fragment=""))
        node = ox.NamedNode(endpoint)
        dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
        type_ = ox.NamedNode(vocab.T.rdf["type"])

        def sd(term: str) -> ox.NamedNode:
            return ox.NamedNode(SD + term)

        triples = [
            ox.Triple(node, type_, sd("Service")),
            ox.Triple(node, sd("endpoint"), node),
            ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Query")),
            ox.Triple(node, sd("defaultDataset"), dataset),
            ox.Triple(dataset, type_, sd("Dataset")),
            ox.Triple(dataset, sd("defaultGraph"), graph),
            ox.Triple(graph, type_, sd("Graph")),
            ox.Triple(
                node,
                ox.NamedNode(vocab.T.dcterms["description"]),
                ox.Literal(
                    f"Read-only SPARQL 1.1 endpoint over Pathway Figure OCR linked data; queries "
                    f"may run {self.config.timeout:g} s and return {self.config.max_results:,} rows; "
                    "SERVICE and SPARQL Update are not available.",
                    language="en",
                ),
            ),
        ]
        triples += [
            ox.Triple(node, sd("resultFormat"), ox.NamedNode(f)) for f in _SERVICE_DESCRIPTION_FORMATS
        ]
        release = next((s for s, p, _ in self.void_triples if p == vocab.T.pav["version"]), None)
        if release:
            triples.append(ox.Triple(dataset, ox.NamedNode(vocab.T.rdfs["seeAlso"]), ox.NamedNode(release)))
        if fmt == "jsonld":
            body = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
        else:
            rdf_format = {
                "ttl": ox.RdfFormat.TURTLE,
                "nt": ox.RdfFormat.N_TRIPLES,
                "rdfxml": ox.RdfFormat.RDF_XML,
            }[fmt]
            body = ox.serialize(
                triples, format=rdf_format, prefixes={"sd": SD, "dcterms": vocab.DCTERMS, "rdfs": vocab.RDFS}
            )
        return Representation(body or b"", CONTENT_TYPES[fmt], strong_etag(body or b""))

    async def sparql(self, request: Request) -> Response:
        try:
            params = await self.sparql_params(request)
        except HttpError as error:
            return self.error_response(request, error)
        names = {name for name, _ in params}
        if "update" in names:
            return self.error_response(request, read_only())
        queries = [value for name, value in params if name == "query"]
        example = next((value for name, value in params if name == "example"), None)
        accept = request.headers.get("accept")
        if not queries:
            if request.method == "POST":
                return self.error_response(
                    request,
                    HttpError(
                        400, "No query", "POST a query (query=… or a direct application/sparql-query body)"
                    ),
                )
            choice = negotiate(accept, DATA_OFFERS)
            if choice == "html" or (example is not None and choice is not None):
                return self.query_page(request, example=example)
            if choice is None:
                return self.error_response(
                    request,
                    HttpError(
                        406,
                        "Not Acceptable",
                        "the service description is "
                        "available as Turtle, N-Triples, JSON-LD, RDF/XML and HTML",
                    ),
                )
            return self.representation_response(
                request, self.service_description(request, choice), negotiated=True
            )
        if len(queries) > 1:
            return self.error_response(
                request, HttpError(400, "Two queries", "give exactly one query parameter")
            )
        text = queries[0]
        requested = next((v for n, v in params if n == "format" and v), None)
        if requested is not None:
            requested = {"turtle": "ttl", "ntriples": "nt", "rdf": "rdfxml", "srj": "json", "srx": "xml"}.get(
                requested, requested
            )
            if requested not in SELECT_FORMATS | GRAPH_FORMATS | {"html"}:
                return self.error_response(
                    request,
                    HttpError(
                        400,
                        "Unknown format",
                        f"format={requested[:40]!r} "
                        "is not one of json, xml, csv, tsv, ttl, nt, rdfxml, jsonld, html",
                    ),
                )
            select_fmt = requested if requested in SELECT_FORMATS | {"html"} else None
            graph_fmt = requested if requested in GRAPH_FORMATS | {"html"} else None
        else:
            select_fmt, graph_fmt = negotiate(accept, SELECT_OFFERS), negotiate(accept, GRAPH_OFFERS)
        html = "html" in (select_fmt, graph_fmt)
        if html:
            # A browser: both kinds of result become a page (a table, or the Turtle of a graph).
            select_fmt, graph_fmt = "html", "html"
        if select_fmt is None and graph_fmt is None:
            return self.error_response(
                request,
                HttpError(
                    406,
                    "Not Acceptable",
                    "SPARQL results are available as "
                    "application/sparql-results+json, application/sparql-results+xml, text/csv, "
                    "text/tab-separated-values (SELECT, ASK) and text/turtle, "
                    "application/n-triples, application/rdf+xml, application/ld+json "
                    "(CONSTRUCT, DESCRIBE)",
                ),
            )
        graphs: dict[str, tuple[str, ...]] = {}
        try:
            for key in ("default-graph-uri", "named-graph-uri"):
                values = tuple(v for n, v in params if n == key)
                for value in values:
                    try:
                        ox.NamedNode(value)
                    except ValueError as error:
                        raise HttpError(
                            400, "Bad graph IRI", f"{key}={value[:80]!r} is not an IRI"
                        ) from error
                graphs[key] = values
            self.check_query(text)
        except HttpError as error:
            if html:
                return self.query_page(request, example=example, text=text, error=error)
            return self.error_response(request, error)
        job = QueryJob(
            text,
            "json" if select_fmt == "html" else select_fmt,
            "ttl" if graph_fmt == "html" else graph_fmt,
            graphs["default-graph-uri"],
            graphs["named-graph-uri"],
            max_rows=self.config.max_results,
            max_bytes=self.config.max_response_bytes,
        )
        outcome = await self.pool.run(job)
        if html:
            return self.query_page(request, example=example, text=text, outcome=outcome)
        if outcome.status != 200:
            title = {
                400: "Bad query",
                406: "Not Acceptable",
                422: "Result too large",
                500: "Query failed",
                503: "Query stopped",
            }.get(outcome.status, "Query failed")
            return self.error_response(
                request, HttpError(outcome.status, title, outcome.message, headers=dict(outcome.headers))
            )
        headers = {
            "Content-Type": CONTENT_TYPES[outcome.format],
            "Vary": "Accept",
            **(self.cache_headers() if request.method == "GET" else {"Cache-Control": "no-store"}),
        }
        return Response(outcome.body, headers=headers)

    def query_page(
        self,
        request: Request,
        *,
        example: str | None = None,
        text: str | None = None,
        outcome: QueryOutcome | None = None,
        error: HttpError | None = None,
    ) -> Response:
        root = self.root(request)
        chosen = next((e for e in self.examples if e.name == example), None)
        if text is None:
            text = (
                chosen.text
                if chosen
                else (self.examples[0].text if self.examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n")
            )
        results: templates.ResultsView | None = None
        status = 200
        if error is not None:
            results = templates.ResultsView(error_status=error.status, error=error.message)
            status = error.status
        elif outcome is not None and outcome.status != 200:
            results = templates.ResultsView(error_status=outcome.status, error=outcome.message)
            status = outcome.status
        elif outcome is not None:
            results = templates.ResultsView(kind=outcome.kind, seconds=outcome.seconds, download_query=text)
            if outcome.kind == "select":
                data = orjson.loads(outcome.body)
                results.variables = data["head"]["vars"]
                results.rows = data["results"]["bindings"]
            elif outcome.kind == "ask":
                results.boolean = bool(orjson.loads(outcome.body)["boolean"])
            else:
                results.graph_text = outcome.body.decode("utf-8")
        body = templates.query_page(
            examples=self.examples,
            selected=chosen.name if chosen else None,
            text=text,
            results=results,
            local=self.local_href(root),
            timeout=self.config.timeout,
            max_results=self.config.max_results,
            root=root,
            figures_path=self.config.base_path,
            prefixes=sparql.PREDECLARED,
        ).encode("utf-8")
        return Response(
            body,
            status_code=status,
            headers={"Content-Type": CONTENT_TYPES["html"], "Vary": "Accept", "Cache-Control": "no-store"},
        )
