"""SHACL profiles (``--profile bioschemas|pfocr``) and the ``--against`` graph comparison.

The shapes are parsed once per process (:func:`load_profile`); pySHACL's results become findings
placed on the JSON path of their focus node.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Final

import rdflib
from rdflib.compare import graph_diff, to_isomorphic

from pfocr_ld import resources, vocab
from pfocr_ld.check_jsonld.expansion import _Run
from pfocr_ld.check_jsonld.findings import (
    _SEVERITY_RANK,
    Finding,
    InputError,
    Severity,
    ShapesNotFoundError,
    _child,
    _value_at,
)
from pfocr_ld.check_jsonld.vocabulary import _normalise_schema, _short


def find_pfocr_shapes() -> list[Path]:
    """The project's SHACL shapes: ``pfocr_ld/_bundled/shapes`` (installed) or the repo's ``shapes/``."""
    for directory in (resources.shapes_dir(), resources.PACKAGE_DIR.parent / "shapes"):
        shapes = sorted(directory.glob("*.ttl")) if directory.is_dir() else []
        if shapes:
            return shapes
    raise ShapesNotFoundError(
        "no SHACL shapes found for --profile pfocr (looked in pfocr_ld/_bundled/shapes and shapes/)"
    )


def _term_key(term: rdflib.term.Node) -> str:
    return f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


#: Profile name -> where its shapes come from.
PROFILES: Final[dict[str, str]] = {
    "bioschemas": "Bioschemas Dataset 1.0, Gene 1.0, MolecularEntity 0.5, ChemicalSubstance 0.4, "
    "ScholarlyArticle 0.2-DRAFT (pfocr_ld/data/bioschemas/*.ttl)",
    "pfocr": "the project's own shapes (shapes/*.ttl, bundled as pfocr_ld/_bundled/shapes)",
}


def profile_shape_files(name: str) -> list[Path]:
    """The Turtle files of a profile's shapes; :class:`ShapesNotFoundError` when there are none."""
    if name == "bioschemas":
        directory = resources.DATA_DIR / "bioschemas"
        files = sorted(directory.glob("*.ttl"))
        if not files:
            raise ShapesNotFoundError(f"no Bioschemas shapes in {directory}")
        return files
    if name == "pfocr":
        return find_pfocr_shapes()
    raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}")


@cache
def load_profile(name: str) -> rdflib.Graph:
    """A profile's shapes graph, parsed once per process."""
    graph = rdflib.Graph()
    for path in profile_shape_files(name):
        graph.parse(path, format="turtle")
    return graph


def _check_profile(run: _Run, graph: rdflib.Graph, profile: str) -> None:
    import pyshacl  # imported here: it takes ~0.5 s and most checks do not need it

    shapes = load_profile(profile)
    _, results, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        meta_shacl=False,
        allow_warnings=True,
        allow_infos=True,
    )
    sh = rdflib.Namespace(vocab.SH)
    severity_of: dict[rdflib.term.Node, Severity] = {
        sh.Violation: "error",
        sh.Warning: "warning",
        sh.Info: "info",
    }
    found: list[tuple[str, Finding]] = []
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        severity = severity_of.get(results.value(result, sh.resultSeverity), "error")
        messages = sorted(str(m) for m in results.objects(result, sh.resultMessage))
        shape = results.value(result, sh.sourceShape)
        value = results.value(result, sh.value)
        location = run.term_paths.get(_term_key(focus), "$") if focus is not None else "$"
        if isinstance(path, rdflib.URIRef):
            # point at the property when the document has it; a missing one is reported on its node
            candidate = _child(location, _local_name(str(path)))
            if _value_at(run.document, candidate) is not None:
                location = candidate
        message = messages[0] if messages else f"{_short(str(shape))} is not met"
        if value is not None and not isinstance(value, rdflib.BNode):
            message += f" (value: {value.n3()})"
        found.append((location, Finding(severity, "shacl", location, f"[{profile}] {message}")))
    for _, finding in sorted(found, key=lambda item: (_SEVERITY_RANK[item[1].severity], item[0])):
        run.findings.append(finding)


def _normalised_graph(graph: rdflib.Graph) -> rdflib.Graph:
    def norm(term: rdflib.term.Node) -> rdflib.term.Node:
        if isinstance(term, rdflib.URIRef):
            return rdflib.URIRef(_normalise_schema(str(term)))
        if isinstance(term, rdflib.Literal) and term.datatype == rdflib.XSD.string:
            return rdflib.Literal(str(term))
        return term

    result = rdflib.Graph()
    for s, p, o in graph:
        result.add((norm(s), norm(p), norm(o)))
    return result


def load_against(source: str | Path | rdflib.Graph) -> rdflib.Graph:
    """The ``--against`` graph: a Turtle file, Turtle text or a graph, schema.org normalised to http.

    Raises :class:`InputError` when the file cannot be read or is not Turtle.
    """
    if isinstance(source, rdflib.Graph):
        return _normalised_graph(source)
    graph = rdflib.Graph()
    try:
        if isinstance(source, Path):
            graph.parse(source, format="turtle")
        else:
            graph.parse(data=source, format="turtle")
    except Exception as error:  # rdflib raises several parser exception types, and OSError
        name = source if isinstance(source, Path) else "the --against graph"
        raise InputError(f"{name}: not readable as Turtle: {error}") from error
    return _normalised_graph(graph)


def _compare(run: _Run, graph: rdflib.Graph, expected: rdflib.Graph) -> None:
    ours, theirs = to_isomorphic(graph), to_isomorphic(expected)
    if ours == theirs:
        return
    _, only_ours, only_theirs = graph_diff(ours, theirs)

    def location(subject: rdflib.term.Node) -> str:
        return run.term_paths.get(_term_key(subject), "$") if isinstance(subject, rdflib.URIRef) else "$"

    for s, p, o in sorted(only_theirs):
        run.add(
            "error",
            "missing-triple",
            location(s),
            f"not produced by the document: {s.n3()} {p.n3()} {o.n3()} .",
        )
    for s, p, o in sorted(only_ours):
        run.add(
            "error", "extra-triple", location(s), f"not in the expected graph: {s.n3()} {p.n3()} {o.n3()} ."
        )
