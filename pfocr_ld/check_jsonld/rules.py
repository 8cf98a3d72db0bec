"""The check layers that read an expansion: ``dropped``, ``iris`` and ``vocabulary``.

Each layer is a function of a :class:`~pfocr_ld.check_jsonld.expansion._Run` that adds findings:
:func:`_check_dropped` (keys expansion drops), :func:`_check_iris` (malformed IRIs, and relative
references found by a second expansion against a probe base, skipped when :func:`_needs_probe`
proves it would find nothing) and :func:`_check_vocabulary` (unknown, superseded and
out-of-domain terms, plain strings where an IRI is expected).
"""

from __future__ import annotations

import copy
import posixpath
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit

from pyld.iri_resolver import resolve as _resolve_iri
from pyld.jsonld import JsonLdProcessor, _is_absolute_iri, _is_keyword

from pfocr_ld import vocab
from pfocr_ld.check_jsonld.expansion import (
    _absolute,
    _flatten_values,
    _is_blank,
    _iter_iris,
    _iter_nodes,
    _Run,
)
from pfocr_ld.check_jsonld.findings import _child, _value_at
from pfocr_ld.check_jsonld.vocabulary import (
    Vocabulary,
    _normalise_schema,
    _short,
    _vocabulary_name,
    load_vocabulary,
)
from pfocr_ld.contexts import offline_loader
from pfocr_ld.rdf import BAD_IRI_CHAR

#: Relative references are found by expanding a second time against this base: anything that
#: comes out under it was relative in the document. ``.invalid`` is reserved (RFC 2606), and the
#: deep path keeps ``../`` chains from climbing out of it.
_PROBE_ROOT: Final = "https://relative-iri.pfocr-ld.invalid/"
_PROBE_BASE: Final = _PROBE_ROOT + "p/p/p/p/p/p/p/p/p/p/p/p/document"


_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _check_dropped(run: _Run) -> None:
    assert run.processor is not None
    for path, key, expanded in run.processor.dropped:
        if key is None and expanded is None:
            run.add("error", "dropped-term", path, "a key of this object is dropped by expansion")
        elif expanded is None:
            run.add(
                "warning",
                "dropped-term",
                path,
                f"{key!r} is mapped to null in the context, so expansion ignores it and its value",
            )
        else:
            run.add(
                "error",
                "dropped-term",
                path,
                f"{key or expanded!r} does not expand to an absolute IRI (it expands to {expanded!r}): "
                "JSON-LD processors silently drop it and its value; define it in the context",
            )


def _probe_loader(run: _Run) -> Callable[[str, Any], Any]:
    """A loader for the probe expansion: context references resolved against the probe base are
    mapped back to the real base, so relative context references still load."""
    # the plain offline loader: remote-context findings came from the processing layer already
    real = offline_loader(dict(run.documents) if run.documents else None, base=run.base)

    def load(url: str, options: Any = None) -> Any:
        if url.startswith(_PROBE_ROOT) and run.base:
            probe_dir = posixpath.dirname(urlsplit(_PROBE_BASE).path)
            parts = urlsplit(url)
            relative = posixpath.relpath(parts.path, probe_dir) + (f"?{parts.query}" if parts.query else "")
            url = _resolve_iri(relative, run.base)
        return real(url, options)

    return load


_IRI_KIND: Final = {
    "id": "a node or link",
    "type": "a type",
    "property": "a property",
    "datatype": "a datatype",
}


