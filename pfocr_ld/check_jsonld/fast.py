"""The fast path of ``pfocr-ld check-jsonld``: PyLD's expansion, specialised to bundled contexts.

This module owns one question: *would the full checker find nothing in this document?* A corpus
of a build is 100k documents that all name one bundled context (``../context.jsonld`` or
schema.org) and use it plainly, and nearly all of them are clean; PyLD's generic expansion and
RDF conversion were three quarters of a check's CPU time (about 13 of 18 ms for a 57 kB figure
document). :func:`expand_plain` expands such a document the way PyLD does (same expanded form,
same node and key paths as :class:`pfocr_ld.check_jsonld.expansion._TracingProcessor` records), with the
active context processed once by PyLD itself, every key expanded by PyLD's own ``_expand_iri``
and ``@id`` and ``@type`` values by the same steps (compact IRI, absolute IRI, ``@vocab``), all
remembered per context. The checker's own layers then run on that expanded form unchanged; the
RDF conversion is left out, as a clean document needs it only for its language tags, which the
expansion checks. With the fast path a figure document costs 3.7 ms of CPU end to end
(``benchmarks/results/check-jsonld-100000.md``).

Anything outside the plain subset gives up (``None``) rather than guess, and the caller runs the
exact PyLD path: another or an embedded context, containers, scoped contexts, ``@list``,
``@reverse``, ``@nest``, ``@json``, ``@direction``, ``null``, nested arrays, relative IRIs, keys
that expansion drops, keyword-like strings, a value that PyLD would reject. A document the fast
path finds anything in is checked again on the exact path too, so every reported finding (its
wording, location and order) comes from the exact path: the fast path only ever answers "clean".
``tests/test_check_jsonld_fast.py`` pins that the expanded form and paths equal PyLD's on a build
and on generated documents, and that "clean" here implies no finding on the exact path.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from pyld.context_resolver import ContextResolver
from pyld.iri_resolver import resolve as _resolve_iri
from pyld.jsonld import KEYWORDS, JsonLdProcessor

from pfocr_ld import vocab
from pfocr_ld.contexts import SCHEMA_ORG_CONTEXT_IRIS, offline_loader, reference_iri

#: the keywords the plain subset handles; any other keyword sends the document to the exact path
_PLAIN_KEYWORDS: Final = frozenset({"@id", "@type", "@graph", "@value", "@language"})
#: bounded memories: keys and types of a corpus are few, but they come from the documents
_MEMO_LIMIT: Final = 1 << 16
#: PyLD's absolute-IRI test (``pyld.jsonld._is_absolute_iri``), compiled once: it compiles the
#: pattern on every call, and this runs for every IRI of every document
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_KEYWORDS: Final = frozenset(KEYWORDS)
#: JSON-LD 1.1 writes integers from 10^21 on as doubles (toRdf); the fast path leaves them alone
_BIG_INTEGER: Final = 10**21


def _is_absolute_iri(value: str) -> bool:
    return _ABSOLUTE_IRI.match(value) is not None


def _plain_number(value: Any) -> bool:
    """A boolean, a finite float or an integer below 10^21: what toRdf writes without surprises
    (bigger integers become doubles, and PyLD overflows on the biggest)."""
    if isinstance(value, (bool, float)):
        return not isinstance(value, float) or math.isfinite(value)
    return isinstance(value, int) and abs(value) < _BIG_INTEGER


class _GiveUp(Exception):
    """The document is outside the plain subset: the exact path decides."""


@dataclass
class PlainContext:
    """A bundled context as PyLD processed it, with PyLD's IRI expansions remembered."""

    url: str
    active: Any
    processor: JsonLdProcessor
    #: key -> PyLD's vocab-relative expansion (None: dropped or ignored)
    keys: dict[str, str | None] = field(default_factory=dict)
    #: @type value / @vocab-coerced string -> absolute IRI (None: not plain)
    vocab_iris: dict[str, str | None] = field(default_factory=dict)
    #: key -> how its string values expand: None (plain literal), "@id", "@vocab" or a datatype IRI
    coercions: dict[str, str | None] = field(default_factory=dict)
    #: @id value / @id-coerced string -> absolute IRI
    id_iris: dict[str, str] = field(default_factory=dict)

    def key(self, key: str) -> str | None:
        try:
            return self.keys[key]
        except KeyError:
            pass
        if len(self.keys) > _MEMO_LIMIT:
            self.keys.clear()
        expanded = self.processor._expand_iri(self.active, key, vocab=True)
        if expanded is not None and not (expanded in _KEYWORDS or _is_absolute_iri(expanded)):
            expanded = None  # PyLD drops the key (the dropped layer reports it)
        self.keys[key] = expanded
        return expanded

    def coercion(self, key: str) -> str | None:
        """The key's ``@type`` coercion; gives up for term definitions outside the subset."""
        try:
            return self.coercions[key]
        except KeyError:
            pass
        mapping = self.active["mappings"].get(key)
        coercion = None
        if mapping is not None:
            if mapping.get("reverse") or mapping.get("@container") or "@context" in mapping:
                raise _GiveUp(key)
            if "@language" in mapping or "@direction" in mapping or "@nest" in mapping:
                raise _GiveUp(key)
            coercion = mapping.get("@type")
            if coercion in ("@json", "@none"):
                raise _GiveUp(key)
        if len(self.coercions) > _MEMO_LIMIT:
            self.coercions.clear()
        self.coercions[key] = coercion
        return coercion

    def vocab_iri(self, value: str) -> str:
        """PyLD's ``_expand_iri(value, vocab=True, base=…)``, when the result is absolute."""
        try:
            expanded = self.vocab_iris[value]
        except KeyError:
            expanded = None
            if not value.startswith("@"):  # keywords and keyword-like strings: not plain
                mapping = self.active["mappings"].get(value, False)
                if mapping is None:
                    expanded = None
                elif mapping is not False:
                    expanded = mapping["@id"]
                else:
                    expanded = _prefixed(self.active, value)
                    if expanded is None and "@vocab" in self.active:
                        expanded = self.active["@vocab"] + value
                if expanded is not None and not (_is_absolute_iri(expanded) or expanded.startswith("_:")):
                    expanded = None
            if len(self.vocab_iris) > _MEMO_LIMIT:
                self.vocab_iris.clear()
            self.vocab_iris[value] = expanded
        if expanded is None:
            raise _GiveUp(value)
        return expanded

    def id_iri(self, value: str) -> str:
        """PyLD's ``_expand_iri(value, base=…)`` (document-relative), when no base is involved."""
        expanded = self.id_iris.get(value)
        if expanded is not None:
            return expanded
        if value.startswith("@"):
            raise _GiveUp(value)
        expanded = _prefixed(self.active, value)
        if expanded is None:
            raise _GiveUp(value)  # relative: the base decides, and that is a finding anyway
        if len(self.id_iris) > _MEMO_LIMIT:
            self.id_iris.clear()
        # a corpus names the same genes, organisms and licences over and over
        self.id_iris[value] = expanded
        return expanded


