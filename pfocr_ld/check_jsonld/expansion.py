"""JSON-LD expansion through PyLD, traced: the ``processing`` layer and the state the other layers read.

:class:`_TracingProcessor` subclasses PyLD's ``JsonLdProcessor`` and overrides its private
``_expand`` and ``_expand_object`` (PyLD 3.3's signatures; pyproject.toml pins PyLD to the minor
version this was tested with) to remember which JSON path every expanded node and key came from.
:class:`_Run` is one document's check; :func:`_process` expands it with the offline loader and
turns PyLD's errors and warnings into findings.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# The processor's own tests for "absolute IRI" and "keyword": the dropped-term bookkeeping must
# agree exactly with the rule PyLD applies when it decides to drop a key.
from pyld.jsonld import JsonLdError, JsonLdProcessor, _is_absolute_iri, _is_keyword

from pfocr_ld.check_jsonld.findings import Finding, Severity, _child
from pfocr_ld.contexts import offline_loader


class _TracingProcessor(JsonLdProcessor):
    """PyLD's processor, remembering where in the input each expanded node and key came from.

    PyLD expands a deep copy of its input and passes the dropped key's *expansion* (not the key)
    to ``on_property_dropped``, so the JSON path of a dropped key is recovered here: the copy is
    indexed by object identity on the outermost ``_expand`` call, and ``_expand_object`` keeps a
    stack of the objects being expanded with their keys' expansions.
    """

    def __init__(self) -> None:
        super().__init__(on_property_dropped=self._on_dropped)
        self.paths: dict[int, str] = {}
        self.node_paths: dict[int, str] = {}
        self.key_paths: dict[tuple[int, str], str] = {}
        self.dropped: list[tuple[str, str | None, str | None]] = []
        self.error_path: str | None = None
        self._indexed = False
        self._frames: list[tuple[int, str, dict[str, Any]]] = []
        self._reported: dict[int, set[str]] = {}
        # keeps every object whose id() is a key above alive, so no id is reused during a run
        self._alive: list[Any] = []

    def _index(self, value: Any, path: str) -> None:
        if isinstance(value, dict):
            self.paths.setdefault(id(value), path)
            self._alive.append(value)
            for key, item in value.items():
                self._index(item, _child(path, key))
        elif isinstance(value, list):
            self.paths.setdefault(id(value), path)
            self._alive.append(value)
            for index, item in enumerate(value):
                self._index(item, _child(path, index))

    def _expand(
        self, active_ctx: Any, active_property: Any, element: Any, options: Any, *args: Any, **kw: Any
    ) -> Any:
        if not self._indexed:
            self._indexed = True
            self._index(element, "$")
        try:
            return super()._expand(active_ctx, active_property, element, options, *args, **kw)
        except JsonLdError:
            if self.error_path is None and isinstance(element, (dict, list)):
                self.error_path = self.paths.get(id(element))
            raise

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: Any,
        expanded_parent: Any,
        options: Any,
        *args: Any,
        **kw: Any,
    ) -> Any:
        path = self.paths.get(id(element), "$")
        self.node_paths.setdefault(id(expanded_parent), path)
        self._alive.append(expanded_parent)
        expansions: dict[str, Any] = {}
        for key in element:
            if key == "@context":
                continue
            try:
                expansions[key] = self._expand_iri(active_ctx, key, vocab=True)
            except JsonLdError:
                expansions[key] = None
            if isinstance(expansions[key], str):
                self.key_paths.setdefault((id(expanded_parent), expansions[key]), _child(path, key))
        self._frames.append((id(element), path, expansions))
        try:
            return super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                options,
                *args,
                **kw,
            )
        except JsonLdError:
            if self.error_path is None:
                self.error_path = path
            raise
        finally:
            self._frames.pop()

    def _on_dropped(self, expanded: str | None) -> None:
        if not self._frames:
            self.dropped.append(("$", None, expanded))
            return
        element_id, path, expansions = self._frames[-1]
        done = self._reported.setdefault(element_id, set())
        # PyLD walks the keys in sorted order, so the first unreported key with this expansion
        # is the one being dropped.
        for key in sorted(expansions):
            iri = expansions[key]
            if key in done or iri != expanded:
                continue
            if iri is not None and (_is_absolute_iri(iri) or _is_keyword(iri)):
                continue
            done.add(key)
            self.dropped.append((_child(path, key), key, expanded))
            return
        self.dropped.append((path, None, expanded))


def _error_info(error: BaseException) -> tuple[str | None, str, Any]:
    """The JSON-LD error code, message and details of a (possibly wrapped) PyLD error."""
    current: BaseException | None = error
    seen = 0
    while current is not None and seen < 20:
        code = getattr(current, "code", None)
        if code:
            message = str(current.args[0] if current.args else current)
            details = getattr(current, "details", None)
            if code == "loading remote context failed" and isinstance(details, dict) and "url" in details:
                # PyLD's message speaks of CORS and HTTP headers; nothing was fetched here
                return str(code), f"could not load the remote context <{details['url']}>", details
            if isinstance(details, dict):
                extras = [
                    f"{name}={details[name]!r}"
                    for name in ("term", "url", "value", "keyword", "@id")
                    if name in details and len(repr(details[name])) < 120
                ]
                if extras:
                    message = f"{message} ({', '.join(extras)})"
            return str(code), message, details
        current = current.__cause__ or getattr(current, "cause", None)
        seen += 1
    return None, str(error.args[0] if error.args else error), None


def _context_path(document: Any, context: Any, path: str = "$") -> str | None:
    """The JSON path of the local context a context-processing error names (PyLD's details)."""
    if isinstance(document, dict):
        for key, value in document.items():
            child = _child(path, key)
            if key == "@context":
                if value == context:
                    return child
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        if item == context:
                            return _child(child, index)
            found = _context_path(value, context, child)
            if found:
                return found
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found = _context_path(item, context, _child(path, index))
            if found:
                return found
    return None


def _iter_nodes(expanded: Any) -> Iterator[dict[str, Any]]:
    """Every node object of an expanded document, depth first (including nested and reverse)."""
    stack = list(expanded) if isinstance(expanded, list) else [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if "@list" in item:
            stack.extend(item["@list"])
            continue
        if "@value" in item:
            continue
        yield item
        for key, value in item.items():
            if key == "@reverse" and isinstance(value, dict):
                for reverse_values in value.values():
                    stack.extend(reverse_values)
            elif key in ("@graph", "@included") or not key.startswith("@"):
                stack.extend(value if isinstance(value, list) else [value])


def _iter_iris(expanded: Any) -> Iterator[tuple[str, str]]:
    """Every IRI position of an expanded document: ``(kind, iri)`` with kind id/type/property/datatype."""
    for node in _iter_nodes(expanded):
        if isinstance(node.get("@id"), str):
            yield "id", node["@id"]
        for type_iri in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
            if isinstance(type_iri, str):
                yield "type", type_iri
        properties = [key for key in node if not key.startswith("@")]
        if isinstance(node.get("@reverse"), dict):
            properties.extend(node["@reverse"])
        for prop in properties:
            yield "property", prop
        for key, values in node.items():
            if key.startswith("@") and key not in ("@reverse",):
                continue
            for value in _flatten_values(values if key != "@reverse" else list(values.values())):
                if (
                    isinstance(value, dict)
                    and "@value" in value
                    and isinstance(value.get("@type"), str)
                    and value["@type"] != "@json"
                ):
                    yield "datatype", value["@type"]


def _flatten_values(values: Any) -> Iterator[Any]:
    stack = [values]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and "@list" in item:
            stack.extend(item["@list"])
        else:
            yield item


def _is_blank(iri: str) -> bool:
    return iri.startswith("_:")


@dataclass
class _Run:
    """The state of one document's check, shared by the layers."""

    document: Any
    base: str | None
    options: dict[str, Any]
    loader: Callable[[str, Any], Any]
    documents: Mapping[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    processor: _TracingProcessor | None = None
    expanded: list[Any] | None = None
    term_paths: dict[str, str] = field(default_factory=dict)
    #: the document's values by JSON path, when the expansion recorded them (the fast path)
    raw: Mapping[str, Any] | None = None

    def add(self, severity: Severity, code: str, location: str, message: str) -> None:
        self.findings.append(Finding(severity, code, location, message))


def _recording_loader(
    extra: Mapping[str, Any] | None, findings: list[Finding], base: str | None = None
) -> Callable[[str, Any], Any]:
    """The offline loader, turning every request it cannot serve into a ``remote-context`` finding.

    With the document's ``base``, the build's relative context reference is served bundled too.
    """
    inner = offline_loader(dict(extra) if extra else None, base=base)

    def load(url: str, options: Any = None) -> Any:
        try:
            return inner(url, options)
        except JsonLdError:
            findings.append(
                Finding(
                    "error",
                    "remote-context",
                    _child("$", "@context"),
                    f"the remote context <{url}> is not bundled with pfocr-ld; remote contexts are never "
                    "fetched (inline the context or use a bundled one: schema.org or the PFOCR context)",
                )
            )
            raise

    return load


def _process(run: _Run) -> None:
    if not isinstance(run.document, (dict, list)):
        run.add("error", "not-jsonld", "$", "a JSON-LD document is a JSON object or array")
        return
    processor = _TracingProcessor()
    options = {**run.options, "base": run.base, "documentLoader": run.loader}
    emitted: list[tuple[str, str]] = []

    def show(
        message: Any, category: Any, filename: Any, lineno: Any, file: Any = None, line: Any = None
    ) -> None:
        # PyLD warns (SyntaxWarning) about terms and IRIs reserved for keywords, which it then
        # ignores: that is a finding about the document, with the path of the object at hand
        emitted.append((processor._frames[-1][1] if processor._frames else "$", str(message)))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = show
            run.expanded = processor.expand(run.document, options)
        run.processor = processor
        for path, message in emitted:
            run.add("warning", "processor-warning", path, message)
    except JsonLdError as error:
        code, message, details = _error_info(error)
        location = processor.error_path or "$"
        if isinstance(details, dict) and isinstance(details.get("context"), (dict, list)):
            location = _context_path(run.document, details["context"]) or location
        if code is None:
            run.add("error", "jsonld-processor-failure", location, message)
        else:
            run.add("error", code, location, message)
    except Exception as error:  # a processor bug on odd input must not end the whole check
        run.add(
            "error",
            "jsonld-processor-failure",
            processor.error_path or "$",
            f"{type(error).__name__}: {error}",
        )


@lru_cache(maxsize=1 << 16)
def _absolute(iri: str) -> bool:
    """PyLD's own absolute-IRI test, remembered: a corpus repeats the same IRIs (predicates,
    types, shared nodes), and the test compiles its pattern anew on every call."""
    return bool(_is_absolute_iri(iri))
