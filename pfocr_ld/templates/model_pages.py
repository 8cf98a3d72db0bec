"""Pages that explain the data model: the PFOCR vocabulary (``/vocab``) and the mapping (``/vocab/mapping``).

A developer who finds a ``pfocr:`` IRI in the data can open it in a browser and read what it means;
the same address gives the ontology as RDF to programs. :func:`vocab_page` reads the ontology's
triples into a view-model (:class:`VocabView`) that ``html/vocab.html.j2`` lays out. The mapping page
renders ``docs/mapping.md`` (bundled with the package) with markdown-it-py, HTML in the source
disabled, so the document cannot inject markup: its output is the one place here where HTML made in
Python reaches a template (:func:`markdown_page`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markupsafe import Markup

from pfocr_ld import rdf, vocab
from pfocr_ld.templates import Index, T, format_links
from pfocr_ld.templates._render import Fact, Link, facts, link, render, shell

_OWL = vocab.OWL
_SKOS_DEFINITION = vocab.SKOS + "definition"
_RDFS = vocab.RDFS


def _term_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def _curie_or_iri(iri: str) -> str:
    return vocab.CONVERTER.compress(iri) or iri


@dataclass
class TermRow:
    """One class, property or individual: its anchor, CURIE, label, definition, and the IRIs of each
    extra column (superclasses; domain and range; types), as CURIEs."""

    anchor: str
    curie: str
    label: str
    definition: str
    extra: list[list[str]] = field(default_factory=list)


@dataclass
class TermTable:
    caption: str
    headers: list[str]
    rows: list[TermRow]


@dataclass
class VocabView:
    facts: list[Fact]
    tables: list[TermTable]
    formats: list[Link]
    turtle: str


def vocab_view(
    triples: Iterable[rdf.Triple], turtle: str, *, formats: Sequence[tuple[str, str, str]]
) -> VocabView:
    """The vocabulary page's view-model from the ontology's triples."""
    index = Index(triples)
    ontologies = sorted(s for s in index.nodes if index.has_type(s, _OWL + "Ontology"))
    ontology_facts: list[Fact] = []
    if ontologies:
        ontology = ontologies[0]
        ontology_facts = facts(
            [
                Fact("Title", index.literal(ontology, _RDFS + "label") or ""),
                Fact("Description", index.literal(ontology, T.dcterms["description"]) or ""),
                Fact("Version", index.literal(ontology, _OWL + "versionInfo") or ""),
                Fact("Namespace", f"{ontology}#", code=True),
            ]
        )

    def rows(kinds: tuple[str, ...], extra: tuple[str, ...]) -> list[TermRow]:
        found = []
        for subject in sorted(index.nodes):
            if "#" not in subject or not any(index.has_type(subject, kind) for kind in kinds):
                continue
            found.append(
                TermRow(
                    anchor=_term_name(subject),
                    curie=_curie_or_iri(subject),
                    label=index.literal(subject, _RDFS + "label") or "",
                    definition=index.literal(subject, _SKOS_DEFINITION)
                    or index.literal(subject, _RDFS + "comment")
                    or "",
                    extra=[[_curie_or_iri(o) for o in index.iris(subject, predicate)] for predicate in extra],
                )
            )
        return found

    classes = rows((_OWL + "Class",), (_RDFS + "subClassOf",))
    properties = rows(
        (
            *(_OWL + kind for kind in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty")),
            vocab.RDF + "Property",
        ),
        (_RDFS + "domain", _RDFS + "range"),
    )
    individuals = rows((_OWL + "NamedIndividual",), (T.rdf["type"],))
    tables = [
        TermTable(caption, headers, found)
        for caption, headers, found in (
            ("Classes", ["term", "label", "definition", "subclass of"], classes),
            ("Properties", ["term", "label", "definition", "domain", "range"], properties),
            ("Individuals", ["term", "label", "definition", "type"], individuals),
        )
        if found
    ]
    return VocabView(ontology_facts, tables, format_links(formats), turtle)


def vocab_page(
    triples: Iterable[rdf.Triple],
    turtle: str,
    *,
    formats: Sequence[tuple[str, str, str]],
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The vocabulary for people: the ontology's facts, its classes and properties, then its Turtle."""
    view = vocab_view(triples, turtle, formats=formats)
    return render("vocab.html.j2", shell("Vocabulary", root=root, figures_path=figures_path), view)


@dataclass
class MarkdownView:
    body: Markup  # markdown-it's HTML, see markdown_page
    source: Link | None


def markdown_page(
    title: str, markdown: str, *, source_link: str | None, root: str = "", figures_path: str = "/figures/"
) -> str:
    """A markdown document as a page; raw HTML in the document is shown as text, not interpreted."""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    # Reviewed: with "html" off markdown-it escapes every raw HTML block and inline tag of the source
    # and drops javascript:/vbscript:/data: link targets (its validateLink), so its output is markup
    # made only of markdown's own elements.
    body = Markup(renderer.render(markdown))
    source = link(source_link, "This page as markdown", external=False) if source_link else None
    page_shell = shell(title, root=root, figures_path=figures_path)
    return render("markdown.html.j2", page_shell, MarkdownView(body, source))
