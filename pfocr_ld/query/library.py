"""The named-query library: ``pfocr_ld/queries/*.rq``, each with a YAML header in its leading comments.

This module owns reading a query file (:func:`parse_query_text`: title, description, typed
parameters, an example, paging), the shipped library (:func:`library`, :func:`get_query`) and its
listing (:func:`list_queries`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from pfocr_ld.errors import QueryError
from pfocr_ld.query.params import PARAM_TYPES, Parameter


# The library -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NamedQuery:
    """One query: its text (header included) and what the header says about it."""

    name: str
    text: str
    title: str = ""
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    example: Mapping[str, Any] = field(default_factory=dict)
    gmt: Mapping[str, str] | None = None
    notes: str = ""
    path: Path | None = None
    #: How pages are cut (``paging:`` in the header; pfocr_ld/query/paging.py): ``key`` — the variables of
    #: ``page_key`` identify a row; ``rows`` — the whole answer is sorted, then cut; ``None`` — no paging.
    paging: str | None = None
    page_key: tuple[str, ...] = ()

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def describe(self) -> str:
        lines = [f"{self.name}: {self.title}".rstrip(": "), ""]
        if self.description:
            lines += [self.description.strip(), ""]
        if self.parameters:
            lines.append("Parameters:")
            for p in self.parameters:
                need = "required" if p.required else "optional"
                example = f", e.g. {p.example}" if p.example is not None else ""
                lines.append(f"  {p.name} ({p.type.name}, {need}{example})")
                if p.description:
                    lines.append(f"      {p.description.strip()}")
                lines.append(f"      {p.type.help}")
            lines.append("")
        if self.notes:
            lines += ["Notes: " + self.notes.strip(), ""]
        command = self.example.get("command") if self.example else None
        if command:
            lines.append(f"Example: {command}")
        return "\n".join(lines)


_CONDITION = re.compile(r"^(?P<body>.*?)\s#\?(?P<cond>(?:\s+!?\??[A-Za-z_][\w-]*)+)\s*$")


def parse_query_text(text: str, name: str, path: Path | None = None, *, strict: bool = False) -> NamedQuery:
    """A query file's text and its YAML header (the leading ``#`` lines) as a :class:`NamedQuery`.

    A file without a header, or whose leading comments are not a YAML mapping, is a plain query
    with no declared parameters (``strict`` makes that an error: the bundled library is strict).
    """
    header_lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header_lines.append(line[2:] if line.startswith("# ") else line[1:])
    meta: Any = None
    if header_lines:
        try:
            meta = yaml.safe_load("\n".join(header_lines))
        except yaml.YAMLError as error:
            if strict:
                raise QueryError(f"{name}: header is not YAML: {error}") from error
    if not isinstance(meta, dict):
        if strict:
            raise QueryError(f"{name}: no YAML header")
        return NamedQuery(name, text, path=path)
    parameters = []
    for spec in meta.get("parameters") or []:
        type_name = spec.get("type", "string")
        if type_name not in PARAM_TYPES:
            raise QueryError(f"{name}: parameter {spec.get('name')!r} has unknown type {type_name!r}")
        example = spec.get("example")
        parameters.append(
            Parameter(
                name=str(spec["name"]),
                type=PARAM_TYPES[type_name],
                required=bool(spec.get("required", False)),
                example=None if example is None else str(example),
                description=str(spec.get("description", "")),
                variables=dict(spec.get("variables") or {}),
            )
        )
    paging = meta.get("paging")
    page_key: tuple[str, ...] = ()
    if isinstance(paging, dict) and list(paging) == ["key"]:
        page_key = tuple(str(v) for v in paging["key"] or ())
        if not page_key or not all(re.fullmatch(r"[A-Za-z_]\w*", v) for v in page_key):
            raise QueryError(f"{name}: paging key must list variable names")
        paging = "key"
    elif paging is not None and paging != "rows":
        raise QueryError(f"{name}: paging must be rows or {{key: [variables]}}, not {paging!r}")
    if paging is not None:
        parameters += [
            Parameter(
                "limit",
                PARAM_TYPES["limit"],
                example="100",
                description="page through the answer (in its order): at most this many rows, and the total",
            ),
            Parameter(
                "offset", PARAM_TYPES["offset"], example="0", description="skip this many rows (with limit)"
            ),
        ]
    return NamedQuery(
        name=name,
        text=text,
        title=str(meta.get("title", "")),
        description=str(meta.get("description", "")),
        parameters=tuple(parameters),
        example=dict(meta.get("example") or {}),
        gmt=dict(meta["gmt"]) if meta.get("gmt") else None,
        notes=str(meta.get("notes", "")),
        path=path,
        paging=paging,
        page_key=page_key,
    )


_LIBRARY: dict[str, NamedQuery] | None = None


def library() -> dict[str, NamedQuery]:
    """The named queries shipped with the package, by name (the ``.rq`` file's stem)."""
    global _LIBRARY
    if _LIBRARY is None:
        folder = resources.files("pfocr_ld") / "queries"
        found: dict[str, NamedQuery] = {}
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".rq"):
                name = entry.name[:-3]
                found[name] = parse_query_text(entry.read_text(encoding="utf-8"), name, strict=True)
        _LIBRARY = found
    return _LIBRARY


def get_query(name: str) -> NamedQuery:
    queries = library()
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise QueryError(f"no named query {name!r}{hint}; `pfocr-ld query --list` shows them")


def load_query_file(path: Path) -> NamedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise QueryError(f"{path}: cannot read: {error}") from error
    return parse_query_text(text, path.stem, path)


def list_queries(out: IO[str], fmt: str = "table") -> None:
    queries = library()
    if fmt == "json":
        listing = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description.strip(),
                "parameters": [
                    {
                        "name": p.name,
                        "type": p.type.name,
                        "required": p.required,
                        "example": p.example,
                        "description": p.description.strip(),
                    }
                    for p in q.parameters
                ],
                "example": q.example.get("command"),
            }
            for q in queries.values()
        ]
        out.write(orjson.dumps(listing, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    width = max(len(name) for name in queries)
    for q in queries.values():
        params = " ".join(
            f"{p.name}=<{p.type.name}>" if p.required else f"[{p.name}=<{p.type.name}>]" for p in q.parameters
        )
        out.write(f"{q.name.ljust(width)}  {q.title}\n")
        if params:
            out.write(f"{' ' * width}    {params}\n")