def _prefixed(active: Any, value: str) -> str | None:
    """The compact-IRI and absolute-IRI steps of PyLD's ``_expand_iri``: the absolute IRI (or
    blank node) they give, ``None`` when they give nothing and PyLD goes on (``@vocab``, base)."""
    colon = value.find(":")
    if colon <= 0:
        return None
    prefix, suffix = value[:colon], value[colon + 1 :]
    if prefix == "_" or suffix.startswith("//"):
        if prefix != "_" and not _is_absolute_iri(value):
            raise _GiveUp(value)
        return value
    mapping = active["mappings"].get(prefix)
    if mapping and mapping.get("_prefix"):
        expanded = mapping["@id"] + suffix
        if not _is_absolute_iri(expanded):
            raise _GiveUp(value)
        return expanded
    return value if _is_absolute_iri(value) else None


_CONTEXTS: dict[str, PlainContext | None] = {}


def _plain_context(url: str, base: str) -> PlainContext | None:
    """The processed bundled context ``url`` names, or ``None`` when it is not one we specialise."""
    # what the offline loader serves for this document's base: the build's relative reference
    # names the PFOCR context only from the documents of its own folder
    if not (url in SCHEMA_ORG_CONTEXT_IRIS or url == vocab.CONTEXT_IRI or url == reference_iri(base)):
        return None
    if url in _CONTEXTS:
        return _CONTEXTS[url]
    if len(_CONTEXTS) > 64:  # one per folder of a corpus (the relative reference resolves per folder)
        _CONTEXTS.clear()
    processor = JsonLdProcessor()
    loader = offline_loader(base=base)
    options = {
        "base": base,
        "documentLoader": loader,
        "processingMode": "json-ld-1.1",
        # a cache of its own: PyLD's shared one may hold what another loader served for this IRI
        "contextResolver": ContextResolver({}, loader),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        active = processor.process_context(processor._get_initial_context(options), url, options)
    plain = (
        not caught
        and "@language" not in active
        and "@direction" not in active
        and "@base" not in active
        and not active.get("previousContext")
        and all(
            mapping is None or ("@context" not in mapping and not mapping.get("protected"))
            for mapping in active["mappings"].values()
        )
    )
    context = PlainContext(url, active, processor) if plain else None
    _CONTEXTS[url] = context
    return context


@dataclass
class PlainExpansion:
    """PyLD's expanded form of a plain document, with the paths the tracing processor records."""

    expanded: list[Any]
    node_paths: dict[int, str]
    key_paths: dict[tuple[int, str], str]
    #: every object whose id() is a key above, alive for as long as the paths are used
    alive: list[Any]
    #: the document's values by JSON path: every path above, and every item of an array value
    raw: dict[str, Any]
    #: every IRI the expansion produced (node ids, types, properties, datatypes), blank nodes too
    iris: set[str]


def _add_value(out: dict[str, Any], key: str, value: Any, as_array: bool) -> None:
    """PyLD's ``add_value`` for one (non-array) value with duplicates allowed."""
    if key in out:
        existing = out[key]
        if not isinstance(existing, list):
            out[key] = existing = [existing]
        existing.append(value)
    else:
        out[key] = [value] if as_array else value


class _Expander:
    def __init__(self, context: PlainContext, key_segment: Callable[[str], str]) -> None:
        self.context = context
        self.segment = key_segment
        self.node_paths: dict[int, str] = {}
        self.key_paths: dict[tuple[int, str], str] = {}
        self.alive: list[Any] = []
        self.raw: dict[str, Any] = {}
        self.iris: set[str] = set()
        self.language_tag: re.Pattern[str] | None = None

    def element(self, element: dict[str, Any], path: str, parent_iri: str | None, top: bool) -> Any:
        """``_expand`` of one JSON object; ``parent_iri`` is the expanded active property."""
        context, segment, raw, iris = self.context, self.segment, self.raw, self.iris
        out: dict[str, Any] = {}
        out_id = id(out)
        self.node_paths.setdefault(out_id, path)
        self.alive.append(out)
        key_paths = self.key_paths
        expansions: list[tuple[str, str, str]] = []
        for key, value in element.items():
            if key == "@context":
                if not top:
                    raise _GiveUp(key)  # an embedded context
                continue
            iri = context.key(key)
            if iri is None:
                raise _GiveUp(key)  # dropped, or ignored as keyword-like: the exact path reports it
            key_path = path + segment(key)
            key_paths.setdefault((out_id, iri), key_path)
            raw[key_path] = value
            expansions.append((key, iri, key_path))
            if iri[0] != "@":
                iris.add(iri)
        expansions.sort()  # PyLD expands keys in sorted order (keys are unique)
        typed_array = False
        for key, iri, key_path in expansions:
            value = element[key]
            if iri[0] == "@":
                if iri not in _PLAIN_KEYWORDS or (iri in out and iri != "@type"):
                    raise _GiveUp(iri)
                if iri == "@id":
                    if not isinstance(value, str):
                        raise _GiveUp(iri)
                    out["@id"] = node_id = context.id_iri(value)
                    iris.add(node_id)
                elif iri == "@type":
                    values = value if isinstance(value, list) else [value]
                    if not values or not all(isinstance(item, str) for item in values):
                        raise _GiveUp(iri)
                    for item in values:
                        type_iri = context.vocab_iri(item)
                        iris.add(type_iri)
                        _add_value(out, "@type", type_iri, False)
                    typed_array = typed_array or isinstance(value, list)
                elif iri == "@graph":
                    if not isinstance(value, list):
                        raise _GiveUp(iri)
                    items = []
                    for index, item in enumerate(value):
                        if not isinstance(item, dict):
                            raise _GiveUp(iri)
                        item_path = f"{key_path}[{index}]"
                        raw[item_path] = item
                        expanded = self.element(item, item_path, "@graph", False)
                        if expanded is not None:
                            items.append(expanded)
                    out.setdefault("@graph", []).extend(items)
                elif iri == "@value":
                    if not (isinstance(value, str) or _plain_number(value)):
                        raise _GiveUp(iri)  # null, an object or array, a number toRdf may trip on
                    out["@value"] = value
                else:  # @language
                    if not isinstance(value, str):
                        raise _GiveUp(iri)
                    out["@language"] = value.lower()
                continue
            coercion = context.coercion(key)
            # PyLD's add_value with propertyIsArray: the values of a property are one list
            existing = out.get(iri)
            if isinstance(value, list):
                expanded_values = []
                for index, item in enumerate(value):
                    item_path = f"{key_path}[{index}]"
                    raw[item_path] = item
                    expanded_values.append(self.value(item, item_path, coercion, iri))
                if existing is None:
                    out[iri] = expanded_values
                else:
                    existing.extend(expanded_values)
            elif existing is None:
                out[iri] = [self.value(value, key_path, coercion, iri)]
            else:
                existing.append(self.value(value, key_path, coercion, iri))
        if typed_array and "@value" in out:
            raise _GiveUp("@type")  # an array @type in a value object: invalid typed value
        return self._finish(out, parent_iri, top)

    def value(self, value: Any, path: str, coercion: str | None, iri: str) -> Any:
        """``_expand`` of one item of a property's value."""
        if isinstance(value, dict):
            return self.element(value, path, iri, False)
        if isinstance(value, str):
            if coercion == "@id":
                node_id = self.context.id_iri(value)
                self.iris.add(node_id)
                return {"@id": node_id}
            if coercion == "@vocab":
                node_id = self.context.vocab_iri(value)
                self.iris.add(node_id)
                return {"@id": node_id}
        elif not _plain_number(value):  # null, an array in an array, a number toRdf may trip on
            raise _GiveUp(path)
        if coercion is not None and coercion not in ("@id", "@vocab"):
            self.iris.add(coercion)
            return {"@type": coercion, "@value": value}
        return {"@value": value}

    def _finish(self, out: dict[str, Any], parent_iri: str | None, top: bool) -> Any:
        """The end of PyLD's ``_expand``: value-object rules, ``@type`` arrays, free-floating nodes."""
        count = len(out)
        if "@value" in out:
            if "@type" in out:
                extra = count - 2
                datatype = out["@type"]
                if "@language" in out or not isinstance(datatype, str) or datatype.startswith("_:"):
                    raise _GiveUp("@value")
            else:
                extra = count - 1 - ("@language" in out)
            if extra:
                raise _GiveUp("@value")
            if "@language" in out:
                if not isinstance(out["@value"], str):
                    raise _GiveUp("@language")
                if self.language_tag is not None and not self.language_tag.match(out["@language"]):
                    raise _GiveUp("@language")  # the RDF step reports it
        elif "@type" in out:
            if not isinstance(out["@type"], list):
                out["@type"] = [out["@type"]]
        elif count == 1 and "@language" in out:
            raise _GiveUp("@language")
        if (top or parent_iri == "@graph") and (
            count == 0 or "@value" in out or (count == 1 and "@id" in out)
        ):
            return None  # PyLD drops free-floating values and bare references, silently
        return out


def expand_plain(
    document: Any,
    base: str | None,
    key_segment: Callable[[str], str],
    language_tag: re.Pattern[str] | None = None,
) -> PlainExpansion | None:
    """PyLD's expansion of ``document`` (no options, the offline loader), if the document is plain.

    ``key_segment`` writes a key as a JSON path segment (the checker's
    :func:`pfocr_ld.check_jsonld.findings._key_segment`; an array index is ``[i]``); with
    ``language_tag``, a language tag that does not match it makes the document not plain.
    Returns ``None`` for anything outside the plain subset (see the module docstring).
    """
    if not isinstance(document, dict) or not base or not _is_absolute_iri(base):
        return None
    reference = document.get("@context")
    if not isinstance(reference, str) or reference.startswith("@"):
        return None
    try:
        url = _resolve_iri(reference, base)  # as PyLD's context resolver resolves it
    except Exception:  # the resolver trips over odd strings; the exact path reports them
        return None
    context = _plain_context(url, base)
    if context is None:
        return None
    expander = _Expander(context, key_segment)
    expander.language_tag = language_tag
    try:
        expanded = expander.element(document, "$", None, True)
    except (_GiveUp, RecursionError):  # deep nesting: PyLD's own recursion decides
        return None
    if isinstance(expanded, dict) and "@graph" in expanded and len(expanded) == 1:
        expanded = expanded["@graph"]
    elif expanded is None:
        expanded = []
    result = expanded if isinstance(expanded, list) else [expanded]
    expander.raw["$"] = document
    return PlainExpansion(
        result, expander.node_paths, expander.key_paths, expander.alive, expander.raw, expander.iris
    )
