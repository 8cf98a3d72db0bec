"""Binding parameters: a named query and the user's values become a :class:`BoundQuery`.

Values are checked by their declared types (:mod:`pfocr_ld.query.params`) and kept as RDF terms;
the query's conditional lines (``#? name``) are resolved from the file's own lines. How a source
sends the terms (a ``VALUES`` block, :func:`pfocr_ld.sparql.inject_values`) is the source's part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pfocr_ld.errors import ParameterError
from pfocr_ld.query.library import _CONDITION, NamedQuery
from pfocr_ld.query.params import PARAM_TYPES, Parameter, ParamValue
from pfocr_ld.results import Term


# Binding ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoundQuery:
    """A query ready to run: its text with conditional lines resolved, and the variable bindings."""

    query: NamedQuery
    text: str
    bindings: Mapping[str, Term]
    #: The page asked for (``limit``/``offset`` parameters); both ``None``: the full answer.
    limit: int | None = None
    offset: int | None = None

    @property
    def paged(self) -> bool:
        return self.limit is not None or self.offset is not None


def apply_conditions(text: str, conditions: set[str]) -> str:
    """Resolve the query's conditional lines.

    A line ending in ``#? cond …`` is kept only when every condition holds: ``name`` — parameter
    ``name`` was given (a flag: given as true); ``?var`` — variable ``?var`` is bound; ``!`` negates.
    This selects among the file's own lines; no user text ever enters the query.
    """
    out = []
    for line in text.splitlines():
        match = _CONDITION.match(line)
        if match:
            keep = True
            for token in match.group("cond").split():
                wanted = not token.startswith("!")
                keep = keep and ((token.lstrip("!") in conditions) == wanted)
            if not keep:
                continue
        out.append(line)
    return "\n".join(out) + "\n"


def strip_header(text: str) -> str:
    """The query without its leading comment block: the documentation need not travel with every
    request (it would push short queries over the GET URL limit)."""
    lines = text.splitlines()
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    return "\n".join(lines[start:]).lstrip("\n") + "\n"


def bind(query: NamedQuery, params: Mapping[str, ParamValue]) -> BoundQuery:
    """Check ``params`` against the query's declared parameters and turn them into RDF terms.

    A query without declared parameters (an ad-hoc ``-e`` query or a plain ``.rq`` file) takes any
    ``name=value`` as the variable ``?name``: ``<…>`` binds an IRI, anything else a plain literal.
    """
    bindings: dict[str, Term] = {}
    conditions: set[str] = set()
    page: dict[str, int] = {}
    declared = {p.name: p for p in query.parameters}
    for name, raw in params.items():
        if not query.parameters:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ParameterError(f"{name!r} is not a SPARQL variable name")
            parameter = Parameter(name, PARAM_TYPES["term"])
        elif name in declared:
            parameter = declared[name]
        else:
            names = ", ".join(declared) or "none"
            raise ParameterError(f"{query.name} has no parameter {name!r} (parameters: {names})")
        if not isinstance(raw, str | int | bool):
            # str() of a list would bind "['TP53', 'EGFR']" as one value and quietly match nothing
            many = f"a {type(raw).__name__}" + (f" of {len(raw)}" if hasattr(raw, "__len__") else "")
            raise ParameterError(
                f"{name} takes one value, not {many}; run the query once per value, or use "
                "`pfocr-ld enrich` / pfocr_ld.enrichment.enrich for a gene list"
            )
        text = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
        kind, term = parameter.type.parse(text)
        if kind in ("limit", "offset") and parameter.type.name == kind:
            # a page, not a binding: an int by construction, kept out of the query text
            page[kind] = int(term.value)  # type: ignore[union-attr]
            continue
        if term is None:
            if kind == "true":
                conditions.add(name)
            continue
        variable = parameter.variable(kind)
        bindings[variable] = term
        conditions.update({name, "?" + variable})
    missing = [p.name for p in query.parameters if p.required and p.name not in params]
    if missing:
        examples = " ".join(f"--param {n}={query.parameter(n).example or '…'}" for n in missing)  # type: ignore[union-attr]
        raise ParameterError(f"{query.name} needs {', '.join(missing)}: e.g. {examples}")
    return BoundQuery(
        query,
        apply_conditions(strip_header(query.text), conditions),
        bindings,
        limit=page.get("limit"),
        offset=page.get("offset"),
    )
