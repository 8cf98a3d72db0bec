"""Pages that explain the data model: the PFOCR vocabulary (``/vocab``) and the mapping (``/vocab/mapping``).

A developer who finds a ``pfocr:`` IRI in the data can open it in a browser and read what it means;
the same address gives the ontology as RDF to programs. The mapping page renders ``docs/mapping.md``
(bundled with the package) with markdown-it-py, HTML in the source disabled, so the document cannot
inject markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markdown_it import MarkdownIt

from pfocr_ld import rdf, vocab
from pfocr_ld.templates import Index, T, _dl, _link, _table, esc, page

_OWL = vocab.OWL
_SKOS_DEFINITION = vocab.SKOS + "definition"
_RDFS = vocab.RDFS


def _term_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def _curie_or_iri(iri: str) -> str:
    return vocab.CONVERTER.compress(iri) or iri


def vocab_page(
    triples: Iterable[rdf.Triple],
    turtle: str,
    *,
    formats: Sequence[tuple[str, str, str]],
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The vocabulary for people: the ontology's facts, its classes and properties, then its Turtle."""
    index = Index(triples)
    ontologies = sorted(s for s in index.nodes if index.has_type(s, _OWL + "Ontology"))
    parts = ["<h1>The PFOCR vocabulary</h1>"]
    if ontologies:
        ontology = ontologies[0]
        parts.append(
            _dl(
                [
                    ("Title", esc(index.literal(ontology, _RDFS + "label") or "")),
                    ("Description", esc(index.literal(ontology, T.dcterms["description"]) or "")),
                    ("Version", esc(index.literal(ontology, _OWL + "versionInfo") or "")),
                    ("Namespace", f"<code>{esc(ontology)}#</code>"),
                ]
            )
        )
    parts.append(
        "<p>Only what neither WikiPathways' vocabulary nor schema.org has; figures are also "
        f'<code>wp:Pathway</code> and <code>schema:Dataset</code>. See <a href="{esc(root)}/vocab/mapping">'
        "how each record field is mapped</a> and the <a "
        f'href="{esc(root)}/sparql">example queries</a>.</p>'
    )

    def rows(kinds: tuple[str, ...], extra: tuple[str, ...]) -> list[list[str]]:
        found = []
        for subject in sorted(index.nodes):
            if "#" not in subject or not any(index.has_type(subject, kind) for kind in kinds):
                continue
            name = _term_name(subject)
            cells = [
                f'<code id="{esc(name)}">{esc(_curie_or_iri(subject))}</code>',
                esc(index.literal(subject, _RDFS + "label") or ""),
                esc(
                    index.literal(subject, _SKOS_DEFINITION)
                    or index.literal(subject, _RDFS + "comment")
                    or ""
                ),
            ]
            for predicate in extra:
                cells.append(
                    ", ".join(f"<code>{esc(_curie_or_iri(o))}</code>" for o in index.iris(subject, predicate))
                )
            found.append(cells)
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
    if classes:
        parts.append(_table("Classes", ["term", "label", "definition", "subclass of"], classes, css="terms"))
    if properties:
        parts.append(
            _table("Properties", ["term", "label", "definition", "domain", "range"], properties, css="terms")
        )
    if individuals:
        parts.append(_table("Individuals", ["term", "label", "definition", "type"], individuals, css="terms"))
    links = "".join(
        f'<li><a href="{esc(href)}" type="{esc(media)}">{esc(label)}</a></li>'
        for label, media, href in formats
    )
    parts.append(f'<h2>As data</h2>\n<ul class="formats">{links}</ul>')
    parts.append(f'<h2>Turtle</h2>\n<pre class="rdf"><code>{esc(turtle)}</code></pre>')
    return page("Vocabulary", "\n".join(parts), root=root, figures_path=figures_path)


def markdown_page(
    title: str, markdown: str, *, source_link: str | None, root: str = "", figures_path: str = "/figures/"
) -> str:
    """A markdown document as a page; raw HTML in the document is shown as text, not interpreted."""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = renderer.render(markdown)
    if source_link:
        body += f"<p>{_link(source_link, 'This page as markdown', external=False)}</p>"
    return page(title, body, root=root, figures_path=figures_path)
