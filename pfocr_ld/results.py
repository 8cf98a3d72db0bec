"""What a SPARQL query answers, and the interface every query source implements.

This module owns :class:`Result` (rows, a boolean or triples, produced lazily), :class:`Source`
(something that runs SPARQL text with bound terms) and the plain-value views of terms. It sits
below the stores and the query package so that both the embedded source
(:mod:`pfocr_ld.query.sources`) and the endpoint client (:mod:`pfocr_ld.remote`, which
:mod:`pfocr_ld.store` uses to count a remote graph) implement it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import pyoxigraph as ox

from pfocr_ld import vocab

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = dict[str, "Term | None"]


# Results ---------------------------------------------------------------------------------------
_XSD = vocab.XSD
_FLOAT_TYPES = {_XSD + "decimal", _XSD + "double", _XSD + "float"}


def plain_value(term: Term | None) -> str | int | float | bool | None:
    """A term as a Python value: IRIs and literals as text, numbers and booleans as such."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in vocab.XSD_INTEGER_TYPES:
                return int(term.value)
            if datatype in _FLOAT_TYPES:
                return float(term.value)
        except ValueError:
            return term.value
        if datatype == _XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def text_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal | ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


class Result:
    """What a query returned: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE).

    Rows and triples are produced lazily and only once; iterate, or call :meth:`values` for rows
    of plain Python values (``{"figid": "PMC…", "genes": 12}``).

    A page (a query run with ``limit``/``offset``) also says where it is: ``total`` rows in the full
    answer, from ``offset``, at most ``limit``; ``hint`` explains an empty answer when it can (a gene
    symbol that names no gene). All four are ``None`` for a full answer.
    """

    total: int | None = None
    offset: int | None = None
    limit: int | None = None
    hint: str | None = None

    def __init__(
        self,
        kind: Literal["select", "ask", "graph"],
        variables: Sequence[str] = (),
        rows: Iterable[Row] = (),
        boolean: bool | None = None,
        triples: Iterable[ox.Triple] = (),
    ) -> None:
        self.kind = kind
        self.variables = list(variables)
        self._rows = iter(rows)
        self.boolean = boolean
        self._triples = iter(triples)

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def triples(self) -> Iterator[ox.Triple]:
        return self._triples

    def values(self) -> Iterator[dict[str, Any]]:
        for row in self._rows:
            yield {name: plain_value(row.get(name)) for name in self.variables}

    def __bool__(self) -> bool:  # an ASK result reads naturally in an if
        return bool(self.boolean) if self.kind == "ask" else True


# Sources ---------------------------------------------------------------------------------------
class Source:
    """Something that runs SPARQL: :class:`EmbeddedSource` or :class:`RemoteSource`."""

    description = "source"
    #: A :class:`pfocr_ld.query.paging.KeyCache` for sources whose data cannot change (serve's workers).
    page_cache: Any = None
    #: A :class:`pfocr_ld.gene_index.GeneFigureIndex`, likewise (serve's workers build one).
    gene_index: Any = None

    def execute(self, query: str, bindings: Mapping[str, Term] | None = None) -> Result:
        raise NotImplementedError

    def prepared_text(self, query: str, bindings: Mapping[str, Term]) -> str:
        """The text this source sends for ``query`` (for ``--show-query``)."""
        return query

    def close(self) -> None:
        pass

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
