"""A SPARQL 1.1 Protocol endpoint as a query source (:class:`RemoteSource`), spoken through httpx.

Its own module, below :mod:`pfocr_ld.store` and :mod:`pfocr_ld.query`: the store counts a remote
graph with it before publishing, and ``pfocr-ld query --endpoint`` runs queries with it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from pfocr_ld.auth import redact, split_credentials
from pfocr_ld.errors import EndpointError, QueryError
from pfocr_ld.messages import excerpt
from pfocr_ld.results import Result, Row, Source, Term
from pfocr_ld.sparql import inject_values

_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "text/tab-separated-values;q=0.8, application/n-triples;q=0.7, text/turtle;q=0.6, "
    "application/rdf+xml;q=0.5"
)
#: Longest GET URL we send; longer queries are POSTed (many servers and proxies cap URLs near 8 KB,
#: some at 2 KB).
GET_URL_LIMIT = 2000


class _ResponseReader(io.RawIOBase):
    """An httpx streaming response as a binary file, for pyoxigraph's incremental parsers."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.iter_bytes()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as error:  # pyoxigraph surfaces OSError cleanly
                raise OSError(f"reading the response failed: {error}") from error
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class RemoteSource(Source):
    """A SPARQL 1.1 Protocol endpoint, spoken through httpx.

    Short queries go as ``GET ?query=…``, long ones as ``POST`` with ``application/sparql-query``;
    results are negotiated (SPARQL JSON preferred) and parsed as they stream. Parameters are
    bound by a ``VALUES`` block (:func:`inject_values`). ``default_graph`` is sent as the protocol's
    ``default-graph-uri``; without it the server's default graph is queried (run Oxigraph with
    ``--union-default-graph`` to see data published into named graphs).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 60.0,
        default_graph: str | None = None,
        client: httpx.Client | None = None,
        method: Literal["auto", "get", "post"] = "auto",
        get_url_limit: int = GET_URL_LIMIT,
        auth: httpx.Auth | None = None,
    ) -> None:
        if not re.match(r"^https?://", endpoint):
            raise QueryError(f"--endpoint: {redact(endpoint)!r} is not an http(s) URL")
        # Credentials in the URL are taken out of it, so no message below can print them, and used
        # as Basic authentication (what httpx did with them) unless ``auth`` says otherwise.
        endpoint, user, password = split_credentials(endpoint)
        if auth is None and user is not None:
            auth = httpx.BasicAuth(user, password or "")
        self.auth = auth
        self.endpoint = endpoint
        self.timeout = timeout
        self.default_graph = default_graph
        self.method = method
        self.get_url_limit = get_url_limit
        self._own_client = client is None
        self.client = client or httpx.Client()
        self.description = endpoint

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def prepared_text(self, query: str, bindings: Mapping[str, Term]) -> str:
        return inject_values(query, bindings)

    def _request(self, text: str) -> httpx.Request:
        params = {"default-graph-uri": self.default_graph} if self.default_graph else {}
        headers = {"Accept": _ACCEPT}
        url_length = len(self.endpoint) + 1 + len(urlencode({"query": text, **params}))
        if self.method == "get" or (self.method == "auto" and url_length <= self.get_url_limit):
            return self.client.build_request(
                "GET", self.endpoint, params={"query": text, **params}, headers=headers, timeout=self.timeout
            )
        headers["Content-Type"] = "application/sparql-query; charset=utf-8"
        return self.client.build_request(
            "POST",
            self.endpoint,
            params=params,
            content=text.encode("utf-8"),
            headers=headers,
            timeout=self.timeout,
        )

    def execute(self, query: str, bindings: Mapping[str, Term] | None = None) -> Result:
        text = inject_values(query, bindings or {})
        request = self._request(text)
        try:
            response = self.client.send(request, stream=True, auth=self.auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.TimeoutException as error:
            raise EndpointError(
                f"{self.endpoint}: no answer within {self.timeout:g}s ({type(error).__name__})"
            ) from error
        except httpx.HTTPError as error:
            raise EndpointError(f"{self.endpoint}: {type(error).__name__}: {error}") from error
        if response.status_code >= 400:
            try:
                body = response.read().decode("utf-8", "replace")
            except httpx.HTTPError:
                body = ""
            finally:
                response.close()
            raise EndpointError(
                f"{self.endpoint} answered HTTP {response.status_code} {response.reason_phrase}: "
                f"{excerpt(body)}",
                response.status_code,
                body,
            )
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        reader = io.BufferedReader(_ResponseReader(response), buffer_size=1 << 16)
        parsed: ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple | ox.Quad]
        try:
            if content_type in _RESULT_FORMATS:
                parsed = ox.parse_query_results(reader, _RESULT_FORMATS[content_type])
            elif content_type in _GRAPH_FORMATS:
                parsed = ox.parse(reader, _GRAPH_FORMATS[content_type])
            else:
                raise EndpointError(f"{self.endpoint} answered with unexpected content type {content_type!r}")
        except (SyntaxError, OSError) as error:
            response.close()
            raise EndpointError(f"{self.endpoint}: unreadable results: {error}") from error
        except EndpointError:
            response.close()
            raise
        if isinstance(parsed, ox.QueryBoolean):
            response.close()
            return Result("ask", boolean=bool(parsed))
        if isinstance(parsed, ox.QuerySolutions):
            variables = [v.value for v in parsed.variables]
            return Result("select", variables, self._stream(response, parsed, variables))
        return Result("graph", triples=self._stream_triples(response, parsed))

    def _stream(
        self, response: httpx.Response, solutions: ox.QuerySolutions, variables: list[str]
    ) -> Iterator[Row]:
        try:
            for solution in solutions:
                yield {name: solution[name] for name in variables}
        except (SyntaxError, OSError) as error:
            raise EndpointError(f"{self.endpoint}: results broke off: {error}") from error
        finally:
            response.close()

    def _stream_triples(self, response: httpx.Response, triples: Iterable[Any]) -> Iterator[ox.Triple]:
        try:
            for item in triples:
                yield item.triple if isinstance(item, ox.Quad) else item
        except (SyntaxError, OSError) as error:
            raise EndpointError(f"{self.endpoint}: results broke off: {error}") from error
        finally:
            response.close()
