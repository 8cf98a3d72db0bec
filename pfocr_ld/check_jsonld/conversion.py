"""A checked document's RDF: JSON-LD's toRdf of the traced expansion, with the node-to-path map.

:func:`_to_rdf` labels blank nodes, converts the already expanded form (PyLD's node map and
``_graph_to_rdf``, without ``to_rdf``'s second expansion), leaves out the statements toRdf must
skip (reporting ill-formed language tags) and builds the rdflib graph SHACL and ``--against`` read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

import rdflib
from pyld.identifier_issuer import IdentifierIssuer
from pyld.jsonld import JsonLdProcessor, _is_absolute_iri

from pfocr_ld import vocab
from pfocr_ld.check_jsonld.expansion import _absolute, _is_blank, _iter_nodes, _Run
from pfocr_ld.check_jsonld.vocabulary import _normalise_schema
from pfocr_ld.rdf import BAD_IRI_CHAR

_BNODE_PREFIX: Final = "_:pfocr-ld-n"


def _prune_null_ids(value: Any) -> Any:
    """Drop the ``{"@id": null}`` references expansion leaves for ignored keyword-like IRIs
    (``"@ignoreMe"``): they denote nothing, and PyLD's toRdf cannot sort a ``None`` subject."""
    if isinstance(value, list):
        return [
            _prune_null_ids(item)
            for item in value
            if not (isinstance(item, dict) and item.get("@id", "") is None and len(item) == 1)
        ]
    if isinstance(value, dict):
        if value.get("@id", "") is None:
            del value["@id"]
        for key, item in value.items():
            if key not in ("@value", "@id", "@type", "@language", "@direction", "@index"):
                value[key] = _prune_null_ids(item)
    return value


def _label_blank_nodes(run: _Run) -> dict[str, str]:
    """Give every unlabelled node of the expanded document a blank-node id, and map ids to paths."""
    assert run.expanded is not None and run.processor is not None
    labels: dict[str, str] = {}
    counter = 0
    for node in _iter_nodes(run.expanded):
        path = run.processor.node_paths.get(id(node), "$")
        if "@id" not in node:
            if "@graph" in node:  # a simple graph object stays as it is: toRdf names it alike
                continue
            node["@id"] = f"{_BNODE_PREFIX}{counter}"
            counter += 1
        if isinstance(node["@id"], str):
            labels.setdefault(node["@id"], path)
    return labels


_LANGUAGE_TAG: Final = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


@lru_cache(maxsize=1 << 16)
def _well_formed_iri(iri: str) -> bool:
    # PyLD only checks for a scheme and no whitespace; toRdf must also skip IRIs with characters
    # no IRI may hold, or with a second "#"
    return _absolute(iri) and not BAD_IRI_CHAR.search(iri) and iri.count("#") <= 1


def _well_formed_term(term: Mapping[str, Any] | None) -> bool:
    if term is None:  # PyLD leaves None for a list item whose IRI stayed relative
        return False
    if term["type"] == "IRI":
        return _well_formed_iri(term["value"])
    if term["type"] == "literal":
        datatype = term.get("datatype")
        return datatype is None or _well_formed_iri(datatype)
    return True


