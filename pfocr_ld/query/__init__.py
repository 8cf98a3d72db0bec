"""SPARQL over PFOCR data: the named-query library, parameter binding, sources and result formats.

This package owns *asking* questions of the published data (loading it is :mod:`pfocr_ld.store`),
one module a section, each below the next:

* :mod:`~pfocr_ld.query.params` — the parameter types (``gene``, ``taxon``, ``figid``, ``limit``…),
  checked against the patterns the mapping mints;
* :mod:`~pfocr_ld.query.library` — the named queries shipped as ``pfocr_ld/queries/*.rq``, each with
  a YAML header in its leading comment block (title, description, typed parameters, an example);
* :mod:`~pfocr_ld.query.binding` — binding parameters as typed RDF terms through the query's own
  variables, never by pasting user text into the query: embedded stores and remote endpoints alike
  get a ``VALUES`` block written from N-Triples-serialised terms (:func:`pfocr_ld.sparql.inject_values`);
* :mod:`~pfocr_ld.query.hints` and :mod:`~pfocr_ld.query.paging` — why an answer is empty; one
  page of an ordered answer and its total;
* :mod:`~pfocr_ld.query.sources` — three sources behind one interface (:func:`open_source`): a
  persistent store, dump files loaded into memory, a SPARQL 1.1 Protocol endpoint
  (:class:`pfocr_ld.remote.RemoteSource`); the interface and its :class:`~pfocr_ld.results.Result`
  are :mod:`pfocr_ld.results`;
* :mod:`~pfocr_ld.query.writers` — result writers that stream rows as they arrive: an aligned
  table, CSV, TSV, JSON, SPARQL 1.1 Results JSON and XML, and GMT gene sets (:func:`write_result`);
* :mod:`~pfocr_ld.query.sandboxed` and :mod:`~pfocr_ld.query.command` — the ``pfocr-ld query``
  command, whose local queries run in a process without network.

Everything is re-exported here, so ``from pfocr_ld.query import run_named`` keeps working. Errors
are :class:`~pfocr_ld.errors.PfocrLdError`\\ s (``QueryError``, ``ParameterError``, ``EndpointError``).

Python API::

    from pfocr_ld.query import open_source, run_named
    with open_source(store="pfocr-store") as source:
        for row in run_named(source, "figures-for-gene", gene="7099").values():
            print(row["figid"], row["title"])
"""

from __future__ import annotations

from pfocr_ld.errors import EndpointError, ParameterError, PfocrLdError, QueryError
from pfocr_ld.query.binding import BoundQuery, apply_conditions, bind, strip_header
from pfocr_ld.query.command import query_command
from pfocr_ld.query.hints import no_rows_hint
from pfocr_ld.query.library import (
    NamedQuery,
    get_query,
    library,
    list_queries,
    load_query_file,
    parse_query_text,
)
from pfocr_ld.query.paging import KeyCache, run_page
from pfocr_ld.query.params import (
    MAX_LIMIT,
    MAX_OFFSET,
    PARAM_TYPES,
    Parameter,
    ParamType,
    ParamValue,
    gene_id_of,
)
from pfocr_ld.query.sandboxed import (
    FEDERATION_OFF,
    _sandboxed_query,
    report_answer,
    run_local_sandboxed,
)
from pfocr_ld.query.sources import EmbeddedSource, open_source, run_bound, run_named, run_query
from pfocr_ld.query.writers import (
    FORMATS,
    _srj_term,
    write_boolean,
    write_delimited,
    write_gmt,
    write_gmt_per_taxon,
    write_json,
    write_result,
    write_srj,
    write_srx,
    write_table,
)
from pfocr_ld.remote import GET_URL_LIMIT, RemoteSource
from pfocr_ld.results import Result, Row, Source, Term, plain_value, text_value
from pfocr_ld.sparql import VALUES_MARKER as _VALUES_MARKER
from pfocr_ld.sparql import inject_values, values_block
from pfocr_ld.sparql import where_group as _where_group

__all__ = [
    "FEDERATION_OFF",
    "FORMATS",
    "GET_URL_LIMIT",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "PARAM_TYPES",
    "_VALUES_MARKER",
    "BoundQuery",
    "EmbeddedSource",
    "EndpointError",
    "KeyCache",
    "NamedQuery",
    "ParamType",
    "ParamValue",
    "Parameter",
    "ParameterError",
    "PfocrLdError",
    "QueryError",
    "RemoteSource",
    "Result",
    "Row",
    "Source",
    "Term",
    "_sandboxed_query",
    "_srj_term",
    "_where_group",
    "apply_conditions",
    "bind",
    "gene_id_of",
    "get_query",
    "inject_values",
    "library",
    "list_queries",
    "load_query_file",
    "no_rows_hint",
    "open_source",
    "parse_query_text",
    "plain_value",
    "query_command",
    "report_answer",
    "run_bound",
    "run_local_sandboxed",
    "run_named",
    "run_page",
    "run_query",
    "strip_header",
    "text_value",
    "values_block",
    "write_boolean",
    "write_delimited",
    "write_gmt",
    "write_gmt_per_taxon",
    "write_json",
    "write_result",
    "write_srj",
    "write_srx",
    "write_table",
]
