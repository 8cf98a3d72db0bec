"""Serialising figures and writing the build's output files atomically.

Per figure it makes three byte strings (a Turtle block without prefixes, N-Triples, a JSON-LD
document) in the worker that mapped it; :class:`OutputWriter` then appends them, in figure order,
to temporary files that replace the published ones only when the build finishes. Nothing a reader
sees is ever half-written: a crashed build leaves the previous release in place.

Compressed outputs are multi-member gzip streams with one member per figure, compressed in the
workers: the bytes then depend only on the figures, never on batch size or worker count, and
every gzip reader (``zcat``, Python's ``gzip``, Virtuoso's loader) reads them as one stream.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from pfocr_ld import jsonld, schemaorg, vocab
from pfocr_ld.contexts import pfocr_context

TURTLE = "pfocr.ttl"
TURTLE_GZ = "pfocr.ttl.gz"
NTRIPLES_GZ = "pfocr.nt.gz"
JSONLD_DIR = "jsonld"
SCHEMAORG_DIR = "schemaorg"
VOID = "void.ttl"
REPORT = "report.json"
CONTEXT_FILE = "context.jsonld"
GZIP_LEVEL = 6


def turtle_prefix_header() -> bytes:
    lines = [f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in sorted(vocab.PREFIXES.items())]
    return "".join(lines).encode("utf-8")


def turtle_block(triples: list[ox.Triple]) -> bytes:
    """Turtle for one figure without the ``@prefix`` lines (written once, at the top)."""
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=vocab.PREFIXES)
    # pyoxigraph escapes newlines inside literals, so every @prefix line is a line of its own.
    kept = [line for line in body.split(b"\n") if not line.startswith(b"@prefix ")]
    return b"\n".join(kept).strip(b"\n") + b"\n\n"


def ntriples(triples: list[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


@dataclass
class SerializedFigure:
    figid: str
    iri: str
    turtle: bytes  # plain or gzip member, as the build asked
    ntriples_gz: bytes
    jsonld: bytes
    schemaorg: bytes  # the block a web page embeds


def serialize_figure(
    figid: str, iri: str, triples: list[ox.Triple], compress_turtle: bool
) -> SerializedFigure:
    block = turtle_block(triples)
    return SerializedFigure(
        figid=figid,
        iri=iri,
        turtle=gzip.compress(block, GZIP_LEVEL, mtime=0) if compress_turtle else block,
        ntriples_gz=gzip.compress(ntriples(triples), GZIP_LEVEL, mtime=0),
        jsonld=jsonld.dumps(jsonld.document(triples, iri)),
        schemaorg=jsonld.dumps(schemaorg.embed_block(triples, iri)),
    )


@contextmanager
def atomic_file(path: Path, mode: str = "wb") -> Iterator[IO]:
    """Write ``path`` through a temporary file in the same folder, renamed into place on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    with atomic_file(path) as handle:
        handle.write(data)


class OutputWriter:
    """Streams figures into temporary outputs, then publishes them all at once."""

    def __init__(self, out: Path, compress_turtle: bool = False) -> None:
        self.out = out
        self.compress_turtle = compress_turtle
        out.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".pfocr-build-", dir=out))
        self.turtle_name = TURTLE_GZ if compress_turtle else TURTLE
        self._turtle = open(self.staging / self.turtle_name, "wb")  # noqa: SIM115 - closed in finish()
        header = turtle_prefix_header() + b"\n"
        self._turtle.write(gzip.compress(header, GZIP_LEVEL, mtime=0) if compress_turtle else header)
        self._ntriples = open(self.staging / NTRIPLES_GZ, "wb")  # noqa: SIM115 - closed in finish()
        self.jsonld_dir = self.staging / JSONLD_DIR
        self.jsonld_dir.mkdir()
        self.schemaorg_dir = self.staging / SCHEMAORG_DIR
        self.schemaorg_dir.mkdir()
        (self.staging / CONTEXT_FILE).write_bytes(jsonld.dumps({"@context": pfocr_context()}))
        self.figures = 0

    def add(self, figure: SerializedFigure) -> None:
        self._turtle.write(figure.turtle)
        self._ntriples.write(figure.ntriples_gz)
        (self.jsonld_dir / f"{figure.figid}.jsonld").write_bytes(figure.jsonld)
        (self.schemaorg_dir / f"{figure.figid}.jsonld").write_bytes(figure.schemaorg)
        self.figures += 1

    def finish(self, void_turtle: bytes, report_json: bytes) -> dict[str, Path]:
        """Close the staged files and move every output into place."""
        self._turtle.close()
        self._ntriples.close()
        (self.staging / VOID).write_bytes(void_turtle)
        (self.staging / REPORT).write_bytes(report_json)
        published: dict[str, Path] = {}
        stale_turtle = self.out / (TURTLE if self.compress_turtle else TURTLE_GZ)
        stale_turtle.unlink(missing_ok=True)
        for name in (self.turtle_name, NTRIPLES_GZ, VOID, CONTEXT_FILE, REPORT):
            target = self.out / name
            os.replace(self.staging / name, target)
            published[name] = target
        for name in (JSONLD_DIR, SCHEMAORG_DIR):
            self._replace_dir(self.staging / name, self.out / name)
            published[name] = self.out / name
        shutil.rmtree(self.staging, ignore_errors=True)
        return published

    def _replace_dir(self, staged: Path, target: Path) -> None:
        # Two renames: readers see the old folder or the new one, never a half-written mix.
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=self.out))
            os.replace(target, retired / target.name)
            os.replace(staged, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staged, target)

    def abort(self) -> None:
        self._turtle.close()
        self._ntriples.close()
        shutil.rmtree(self.staging, ignore_errors=True)