def _well_formed(run: _Run, dataset: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The dataset without the statements JSON-LD's toRdf must skip but PyLD keeps: ill-formed
    IRIs (reported by the iris layer) and ill-formed language tags (reported here)."""
    result: dict[str, list[dict[str, Any]]] = {}
    for graph_name, quads in dataset.items():
        if graph_name != "@default" and not _is_blank(graph_name) and not _well_formed_iri(graph_name):
            continue
        kept = []
        for quad in quads:
            obj = quad.get("object")
            if not all(_well_formed_term(quad.get(part)) for part in ("subject", "predicate", "object")):
                continue
            language = obj.get("language") if obj else None
            if obj is not None and language and not _LANGUAGE_TAG.match(language):
                path = run.term_paths.get(_normalise_schema(quad["subject"]["value"]), "$")
                run.add(
                    "warning",
                    "invalid-language-tag",
                    path,
                    f"{language!r} is not a well-formed language tag (BCP 47): the statement with "
                    f"{obj['value']!r} is left out of the RDF",
                )
                continue
            kept.append(quad)
        result[graph_name] = kept
    return result


def _to_term(term: Mapping[str, Any]) -> rdflib.term.Node | None:
    try:
        return _rdflib_term(term)
    except ValueError:  # rdflib refuses a few lexical forms PyLD passes through
        return None


def _rdflib_term(term: Mapping[str, Any]) -> rdflib.term.Node | None:
    kind, value = term["type"], term["value"]
    if kind == "IRI":
        if value.startswith("_:"):
            return rdflib.BNode(value[2:])
        return None if BAD_IRI_CHAR.search(value) else rdflib.URIRef(_normalise_schema(value))
    if kind == "blank node":
        return rdflib.BNode(value[2:])
    language = term.get("language")
    if language:
        return rdflib.Literal(value, lang=language)
    datatype = term.get("datatype")
    if datatype in (None, vocab.XSD + "string"):
        return rdflib.Literal(value)
    return rdflib.Literal(value, datatype=rdflib.URIRef(datatype))


def _dataset(expanded: list[Any], options: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """JSON-LD's toRdf of an already expanded document (PyLD's ``to_rdf`` without its expansion).

    PyLD's ``to_rdf`` expands its input again before building the node map; for a document that
    is already expanded that second expansion is the identity and cost a third of a check's time
    (measured: 16.7 s of 37 s for 200 synthetic figure documents under cProfile). The W3C toRdf
    tests (tests/test_w3c_jsonld_suite.py) pin that the dataset is the same.
    """
    processor = JsonLdProcessor()
    issuer = options["identifierIssuer"]
    node_map: dict[str, Any] = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    dataset: dict[str, list[dict[str, Any]]] = {}
    for graph_name, graph in sorted(node_map.items()):
        # relative graph names are skipped, as toRdf does
        if graph_name == "@default" or _is_absolute_iri(graph_name):
            dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    return dataset


def _to_rdf(run: _Run, *, keep: bool = True) -> tuple[str | None, rdflib.Graph | None]:
    """The document's RDF: toRdf of the (blank-node labelled) expanded form.

    Converting the expanded form keeps the node-to-path map valid for blank nodes: the issuer
    records which ``_:bN`` each of our labels became. schema.org IRIs are normalised to http in
    the graph (not in the N-Quads), so https-schema.org documents validate like http ones.
    With ``keep`` false only the findings of the conversion are wanted: no N-Quads, no graph.
    """
    run.expanded = _prune_null_ids(run.expanded)
    labels = _label_blank_nodes(run)
    issuer = IdentifierIssuer("_:b")
    options = {
        # toRdf's defaults, then the caller's
        "produceGeneralizedRdf": False,
        "rdfDirection": None,
        "processingMode": "json-ld-1.1",
        **{
            k: v
            for k, v in run.options.items()
            if k in ("produceGeneralizedRdf", "rdfDirection", "processingMode")
        },
        "identifierIssuer": issuer,
    }
    dataset = _dataset(run.expanded or [], options)
    for label, path in labels.items():
        if _is_blank(label):
            issued = issuer.existing.get(label)
            if issued is not None:
                run.term_paths.setdefault(issued, path)
        else:
            run.term_paths.setdefault(_normalise_schema(label), path)
    dataset = _well_formed(run, dataset)
    if not keep:
        return None, None
    graph = rdflib.Graph()
    for quads in dataset.values():
        for quad in quads:
            terms = (_to_term(quad["subject"]), _to_term(quad["predicate"]), _to_term(quad["object"]))
            if all(term is not None for term in terms):
                graph.add(terms)  # type: ignore[arg-type]
    return JsonLdProcessor.to_nquads(dataset), graph
