"""``/query/<name>`` of ``pfocr-ld serve``: a named query as a page, JSON, CSV or TSV, page by page.

This module owns the server side of the named-query library (:mod:`pfocr_ld.query`): a figure list
for a gene, chemical or disease, a gene's partners, the figures per organism … as

* a page (``text/html``): a form of the query's parameters, then one page of rows (100 unless
  ``limit`` says otherwise) with "rows 1-100 of 18,303", previous/next links, and links to the full
  answer as CSV and JSON;
* JSON (``format=json`` or ``Accept: application/json``): ``{"query", "parameters", "variables",
  "rows", "total", "offset", "limit", "next", "previous", "hint"}``, rows as plain values, as
  ``pfocr-ld query --format json`` prints them; ``limit`` left out: the full answer;
* CSV / TSV (``format=csv|tsv``): the rows alone, as ``pfocr-ld query`` writes them.

Parameters are the query string's: the query's own (``gene=4040``), ``limit`` and ``offset``, and
``format``. They are checked and bound by :func:`pfocr_ld.query.bind` exactly as on the command
line (an unknown parameter, a bad id, a ``limit`` that is not a whole number from 1 to 10,000 is a
``400`` naming it), and the query runs in the server's query workers (:class:`pfocr_ld.serve.QueryPool`,
under ``--timeout`` and ``--worker-memory``) by :func:`pfocr_ld.serve.workers.run_named_job`, which
keeps the sorted keys of recent answers (:class:`pfocr_ld.query.paging.KeyCache`), so following "next"
costs only the page. Paged
answers also carry a ``Link`` header (``rel="next"``/``"prev"``) and ``X-Total-Count``. A full
answer may have any number of rows up to the server's response size (``64 MiB``), not
``--max-results``: the SPARQL endpoint's row limit is for ad-hoc queries.
"""

from __future__ import annotations

import difflib
import io
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.jobs import FULL_ROWS, NamedJob
from pfocr_ld.serve.negotiation import negotiate
from pfocr_ld.templates import query_pages

if TYPE_CHECKING:
    from pfocr_ld.serve.core import ServerCore