def _string_paths(document: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every string of the document with its JSON path; a key has its entry's path."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield _child(path, key), key
            yield from _string_paths(value, _child(path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _string_paths(value, _child(path, index))
    elif isinstance(document, str):
        yield path, document


def _needs_probe(run: _Run, iris: Sequence[tuple[str, str]]) -> bool:
    """Whether the probe expansion can find a relative reference the real expansion hides.

    A reference resolved against a base takes the base's scheme (RFC 3986, 5.2.2), so when the
    real base has a scheme, no key was dropped and no IRI of the expansion has that scheme (or
    stayed relative), no IRI came from the base: the probe would find nothing. That is the
    common case (``file:`` bases and ``https:`` documents) and skips a whole second expansion,
    a quarter of a check's time. Anything else (an https base, a dropped key whose expansion
    might depend on the base) takes the probe as before.
    """
    match = _SCHEME.match(run.base or "")
    if match is None or run.processor is None or run.processor.dropped:
        return True
    scheme = match.group(0).lower()
    return any(
        not _is_blank(iri) and (iri[: len(scheme)].lower() == scheme or not _absolute(iri))
        for _, iri in iris
        if not _is_keyword(iri)
    )


def _check_iris(run: _Run) -> None:
    assert run.expanded is not None
    cached_strings: list[tuple[str, str]] = []

    def strings() -> list[tuple[str, str]]:
        # only a finding needs the document's strings: most documents never get here
        if not cached_strings:
            cached_strings.extend(_string_paths(run.document))
        return cached_strings

    reported: set[tuple[str, str]] = set()

    def report(path: str, text: str, message: str, code: str = "relative-iri") -> None:
        if (path, text) not in reported:
            reported.add((path, text))
            run.add("error", code, path, message)

    # Malformed IRIs: PyLD writes them out as they are, and RDF parsers then fail on them. The
    # string that produced one is the one it ends with (a relative reference or the full IRI).
    iris = list(_iter_iris(run.expanded))
    for kind, iri in iris:
        if not _is_blank(iri) and BAD_IRI_CHAR.search(iri):
            matches = [(path, text) for path, text in strings() if text and iri.endswith(text)] or [
                ("$", iri)
            ]
            for path, _ in matches[:1]:
                report(
                    path,
                    iri,
                    f"the {kind} IRI {iri!r} contains characters IRIs cannot contain",
                    "invalid-iri",
                )

    # Relative references: expand again against a probe base; whatever lands under it (or stays
    # relative because the document set "@base": null) depended on the document's location.
    if not _needs_probe(run, iris):
        return
    processor = JsonLdProcessor()
    options = {**run.options, "base": _PROBE_BASE, "documentLoader": _probe_loader(run)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the processing layer has reported them
            probe = processor.expand(copy.deepcopy(run.document), options)
    except Exception:  # the processing layer has reported whatever failed
        return
    for kind, iri in _iter_iris(probe):
        if _is_blank(iri) or _is_keyword(iri):
            continue
        if iri.startswith(_PROBE_ROOT):
            matches = [(path, text) for path, text in strings() if _resolves_to(text, iri)] or [("$", iri)]
            for path, text in matches:
                where = _resolve_iri(text, run.base) if run.base and text != iri else None
                report(
                    path,
                    text,
                    f"{text!r} is a relative IRI reference (used as {_IRI_KIND[kind]}): it resolves "
                    "against the document's base"
                    + (f" to <{where}>" if where else "")
                    + ", so its meaning depends on where the document is published",
                )
        elif not _is_absolute_iri(iri):
            path = next((path for path, text in strings() if text == iri), "$")
            report(
                path,
                iri,
                f"{iri!r} stays a relative IRI (used as {_IRI_KIND[kind]}) because the document has "
                "no base; RDF conversion drops every triple that uses it",
            )


def _resolves_to(text: str, probe_iri: str) -> bool:
    """Whether ``text``, a relative reference, became ``probe_iri`` against the probe base."""
    if not text or _SCHEME.match(text):
        return False
    try:
        return _resolve_iri(text, _PROBE_BASE) == probe_iri
    except Exception:  # the resolver trips over some odd strings; they are not the reference
        return False


def _raw_strings(run: _Run, path: str | None) -> list[tuple[str, str]]:
    """The strings written at ``path`` in the document (one, or each item of an array)."""
    if path is None:
        return []
    raw = run.raw.get(path) if run.raw is not None else _value_at(run.document, path)
    if isinstance(raw, str):
        return [(path, raw)]
    if isinstance(raw, list):
        return [(_child(path, index), item) for index, item in enumerate(raw) if isinstance(item, str)]
    return []


def _check_vocabulary(run: _Run) -> None:
    assert run.expanded is not None and run.processor is not None
    vocabulary = load_vocabulary()
    processor = run.processor
    thing = vocab.SCHEMA + "Thing"
    url = vocab.SCHEMA + "URL"
    role = vocab.SCHEMA + "Role"
    datatypes = vocabulary.datatypes()
    # properties whose values :func:`_check_values` cannot report on (most: titles, labels…)
    quiet: dict[str, bool] = {}

    for node in _iter_nodes(run.expanded):
        node_path = processor.node_paths.get(id(node), "$")
        type_path = processor.key_paths.get((id(node), "@type"))
        if type_path is None:
            type_path = _child(node_path, "@type")
        types = [_normalise_schema(t) for t in node.get("@type", []) if isinstance(t, str)]
        known_types = [t for t in types if t in vocabulary.classes]
        # every type counts, through our ontology too: pfocr:Figure is a schema:Dataset
        type_ancestors, schema_typed = _type_ancestors(vocabulary, tuple(known_types))

        for type_iri in types:
            if not vocabulary.knows_namespace(type_iri):
                continue
            if type_iri not in vocabulary.classes:
                what = "a property, not a type" if type_iri in vocabulary.properties else "not defined"
                run.add(
                    "error",
                    "unknown-term",
                    type_path,
                    f"the type {_short(type_iri)} is {what} in {_vocabulary_name(type_iri)}",
                )
            elif type_iri in vocabulary.superseded:
                run.add(
                    "warning",
                    "superseded-term",
                    type_path,
                    f"{_short(type_iri)} is superseded by {_short(vocabulary.superseded[type_iri])}",
                )

        for key, values in node.items():
            if key.startswith("@"):
                continue
            prop = _normalise_schema(key)
            key_path = processor.key_paths.get((id(node), key), node_path)
            if vocabulary.knows_namespace(prop):
                if prop not in vocabulary.properties:
                    what = "a type, not a property" if prop in vocabulary.classes else "not defined"
                    run.add(
                        "error",
                        "unknown-term",
                        key_path,
                        f"the property {_short(prop)} is {what} in {_vocabulary_name(prop)}",
                    )
                    continue
                if prop in vocabulary.superseded:
                    run.add(
                        "warning",
                        "superseded-term",
                        key_path,
                        f"{_short(prop)} is superseded by {_short(vocabulary.superseded[prop])}",
                    )
            domain = vocabulary.domains.get(prop)
            if domain and schema_typed and role not in type_ancestors and not (type_ancestors & domain):
                run.add(
                    "warning",
                    "domain-mismatch",
                    key_path,
                    f"{_short(prop)} is not expected on {', '.join(_short(t) for t in known_types)} "
                    f"(schema.org domain: {', '.join(sorted(_short(d) for d in domain))})",
                )
            if prop not in quiet:
                url_valued, thing_valued, expects = _expectations(vocabulary, prop, datatypes, thing, url)
                quiet[prop] = expects is None and not (url_valued or thing_valued)
            if not quiet[prop]:
                _check_values(run, vocabulary, prop, values, key_path, datatypes, thing, url)


def _check_values(
    run: _Run,
    vocabulary: Vocabulary,
    prop: str,
    values: Any,
    key_path: str,
    datatypes: frozenset[str],
    thing: str,
    url: str,
) -> None:
    url_valued, thing_valued, expects = _expectations(vocabulary, prop, datatypes, thing, url)
    by_text_cache: list[dict[str, str]] = []

    def by_text() -> dict[str, str]:
        # the raw strings are looked up only for values that may be reported (a fifth of the
        # vocabulary layer's time went to looking them up for every property of every node)
        if not by_text_cache:
            raw = dict(_raw_strings(run, key_path))
            by_text_cache.append({text: path for path, text in raw.items()})
        return by_text_cache[0]

    for value in _flatten_values(values):
        if not isinstance(value, dict):
            continue
        if "@id" in value and len(value) == 1 and isinstance(value["@id"], str):
            if not (url_valued or thing_valued):
                continue
            # The context coerced a string to an IRI: fine when the string was an absolute IRI.
            for text, path in by_text().items():
                if _SCHEME.match(text) or (run.base and _resolve_iri(text, run.base) != value["@id"]):
                    continue
                if url_valued or thing_valued:
                    run.add(
                        "error",
                        "string-not-iri",
                        path,
                        f"{text!r} is not an IRI, but {_short(prop)} expects {expects or 'an IRI'} and the "
                        f"context turns the string into the relative IRI <{value['@id']}>; write a full IRI",
                    )
        elif "@value" in value and isinstance(value["@value"], str) and expects is not None:
            if value.get("@type") not in (None, vocab.XSD + "string"):
                continue
            text = value["@value"]
            path = by_text().get(text, key_path)
            looks_like_iri = bool(re.match(r"^https?://\S+$", text))
            hint = (
                'an IRI written as a string: use {"@id": …} or a context that coerces the term to @id'
                if looks_like_iri
                else "a plain string links to nothing"
            )
            # schema.org tolerates text where it expects a thing, so that is a warning; a string
            # where a URL is expected (license, url, sameAs…) is what consumers cannot use at all
            run.add(
                "error" if url_valued or looks_like_iri else "warning",
                "string-not-iri",
                path,
                f"{_short(prop)} expects {expects}, got the plain string {text!r} ({hint})",
            )


@lru_cache(maxsize=4096)  # bounded: the types come from the documents
def _type_ancestors(vocabulary: Vocabulary, known_types: tuple[str, ...]) -> tuple[frozenset[str], bool]:
    """The classes a node of these (known) types is an instance of, and whether any is schema.org's.

    A corpus repeats a few type combinations; the union was rebuilt for every node (a tenth of
    the vocabulary layer's time).
    """
    ancestors: set[str] = set()
    for type_iri in known_types:
        ancestors |= vocabulary.ancestors(type_iri)
    return frozenset(ancestors), any(t.startswith(vocab.SCHEMA) for t in ancestors)


@lru_cache(maxsize=4096)  # bounded: keys come from the documents
def _expectations(
    vocabulary: Vocabulary, prop: str, datatypes: frozenset[str], thing: str, url: str
) -> tuple[bool, bool, str | None]:
    """What ``prop``'s values should be: (URL-valued, thing-valued, what to call it in a message)."""
    ranges = vocabulary.ranges.get(prop, frozenset())
    # schema.org terms follow schema.org's ranges; our context's @id coercions (which make e.g.
    # schema:about always a link in pfocr-ld's own output) only speak for the other vocabularies
    own_iri = prop in vocabulary.iri_properties and not prop.startswith(vocab.SCHEMA)
    url_valued = url in ranges or own_iri
    thing_valued = thing in ranges or any(r not in datatypes and r in vocabulary.classes for r in ranges)
    # Text (or a number, a date…) among the ranges makes any string a legal value
    text_ok = any(r in datatypes and r != url for r in ranges) and not own_iri
    expects: str | None = None
    if (url_valued or thing_valued) and not text_ok:
        expects = (
            "a URL"
            if url_valued
            else "a " + " or ".join(sorted(_short(r) for r in ranges if r not in datatypes))
        )
    return url_valued, thing_valued, expects
