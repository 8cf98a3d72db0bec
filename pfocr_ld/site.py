"""Put a release's schema.org blocks into a PFOCR site checkout (``pfocr-ld update-site``).

The PFOCR site (a Jekyll checkout: ``_figures/<figid>.md``) embeds each record's ``schema-jsonld``
front-matter block in the figure page as JSON-LD. The blocks published today are wrong (``name:
CreativeWork``, ``license: CC0``); a build writes corrected ones to ``schemaorg/<figid>.jsonld``.
This module owns copying them back into the records:

- only the ``schema-jsonld`` block of a record changes; every other byte of the file is kept
  (the block is found as text and replaced, so comments, key order, quoting and folding of the
  other fields stay exactly as the curators wrote them);
- the result is checked before it is written: the new front matter is parsed with YAML 1.1 rules
  (``yaml.safe_load``, the rules Jekyll's Psych applies), every other field must parse to the same
  value as before and the block must parse to exactly the release's document, else the record is
  reported and left alone;
- a record whose block already equals the release's document is not touched (running twice changes
  nothing), and files are replaced atomically (a temporary file renamed over the record).

Figures and pages share IRIs: a figure's ``@id`` in the block is its page,
``https://pfocr.wikipathways.org/figures/<figid>.html``, the same IRI the RDF dump, the JSON-LD
documents and ``pfocr-ld serve`` use, so a search engine reading the page and a SPARQL user name the
same thing.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import click
import yaml

from pfocr_ld.records import RecordError, split_front_matter

#: The front-matter key whose value the site's layout embeds as JSON-LD.
BLOCK_KEY = "schema-jsonld"

_BLOCK_START = re.compile(rf"^{re.escape(BLOCK_KEY)}[ \t]*:", re.MULTILINE)


class Outcome(str, Enum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    NOT_IN_RELEASE = "not in the release"
    ERROR = "error"


@dataclass(frozen=True)
class RecordUpdate:
    """What happened (or, in a dry run, would happen) to one site record."""

    path: Path
    figid: str
    outcome: Outcome
    reason: str = ""


def _block_span(front_matter: str) -> tuple[int, int] | None:
    """Start and end offsets of the top-level ``schema-jsonld`` entry (key line plus its value lines).

    A block value's lines are indented or, for a sequence, start with ``-`` at column 0; the entry
    ends at the first line that starts in column 0 with anything else (the next key, a comment).
    """
    match = _BLOCK_START.search(front_matter)
    if match is None:
        return None
    line_end = front_matter.find("\n", match.end())
    if line_end < 0:
        return match.start(), len(front_matter)
    end = line_end + 1
    while end < len(front_matter):
        next_end = front_matter.find("\n", end)
        line = front_matter[end : next_end if next_end >= 0 else len(front_matter)]
        indented = line[:1] in (" ", "\t") or line.strip() == ""
        if not (indented or line == "-" or line.startswith(("- ", "-\t"))):
            break
        end = next_end + 1 if next_end >= 0 else len(front_matter)
    return match.start(), end


def _dump_block(document: Any, newline: str, *, allow_unicode: bool) -> str:
    text = yaml.safe_dump(
        {BLOCK_KEY: document},
        sort_keys=False,
        allow_unicode=allow_unicode,
        default_flow_style=False,
        width=88,
    )
    return text.replace("\n", newline) if newline != "\n" else text


def rewrite_record(text: str, document: Any) -> str | None:
    """The record's text with its ``schema-jsonld`` block replaced by ``document``.

    Returns ``None`` when the block already holds exactly ``document``. Raises :class:`RecordError`
    when the record has no front matter, its YAML does not parse, or the rewrite would change any
    other field (nothing is written then).
    """
    front_matter = split_front_matter(text)
    offset = text.index(front_matter) if front_matter else text.index("\n") + 1
    before = _safe_load(front_matter, "the record's front matter")
    if not isinstance(before, dict):
        raise RecordError("front matter", "the front matter is not a mapping of fields")
    if before.get(BLOCK_KEY) == document:
        return None
    newline = "\r\n" if "\r\n" in front_matter else "\n"
    span = _block_span(front_matter)
    # Readable UTF-8 first; PyYAML writes some characters (U+0085, U+2028) raw that YAML then reads
    # as line breaks, so a block that does not read back is written again with escapes.
    for allow_unicode in (True, False):
        block = _dump_block(document, newline, allow_unicode=allow_unicode)
        if span is None:
            if front_matter and not front_matter.endswith("\n"):
                block = newline + block
            new_front_matter = front_matter + block
        else:
            new_front_matter = front_matter[: span[0]] + block + front_matter[span[1] :]
        after = _safe_load(new_front_matter, "the rewritten front matter")
        if after.get(BLOCK_KEY) == document:
            break
    others_before = {key: value for key, value in before.items() if key != BLOCK_KEY}
    others_after = {key: value for key, value in after.items() if key != BLOCK_KEY}
    if others_after != others_before:
        changed = ", ".join(_changed(others_before, others_after))
        raise RecordError(BLOCK_KEY, f"replacing the block would change other fields ({changed})")
    if after.get(BLOCK_KEY) != document:
        raise RecordError(BLOCK_KEY, "the written block would not read back as the release's document")
    return text[:offset] + new_front_matter + text[offset + len(front_matter) :]


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(str(key) for key in set(before) | set(after) if before.get(key) != after.get(key))


def _safe_load(front_matter: str, what: str) -> Any:
    # YAML 1.1 (PyYAML's SafeLoader), as Jekyll reads it: a block that only reads back right under
    # our own YAML 1.2-style loader could still turn "NO" into false on the site.
    try:
        return yaml.safe_load(front_matter) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RecordError("front matter", f"{what} is not valid YAML{where}") from exc


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def update_site(
    release: Path, site: Path, *, dry_run: bool = False, figids: Iterable[str] = ()
) -> list[RecordUpdate]:
    """Write ``release/schemaorg/<figid>.jsonld`` into ``site/_figures/<figid>.md`` for every record.

    ``figids`` limits the update to those figures. In a dry run nothing is written; the outcomes
    say what would happen.
    """
    documents_dir = release / "schemaorg"
    figures_dir = site / "_figures"
    wanted = set(figids)
    updates: list[RecordUpdate] = []
    for record in sorted(figures_dir.glob("*.md")):
        figid = record.stem
        if wanted and figid not in wanted:
            continue
        document_path = documents_dir / f"{figid}.jsonld"
        if not document_path.is_file():
            updates.append(RecordUpdate(record, figid, Outcome.NOT_IN_RELEASE, "the release has no document"))
            continue
        try:
            document = json.loads(document_path.read_text(encoding="utf-8"))
            text = record.read_text(encoding="utf-8")
            new_text = rewrite_record(text, document)
        except (RecordError, ValueError, OSError) as exc:
            updates.append(RecordUpdate(record, figid, Outcome.ERROR, str(exc)))
            continue
        if new_text is None:
            updates.append(RecordUpdate(record, figid, Outcome.UNCHANGED))
            continue
        if not dry_run:
            try:
                _write_atomically(record, new_text)
            except OSError as exc:
                updates.append(RecordUpdate(record, figid, Outcome.ERROR, f"cannot write: {exc.strerror}"))
                continue
        updates.append(RecordUpdate(record, figid, Outcome.UPDATED))
    return updates


@click.command("update-site")
@click.argument("release", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("site", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@click.option("--figure", "figids", multiple=True, metavar="FIGID", help="Only this figure (repeatable).")
def update_site_command(release: Path, site: Path, dry_run: bool, figids: tuple[str, ...]) -> None:
    """Write a build's schema.org blocks into a PFOCR site checkout.

    RELEASE is a build folder (`pfocr-ld build … --out RELEASE`); SITE is a checkout of the PFOCR
    Jekyll site. Each `_figures/<figid>.md` gets `schemaorg/<figid>.jsonld` as its `schema-jsonld`
    block; nothing else in the file changes, and a record already up to date is not touched.

    Exit status: 0 when every record of the release was updated or already current, 1 when some
    record could not be updated (named with the reason), 2 for a usage error.
    """
    if not (site / "_figures").is_dir():
        raise click.UsageError(f"{site} has no _figures/ folder: not a PFOCR site checkout")
    if not (release / "schemaorg").is_dir():
        raise click.UsageError(f"{release} has no schemaorg/ folder: not a pfocr-ld build")
    updates = update_site(release, site, dry_run=dry_run, figids=figids)
    verb = "would update" if dry_run else "updated"
    counts = dict.fromkeys(Outcome, 0)
    for update in updates:
        counts[update.outcome] += 1
        name = update.path.relative_to(site)
        if update.outcome is Outcome.UPDATED:
            click.echo(f"{verb} {name}")
        elif update.outcome is Outcome.ERROR:
            click.echo(f"error: {name}: {update.reason}", err=True)
        elif update.outcome is Outcome.NOT_IN_RELEASE:
            click.echo(f"skipped {name}: {update.reason}", err=True)
    click.echo(
        f"{counts[Outcome.UPDATED]} {verb}, {counts[Outcome.UNCHANGED]} unchanged, "
        f"{counts[Outcome.NOT_IN_RELEASE]} not in the release, {counts[Outcome.ERROR]} errors",
        err=True,
    )
    raise SystemExit(1 if counts[Outcome.ERROR] else 0)