#: Rows on a page when a browser gives no ``limit``.
PAGE_ROWS = 100
FORMATS = {
    "html": "text/html",
    "json": "application/json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
OFFERS = (
    ("text/html", "html"),
    ("application/json", "json"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
)
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}


def _plain(term: dict[str, str] | None) -> Any:
    """A SPARQL JSON term as the plain value ``pfocr-ld query --format json`` prints (its plain_value)."""
    import pyoxigraph as ox

    from pfocr_ld.query import plain_value

    if term is None:
        return None
    if term.get("type") == "literal":
        if "xml:lang" in term:
            return plain_value(ox.Literal(term["value"], language=term["xml:lang"]))
        datatype = ox.NamedNode(term["datatype"]) if "datatype" in term else None
        return plain_value(ox.Literal(term["value"], datatype=datatype))
    if term.get("type") == "bnode":
        return "_:" + term["value"]
    return term.get("value")


class NamedQueryService:
    """The ``/query/<name>`` handler, attached to one server (its :class:`ServerCore`)."""

    def __init__(self, server: ServerCore) -> None:
        self.server = server

    async def handle(self, request: Request) -> Response:
        from pfocr_ld.query import library

        server = self.server
        name: str = request.path_params["name"]
        queries = library()
        if name not in queries:
            close = difflib.get_close_matches(name[:100], list(queries), n=3)
            root = server.root(request)
            raise _http_error(
                404,
                "No such query",
                f"there is no named query {name[:100]!r}; the named queries are {', '.join(queries)}",
                suggestions=[(f"{root}/query/{c}", c) for c in close],
            )
        query = queries[name]
        items = list(request.query_params.multi_items())
        if len(items) > 30:
            raise _http_error(400, "Too many parameters", "give at most 30 query parameters")
        params: dict[str, str] = {}
        for key, value in items:
            if key in params:
                raise _http_error(400, "Parameter given twice", f"{key[:40]!r} is given twice; give it once")
            params[key] = value
        requested = params.pop("format", None)
        if requested is not None:
            if requested not in FORMATS:
                raise _http_error(
                    400, "Unknown format", f"format={requested[:40]!r} is not one of {', '.join(FORMATS)}"
                )
            fmt: str | None = requested
        else:
            fmt = negotiate(request.headers.get("accept"), OFFERS)
        if fmt is None:
            raise _http_error(
                406,
                "Not Acceptable",
                "a named query's answer is available as text/html, application/json, text/csv and "
                "text/tab-separated-values",
                headers={"Vary": "Accept"},
            )
        root = server.root(request)
        action = f"{root}/query/{name}"
        pages = query.paging is not None
        if fmt == "html" and pages and "limit" not in params:
            params["limit"] = str(PAGE_ROWS)
        fields = query_pages.field_views(
            [
                (p.name, p.type.name, p.required, p.example, " ".join(p.description.split()))
                for p in query.parameters
                if p.type.name not in ("limit", "offset")
            ],
            params,
        )
        missing = [p.name for p in query.parameters if p.required and not params.get(p.name, "").strip()]

        def page(result: query_pages.NamedResultView | None) -> str:
            return query_pages.named_query_page(
                name=name,
                title=query.title,
                description=" ".join(query.description.split()),
                fields=fields,
                action=action,
                result=result,
                local=server.local_href(root),
                root=root,
                figures_path=server.config.base_path,
            )

        if fmt == "html" and missing and not any(params.get(p.name) for p in query.parameters if p.required):
            # /query/figures-for-gene with nothing filled in: the form, without an error
            body = page(None)
            return Response(
                body.encode("utf-8"), headers={"Content-Type": CONTENT_TYPES["html"], "Vary": "Accept"}
            )
        job = NamedJob(
            name,
            tuple(params.items()),
            max_rows=FULL_ROWS,
            max_bytes=server.config.max_response_bytes,
        )
        outcome = await server.pool.run(job)
        if outcome.status != 200:
            if fmt == "html":
                view = query_pages.NamedResultView(error=outcome.message, error_status=outcome.status)
                body = page(view)
                return Response(
                    body.encode("utf-8"),
                    status_code=outcome.status,
                    headers={"Content-Type": CONTENT_TYPES["html"], "Cache-Control": "no-store"},
                )
            title = {400: "Bad parameter", 422: "Answer too large", 503: "Query stopped"}.get(
                outcome.status, "Query failed"
            )
            raise _http_error(outcome.status, title, outcome.message, headers=dict(outcome.headers))
        answer = orjson.loads(outcome.body)
        total, offset, limit = answer["total"], answer["offset"], answer["limit"]
        own = {k: v for k, v in params.items() if k not in ("limit", "offset")}

        def href(**changes: Any) -> str:
            merged = {**own, **{k: str(v) for k, v in changes.items() if v is not None}}
            return f"{action}?{urlencode(merged)}"

        paged = "limit" in params or "offset" in params
        previous_href = next_href = None
        # The links of data name their format, so that following one gets data whatever the Accept.
        same = requested or (fmt if fmt != "html" else None)
        if paged and limit is not None:
            if offset > 0:
                previous_href = href(limit=limit, offset=max(0, offset - limit), format=same)
            if offset + len(answer["rows"]) < total:
                next_href = href(limit=limit, offset=offset + limit, format=same)
        headers = {"Vary": "Accept", **server.cache_headers()}
        if paged:
            headers["X-Total-Count"] = str(total)
            links = [f'<{h}>; rel="{rel}"' for rel, h in (("prev", previous_href), ("next", next_href)) if h]
            if links:
                headers["Link"] = ", ".join(links)
        if fmt == "html":
            view = query_pages.NamedResultView(
                variables=answer["variables"],
                rows=answer["rows"],
                total=total,
                offset=offset,
                limit=limit,
                seconds=outcome.seconds,
                hint=answer["hint"],
                previous_href=previous_href,
                next_href=next_href,
                downloads=[("CSV", href(format="csv")), ("JSON", href(format="json"))] if total else [],
            )
            body = page(view)
            return Response(body.encode("utf-8"), headers={**headers, "Content-Type": CONTENT_TYPES["html"]})
        variables = answer["variables"]
        rows = [{v: _plain(row.get(v)) for v in variables} for row in answer["rows"]]
        if fmt == "json":
            document = {
                "query": name,
                "parameters": own,
                "variables": variables,
                "rows": rows,
                "total": total,
                "offset": offset,
                "limit": limit,
                "next": next_href,
                "previous": previous_href,
                "hint": answer["hint"],
            }
            return Response(
                orjson.dumps(document), headers={**headers, "Content-Type": CONTENT_TYPES["json"]}
            )
        out = io.StringIO()
        if fmt == "csv":
            import csv

            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(variables)
            for row in answer["rows"]:
                writer.writerow([(row.get(v) or {}).get("value", "") for v in variables])
        else:
            out.write("\t".join(variables) + "\n")
            for row in answer["rows"]:
                out.write("\t".join(_tsv_cell((row.get(v) or {}).get("value", "")) for v in variables) + "\n")
        return Response(
            out.getvalue().encode("utf-8"), headers={**headers, "Content-Type": CONTENT_TYPES[fmt]}
        )


def _tsv_cell(text: str) -> str:
    text = text.replace("\\", "\\\\")
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _http_error(
    status: int,
    title: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    suggestions: list[tuple[str, str]] | None = None,
) -> Exception:

    return HttpError(status, title, message, headers=headers, suggestions=suggestions or ())
