"""Synthetic PFOCR corpora in the source layout: ``pfocr-ld synth N --out DIR [--seed S]``.

This module owns three things:

* :func:`profile_sample` measures the real sample (``examples/pfocr-sample``) into the distribution
  profile ``pfocr_ld/data/synth_profile.json`` (``python -m pfocr_ld.synth --profile DIR`` rewrites
  it). Everything the generator draws from is in that file: histograms, shares, and pools of real
  rows. The few knobs the sample cannot measure are in its ``assumptions`` section.
* :func:`synthesize` / :data:`synth_command` write N records (``_figures/*.md``, ``_data/*.tsv``,
  ``_organisms/*.md``) that look like the real ones, including their oddities.
* A small YAML emitter that reproduces PyYAML's ``safe_dump(sort_keys=False, allow_unicode=True)``
  byte for byte for the value shapes a front matter holds (54 of the 55 real front matters are
  exactly that output), because calling a YAML dumper per record is the slow part of a 100k run.

Determinism: output depends only on (N, seed) and the profile. Each record draws from its own
``random.Random`` keyed by (seed, index) and from per-paper generators keyed by (seed, paper), and
the only cross-record state (which records share a paper, PMC-number uniqueness) is decided in index
order before any record is written, so record *i* is the same for every N > i, and the records can be
written by several processes without changing a byte. ``docs/synth.md`` says how each distribution
is derived.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
import yaml

PROFILE_PATH = Path(__file__).parent / "data" / "synth_profile.json"
PROFILE_VERSION = 1

GENES_HEADER_11 = (
    "organism_id",
    "organism_name",
    "organism_group",
    "word",
    "match",
    "ncbigene_symbol",
    "ncbigene_id",
    "source",
    "count_direct",
    "count_synonym",
    "count_match",
)
GENES_HEADER_10 = tuple(c for c in GENES_HEADER_11 if c != "count_synonym")
CHEMICALS_HEADER = ("word", "mesh", "match", "name", "chebi")
CHEMICALS_HEADER_OLD = ("word", "source", "identifier")
DISEASES_HEADER = ("word", "mesh", "match", "name", "doid")

SYMBOL, SYNONYM, FAMPLEX = "ncbigene_symbol", "ncbigene_synonym", "famplex_relations"
_SOURCE_CODE = {SYMBOL: "y", SYNONYM: "s", FAMPLEX: "f"}
_CODE_SOURCE = {v: k for k, v in _SOURCE_CODE.items()}

#: Field order of the current-generation records (53 of the 55 sample records; the other two put
#: ``organisms_ner`` after ``figtype``, which the generator reproduces at the measured share).
FIELD_ORDER = (
    "figid",
    "figtitle",
    "organisms",
    "organisms_ner",
    "pmcid",
    "filename",
    "figlink",
    "number",
    "caption",
    "papertitle",
    "reftext",
    "year",
    "doi",
    "journal_title",
    "journal_nlm_ta",
    "publisher_name",
    "keywords",
    "automl_pathway",
    "figid_alias",
    "figtype",
    "redirect_from",
    "ndex",
    "seo",
    "schema-jsonld",
)

NA_CHAR = ".na.character"


# =============================================================================================
# Profile: measure the sample
# =============================================================================================


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    parts = text.split("---\n")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(parts[1], Loader=loader)


def _read_tsv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[0], rows[1:]


def _digit_template(text: str, year: str | None = None) -> str:
    """``fonc-02-00062-g001`` → ``fonc-##-#####-g###``: the shape a synthetic value copies.

    With *year*, the first occurrence of that year becomes ``@@@@`` so the generator can put the
    synthetic record's own year there (DOIs and citations embed it).
    """
    if year and year in text:
        text = text.replace(year, "@@@@", 1)
    return re.sub(r"\d", "#", text)


def _split_keywords(value: str) -> list[str]:
    """Split a pipe-separated keyword string, keeping ``a (b | c)`` as one keyword."""
    terms: list[str] = []
    depth = 0
    current: list[str] = []
    for part in value.split(" | "):
        current.append(part)
        depth += part.count("(") - part.count(")")
        if depth <= 0:
            terms.append(" | ".join(current))
            current, depth = [], 0
    if current:
        terms.append(" | ".join(current))
    return terms


def _split_reftext(reftext: str) -> tuple[str, str, str] | None:
    """``'A B, et al. J Name. 2012;2:62.'`` → (author part, journal, citation) or None."""
    match = re.search(r"\. (?= ?(?:[A-Z][a-z]{2} )?(?:19|20)\d\d)", reftext)
    if not match:
        return None
    head, cite = reftext[: match.start()], reftext[match.end() :]
    if ", et al. " in head:
        author, journal = head.split(", et al. ", 1)
        author += ", et al"
    elif ". " in head:
        author, journal = head.rsplit(". ", 1)
    else:
        return None
    return author, journal, cite


def _title_kind(figtitle: str, caption: Any, papertitle: str) -> str:
    """How a figure title relates to its caption / paper title (see docs/synth.md)."""
    title = figtitle.rstrip()
    if isinstance(caption, str):
        first = re.split(r"(?<=\.)\s", caption, maxsplit=1)[0].rstrip(".")
        if title == first or caption.startswith(title):
            return "caption_first_sentence"
    if title.rstrip(". ") in papertitle or papertitle.startswith(title):
        return "papertitle"
    return "other"


def _quantiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def q(p: float) -> float:
        return float(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))])

    return {
        "min": float(ordered[0]),
        "p10": q(0.1),
        "p25": q(0.25),
        "p50": q(0.5),
        "p75": q(0.75),
        "p90": q(0.9),
        "max": float(ordered[-1]),
        "mean": round(sum(ordered) / len(ordered), 4),
    }


def profile_sample(sample_dir: Path | str) -> dict[str, Any]:
    """Measure the PFOCR sample at *sample_dir* into the profile the generator draws from.

    Pure function of the sample's files (read in sorted order), so re-running it reproduces
    ``synth_profile.json`` byte for byte. Lists named ``*_values`` are the raw per-record or
    per-table observations (the generator bootstraps from them); ``*_pool`` entries are real rows.
    """
    root = Path(sample_dir)
    figures = sorted((root / "_figures").glob("*.md"))
    data = root / "_data"

    combos: Counter[str] = Counter()
    field_orders: Counter[str] = Counter()
    caption_chars: list[int] = []
    captions: list[str] = []
    figtitles: list[str] = []
    papertitles: list[str] = []
    title_kinds: Counter[str] = Counter()
    organisms_na = 0
    organism_list_lengths: list[int] = []
    organism_lists_with_na = 0
    organism_names: Counter[str] = Counter()
    years: list[int] = []
    pmc_year: list[tuple[int, int]] = []
    doi_states: Counter[str] = Counter()
    journals: list[dict[str, str]] = []
    keyword_states: Counter[str] = Counter()
    keyword_terms: list[str] = []
    keyword_terms_per_record: list[int] = []
    keyword_pipe_terms: list[str] = []
    keyword_pipe_records = 0
    automl: list[float] = []
    figtypes: Counter[str] = Counter()
    number_prefix_by_type: dict[str, Counter[str]] = {}
    number_ints: list[int] = []
    ndex_by_era: dict[str, list[int]] = {"to_2020": [0, 0], "after_2020": [0, 0]}
    stem_templates: list[dict[str, str]] = []
    reftext_parts: list[dict[str, str]] = []
    reftext_unparsed: list[str] = []
    authors_first: list[str] = []
    authors_last: list[str] = []
    title_trailing_space = 0
    reftext_trailing_space = 0
    caption_empty = 0
    kw_mismatch = 0
    kw_with_entity_words = 0
    kw_entity_eligible = 0
    kw_duplicates = 0
    kw_na = 0

    for path in figures:
        fm = _front_matter(path)
        figid = fm["figid"]
        keys = list(fm)
        field_orders[
            "organisms_ner_after_organisms"
            if keys.index("organisms_ner") == 3
            else "organisms_ner_after_figtype"
        ] += 1
        has = {kind: (data / f"{figid}-{kind}.tsv").exists() for kind in ("genes", "chemicals", "diseases")}
        combos["".join(k[0].upper() for k in ("genes", "chemicals", "diseases") if has[k])] += 1

        caption = fm["caption"]
        if isinstance(caption, str) and caption:
            caption_chars.append(len(caption))
            captions.append(caption)
        else:
            caption_empty += 1
        figtitles.append(fm["figtitle"])
        papertitles.append(fm["papertitle"])
        title_kinds[_title_kind(fm["figtitle"], caption, fm["papertitle"])] += 1
        title_trailing_space += fm["figtitle"] != fm["figtitle"].rstrip()
        reftext_trailing_space += fm["reftext"] != fm["reftext"].rstrip()

        organisms = fm["organisms"]
        if organisms == ["NA"]:
            organisms_na += 1
        else:
            organism_list_lengths.append(len(organisms))
            organism_lists_with_na += "NA" in organisms
            organism_names.update(o for o in organisms if o != "NA")

        year = int(fm["year"])
        years.append(year)
        pmc_year.append((year, int(fm["pmcid"][3:])))
        doi = fm["doi"]
        doi_states["na" if doi == NA_CHAR else "empty" if doi == "" else "present"] += 1
        if doi not in (NA_CHAR, ""):
            journals.append(
                {
                    "journal_title": fm["journal_title"],
                    "journal_nlm_ta": fm["journal_nlm_ta"],
                    "publisher_name": fm["publisher_name"],
                    "doi_template": _digit_template(doi, str(year)),
                    "year": str(year),
                }
            )

        keywords = fm["keywords"]
        if keywords == NA_CHAR:
            keyword_states["na"] += 1
        elif keywords == "":
            keyword_states["empty"] += 1
        else:
            keyword_states["block" if "\n" in keywords else "list"] += 1
            terms = _split_keywords(keywords.replace("\n", " "))
            keyword_terms_per_record.append(len(terms))
            piped = [t for t in terms if "|" in t]
            keyword_pipe_records += bool(piped)
            keyword_pipe_terms.extend(piped)
            keyword_terms.extend(t for t in terms if "|" not in t)

        automl.append(float(fm["automl_pathway"]))
        figtypes[fm["figtype"]] += 1
        number = str(fm["number"])
        prefix, digits = re.match(r"([A-Za-z]*)(\d*)", number).groups()  # type: ignore[union-attr]
        number_prefix_by_type.setdefault(fm["figtype"], Counter())[prefix] += 1
        if digits:
            number_ints.append(int(digits))
        era = "to_2020" if year <= 2020 else "after_2020"
        ndex_by_era[era][0] += 1
        ndex_by_era[era][1] += bool(fm["ndex"])

        stem = figid.split("__", 1)[1]
        link_tail = fm["figlink"].split("/figure/", 1)[1]
        stem_templates.append(
            {
                "stem": _digit_template(stem),
                "figlink_tail": _digit_template(link_tail),
                "figure_index": digits,
                "stem_index_run": _index_run(stem, digits),
                "link_index_run": _index_run(link_tail, digits),
                "leading_slash": str(fm["figlink"].startswith("/")),
            }
        )

        parts = _split_reftext(fm["reftext"])
        if parts is None:
            reftext_unparsed.append(fm["reftext"])
        else:
            author, journal, cite = parts
            reftext_parts.append(
                {
                    "journal": journal,
                    "cite_template": _digit_template(cite, str(year)),
                    "et_al": str(author.endswith(", et al")),
                }
            )
            name = author.removesuffix(", et al")
            if " " in name:
                first, last = name.rsplit(" ", 1)
                authors_first.append(first)
                authors_last.append(last)

        # schema-jsonld keywords against the TSVs: which symbols, and whether entity words follow
        sj_keywords = fm["schema-jsonld"].get("keywords") or []
        kw_duplicates += len(sj_keywords) != len(set(sj_keywords))
        kw_na += NA_CHAR in sj_keywords
        symbols: list[str] = []
        if has["genes"]:
            header, rows = _read_tsv(data / f"{figid}-genes.tsv")
            col = header.index("ncbigene_symbol")
            for row in rows:
                if row[col] not in symbols:
                    symbols.append(row[col])
        if sj_keywords[: len(symbols)] != symbols:
            kw_mismatch += 1
        elif has["genes"] and (has["chemicals"] or has["diseases"]):
            kw_entity_eligible += 1
            kw_with_entity_words += len(sj_keywords) > len(symbols)

    genes = _profile_genes(sorted(data.glob("*-genes.tsv")))
    chemicals = _profile_chemicals(sorted(data.glob("*-chemicals.tsv")))
    diseases = _profile_diseases(sorted(data.glob("*-diseases.tsv")))
    organism_pages = {
        p.name: p.read_text(encoding="utf-8") for p in sorted((root / "_organisms").glob("*.md"))
    }

    # log10(PMC number) against year: PMC ids grow with time, so a linear fit ties them together.
    xs = [float(y) for y, _ in pmc_year]
    ys = [math.log10(p) for _, p in pmc_year]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    intercept = my - slope * mx
    resid = math.sqrt(
        sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True)) / (len(xs) - 2)
    )

    n = len(figures)
    return {
        "version": PROFILE_VERSION,
        "source": "examples/pfocr-sample",
        "records": n,
        "figures": {
            "table_combos": dict(sorted(combos.items())),
            "field_orders": dict(sorted(field_orders.items())),
            "caption_chars_values": caption_chars,
            "caption_chars_quantiles": _quantiles(caption_chars),
            "caption_empty": caption_empty,
            "captions_pool": captions,
            "figtitles_pool": figtitles,
            "papertitles_pool": papertitles,
            "title_kinds": dict(sorted(title_kinds.items())),
            "title_trailing_space": title_trailing_space,
            "reftext_trailing_space": reftext_trailing_space,
            "organisms": {
                "na_only": organisms_na,
                "list_lengths_values": organism_list_lengths,
                "lists_with_na": organism_lists_with_na,
                "names": dict(sorted(organism_names.items())),
            },
            "year_values": years,
            "pmc_log10_vs_year": {
                "intercept": round(intercept, 6),
                "slope": round(slope, 6),
                "residual_sd": round(resid, 6),
            },
            "doi_states": dict(sorted(doi_states.items())),
            "journals_pool": journals,
            "keyword_states": dict(sorted(keyword_states.items())),
            "keyword_terms_pool": keyword_terms,
            "keyword_terms_per_record_values": keyword_terms_per_record,
            "keyword_pipe_terms_pool": keyword_pipe_terms,
            "keyword_pipe_records": keyword_pipe_records,
            "automl_pathway_values": automl,
            "automl_pathway_quantiles": _quantiles(automl),
            "figtypes": dict(sorted(figtypes.items())),
            "number_prefix_by_figtype": {
                k: dict(sorted(v.items())) for k, v in sorted(number_prefix_by_type.items())
            },
            "figure_index_values": number_ints,
            "ndex_by_era": ndex_by_era,
            "stem_templates": stem_templates,
            "reftext_templates": reftext_parts,
            "reftext_unparsed": reftext_unparsed,
            "author_first_names": authors_first,
            "author_last_names": authors_last,
            "schema_keywords": {
                "mismatch_with_tsv": kw_mismatch,
                "entity_words_eligible": kw_entity_eligible,
                "entity_words_present": kw_with_entity_words,
                "records_with_duplicates": kw_duplicates,
                "records_with_na": kw_na,
            },
        },
        "genes": genes,
        "chemicals": chemicals,
        "diseases": diseases,
        "organism_pages": organism_pages,
        "assumptions": dict(ASSUMPTIONS),
    }


def _index_run(text: str, digits: str) -> str:
    """Which digit run of *text* (counted from the end, ``"-1"`` = last) holds the figure number."""
    if not digits:
        return ""
    runs = re.findall(r"\d+", text)
    for back in range(1, len(runs) + 1):
        if int(runs[-back]) == int(digits):
            return str(-back)
    return ""


def _profile_genes(paths: list[Path]) -> dict[str, Any]:
    headers: Counter[str] = Counter()
    rows_per_table: list[int] = []
    blocks_per_table: list[int] = []
    words_per_block: list[int] = []
    taxa: dict[str, dict[str, Any]] = {}
    source_rows: Counter[str] = Counter()
    groups: list[dict[str, Any]] = []
    shapes: list[str] = []
    word_kinds: Counter[str] = Counter()
    homoglyph_words = 0
    total_words = 0
    na_symbol = nan_id = 0
    dup_block_tables = 0
    total_rows = block_rows = 0
    synonym_matches: list[str] = []
    for path in paths:
        header, rows = _read_tsv(path)
        headers[str(len(header))] += 1
        col = {name: i for i, name in enumerate(header)}
        rows_per_table.append(len(rows))
        total_rows += len(rows)
        # Blocks: consecutive rows of one organism; a block seen again is a duplicated block.
        blocks: list[list[list[str]]] = []
        for row in rows:
            if not blocks or blocks[-1][0][0] != row[0]:
                blocks.append([])
            blocks[-1].append(row)
        keys = [tuple(tuple(r[: col["source"] + 1]) for r in b) for b in blocks]
        dup = len(keys) != len(set(keys))
        dup_block_tables += dup
        unique_blocks = [b for i, b in enumerate(blocks) if keys[i] not in keys[:i]]
        blocks_per_table.append(len(unique_blocks))
        for block in unique_blocks:
            taxon = block[0][0]
            entry = taxa.setdefault(
                taxon, {"taxon": taxon, "name": block[0][1], "group": block[0][2], "blocks": 0, "rows": 0}
            )
            entry["blocks"] += 1
            entry["rows"] += len(block)
            block_rows += len(block)
            by_word: dict[str, list[list[str]]] = {}
            for row in block:
                by_word.setdefault(row[col["word"]], []).append(row)
                source_rows[row[col["source"]]] += 1
                na_symbol += row[col["ncbigene_symbol"]] == "NA"
                nan_id += row[col["ncbigene_id"]] == "NaN"
            words_per_block.append(len(by_word))
            for word, wrows in by_word.items():
                matches: list[str] = []
                for r in wrows:
                    if r[col["match"]] not in matches:
                        matches.append(r[col["match"]])
                shape = ",".join(
                    f"{matches.index(r[col['match']])}{_SOURCE_CODE[r[col['source']]]}" for r in wrows
                )
                shapes.append(shape)
                groups.append(
                    {
                        "taxon": taxon,
                        "word": word,
                        "rows": [
                            [
                                r[col["match"]],
                                r[col["ncbigene_symbol"]],
                                r[col["ncbigene_id"]],
                                _SOURCE_CODE[r[col["source"]]],
                            ]
                            for r in wrows
                        ],
                    }
                )
                for r in wrows:
                    if r[col["source"]] == SYNONYM and r[col["match"]] not in synonym_matches:
                        synonym_matches.append(r[col["match"]])
                total_words += 1
                homoglyph_words += any(ord(c) > 127 for c in word)
                if len(matches) > 1:
                    word_kinds["multi_match"] += 1
                elif word == matches[0]:
                    word_kinds["same"] += 1
                elif word.upper() == matches[0]:
                    word_kinds["case"] += 1
                else:
                    word_kinds["other"] += 1
    return {
        "header_columns": dict(sorted(headers.items())),
        "rows_per_table_values": rows_per_table,
        "rows_per_table_quantiles": _quantiles(rows_per_table),
        "blocks_per_table_values": blocks_per_table,
        "words_per_block_values": words_per_block,
        "taxa": sorted(taxa.values(), key=lambda t: (-t["rows"], t["taxon"])),
        "source_rows": dict(sorted(source_rows.items())),
        "total_rows": total_rows,
        "block_rows": block_rows,
        "na_symbol_rows": na_symbol,
        "nan_id_rows": nan_id,
        "duplicated_block_tables": dup_block_tables,
        "word_kinds": dict(sorted(word_kinds.items())),
        "words": total_words,
        "homoglyph_words": homoglyph_words,
        "group_shapes_pool": shapes,
        "groups_pool": groups,
        "synonym_matches_pool": synonym_matches,
    }


def _profile_entity_tables(paths: list[Path], new_header: tuple[str, ...]) -> dict[str, Any]:
    headers: Counter[str] = Counter()
    rows_per_table: list[int] = []
    pool: Counter[tuple[str, ...]] = Counter()
    dup_rows = total = new_rows = 0
    mapped = mesh_na = 0
    for path in paths:
        header, rows = _read_tsv(path)
        headers[" ".join(header)] += 1
        rows_per_table.append(len(rows))
        seen: set[tuple[str, ...]] = set()
        for row in rows:
            total += 1
            key = tuple(row)
            dup_rows += key in seen
            seen.add(key)
            if tuple(header) == new_header:
                new_rows += 1
                pool[key] += 1
                mapped += row[4] != "NA"
                mesh_na += row[1] == "NA"
            else:  # old `word source identifier`: no heading or ChEBI columns
                pool[(row[0], f"mesh:{row[2]}" if row[2] != "NA" else "NA", "NA", "NA", "NA")] += 1
    return {
        "headers": dict(sorted(headers.items())),
        "rows_per_table_values": rows_per_table,
        "rows_per_table_quantiles": _quantiles(rows_per_table),
        "total_rows": total,
        "current_header_rows": new_rows,
        "duplicate_rows": dup_rows,
        "mapped_rows": mapped,
        "mesh_na_rows": mesh_na,
        "pool": [[*k, v] for k, v in sorted(pool.items())],
    }


def _profile_chemicals(paths: list[Path]) -> dict[str, Any]:
    return _profile_entity_tables(paths, CHEMICALS_HEADER)


def _profile_diseases(paths: list[Path]) -> dict[str, Any]:
    return _profile_entity_tables(paths, DISEASES_HEADER)


#: Knobs the sample cannot measure (documented in docs/synth.md, "Assumptions"). They are copied
#: into the profile so that a profile file alone determines the output.
# fmt: off
ASSUMPTIONS: dict[str, Any] = {
    "share_figure_continues_paper": 0.25,
    "max_figures_per_paper": 12,
    "share_real_gene_groups": 0.3,
    "gene_universe_size": 30000,
    "share_genes_in_families": 0.3,
    "zipf_exponent": 1.0,
    "zipf_offset": 3.0,
    "chemical_universe_size": 4000,
    "disease_universe_size": 1000,
    "share_chemicals_from_real_pool": 0.5,
    "share_diseases_from_real_pool": 0.5,
    "bootstrap_log_bandwidth": 0.25,
    "automl_bandwidth": 0.03,
    "automl_range": [0.1, 0.97],
    "caption_chars_range": [30, 2800],
    "year_jitter": 2,
    "year_range": [1995, 2024],
    "unseen_oddity_rule": "rule of succession: 1/(records+2) per record for an oddity the data doc "
                          "reports but the sample lacks",
    "chemical_name_parts": {
        "locant": ["", "", "", "", "2-", "3-", "4-", "6-", "N-", "L-", "D-", "(S)-", "(R)-"],
        "prefix": ["", "", "", "di", "tri", "methyl", "hydroxy", "amino", "acetyl", "phospho", "oxo",
                   "carboxy", "deoxy", "dihydro", "ethyl", "chloro", "fluoro", "nitro"],
        "stem": ["butyr", "succin", "glutam", "pyruv", "lact", "malon", "citr", "fumar", "oxal", "benz",
                 "prol", "glycer", "propion", "ribul", "xylul", "sorb", "mevalon", "chol", "querc", "genist"],
        "suffix": ["ate", "ic acid", "ine", "ol", "yl-CoA", "ose", "one", "ate 6-phosphate", "in", "amide"],
    },
    "disease_name_parts": {
        "course": ["", "", "", "Acute ", "Chronic ", "Familial ", "Early-onset ", "Metastatic "],
        "qualifier": ["", "", "Hepatic ", "Pulmonary ", "Renal ", "Cardiac ", "Colorectal ", "Gastric ",
                      "Neuronal ", "Breast ", "Prostate ", "Ovarian ", "Skin ", "Pancreatic ", "Bone "],
        "noun": ["cancer", "carcinoma", "fibrosis", "inflammation", "injury", "failure", "tumor",
                 "hypertrophy", "degeneration", "infection", "steatosis", "lymphoma", "leukemia", "sepsis",
                 "ischemia", "atrophy", "dysplasia", "neoplasms", "syndrome", "disease"],
    },
    # Greek and Cyrillic look-alikes of Latin letters, as OCR produces them (ΜΑΡΚ, АКТ).
    "homoglyphs": {"A": "ΑА", "B": "ΒВ", "E": "ΕЕ", "H": "ΗН", "I": "ΙІ", "K": "ΚК", "M": "ΜМ", "N": "Ν",
                   "O": "ΟО", "P": "ΡР", "T": "ΤТ", "X": "ΧХ", "Y": "ΥУ", "a": "а", "c": "с", "e": "е",
                   "o": "οо", "p": "р", "x": "х", "y": "у"},
    "word_decorations": ["(", ")", ",", ";", "s", ":", "-", "+", "*"],
    # YAML 1.1 boolean look-alikes the data doc reports in schema-jsonld keywords ('NO', 'Off');
    # 'On' already comes with the sample's fly genes. MeSH D009569 / ChEBI 16480 is nitric oxide.
    "boolean_lookalike_chemicals": [["NO", "mesh:D009569", "Nitric Oxide", "nitric oxide", "chebi:16480"],
                                    ["Off", "NA", "NA", "NA", "NA"]],
}
# fmt: on


def write_profile(sample_dir: Path | str, path: Path | str = PROFILE_PATH) -> Path:
    """Measure *sample_dir* and write the profile JSON to *path* (deterministic bytes)."""
    profile = profile_sample(sample_dir)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(profile, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return target


def load_profile(path: Path | str = PROFILE_PATH) -> dict[str, Any]:
    """Read a profile written by :func:`write_profile`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# =============================================================================================
# YAML front-matter emitter (PyYAML safe_dump compatible for the shapes a record holds)
# =============================================================================================

_BEST_WIDTH = 80
#: Anything outside PyYAML's printable set, or a line break, makes it pick a double-quoted or
#: multi-line style this emitter does not reproduce: such a record goes through yaml.dump instead.
_NOT_SIMPLE = re.compile("[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010fffe]|\ufeff")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
#: A space that is a whole run by itself: the only place PyYAML folds a line.
_SINGLE_SPACE = re.compile(r"(?<! ) (?! )")


class _NeedsDumper(Exception):
    """Raised when a value is outside what the fast emitter reproduces exactly."""


@dataclass(frozen=True)
class Block:
    """A string the real files write as a ``|-`` literal block (the one multi-line keyword)."""

    text: str


def _plain_allowed(value: str) -> bool:
    """PyYAML's analyze_scalar + resolver test, for a non-empty single-line printable string."""
    first = value[0]
    if first in _FIRST_INDICATORS or first == " " or value[-1] == " ":
        return False
    if first in "?:-" and (len(value) == 1 or value[1] == " "):
        return False
    if value.startswith(("---", "...")):
        return False
    if ": " in value or value[-1] == ":" or " #" in value:
        return False
    # A plain scalar that would load back as a bool/int/float/null/timestamp must be quoted.
    return all(not regexp.match(value) for _tag, regexp in _IMPLICIT.get(first, ()))


def _fold(text: str, column: int, indent: int, lo: int, hi: int) -> str:
    """Break *text* (written from *column*) the way PyYAML's writers do.

    PyYAML replaces a single-space run by a line break (and *indent* spaces) when the column has
    passed the best width by the time the run ends; runs of several spaces are never broken. Only
    spaces at indexes in [lo, hi) may break (a quoted scalar keeps its edge spaces).
    """
    out: list[str] = []
    start = 0
    search = _SINGLE_SPACE.search
    pad = "\n" + " " * indent
    while True:
        # The column before a space at index p is column + (p - start); it must exceed the width.
        # (No endpos: the look-ahead must see the character after a candidate space.)
        match = search(text, max(start, lo, start + _BEST_WIDTH + 1 - column))
        if match is None or match.start() >= hi:
            out.append(text[start:])
            return "".join(out)
        p = match.start()
        out.append(text[start:p])
        out.append(pad)
        start = p + 1
        column = indent


def _scalar(value: str, column: int, indent: int) -> str:
    """Emit *value* after a ``key:`` or ``-`` ending at *column*; continuation lines at *indent*."""
    if not value:
        return " ''"
    if _NOT_SIMPLE.search(value):
        raise _NeedsDumper(value)
    if _plain_allowed(value):
        if column + 1 + len(value) <= _BEST_WIDTH:
            return " " + value
        return " " + _fold(value, column + 1, indent, 0, len(value))
    quoted = value.replace("'", "''")
    if column + 2 + len(quoted) <= _BEST_WIDTH:
        return " '" + quoted + "'"
    return " '" + _fold(quoted, column + 2, indent, 1, len(quoted) - 1) + "'"


_ITEM_CACHE: dict[tuple[str, int], str] = {}
_KEY_CACHE: dict[str, str] = {}


def _key(key: str) -> str:
    text = _KEY_CACHE.get(key)
    if text is None:
        text = _KEY_CACHE[key] = _scalar(key, -1, 0)[1:]
    return text


def _item(value: str, indent: int) -> str:
    cached = _ITEM_CACHE.get((value, indent))
    if cached is None:
        cached = f"{' ' * indent}-{_scalar(value, indent + 1, indent + 2)}\n"
        if len(_ITEM_CACHE) < 500_000:  # gene symbols repeat a lot; bound the cache anyway
            _ITEM_CACHE[(value, indent)] = cached
    return cached


def _emit_mapping(pairs: Iterable[tuple[str, Any]], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in pairs:
        k = _key(key)
        if isinstance(value, str):
            out.append(f"{pad}{k}:{_scalar(value, indent + len(k) + 1, indent + 2)}\n")
        elif isinstance(value, list):
            if not value:
                out.append(f"{pad}{k}: []\n")
            else:
                out.append(f"{pad}{k}:\n")
                out.extend(_item(v, indent) for v in value)
        elif isinstance(value, dict):
            out.append(f"{pad}{k}:\n")
            _emit_mapping(value.items(), indent + 2, out)
        elif isinstance(value, float):
            text = repr(value).lower()
            if "." not in text and "e" in text:
                text = text.replace("e", ".0e", 1)
            out.append(f"{pad}{k}: {text}\n")
        elif isinstance(value, Block):
            out.append(f"{pad}{k}: |-\n")
            out.extend(f"{pad}  {line}\n" for line in value.text.split("\n"))
        else:
            raise _NeedsDumper(repr(value))


def dump_front_matter(fields: dict[str, Any]) -> str:
    """The ``---``-delimited front matter of *fields*, as the real files write it.

    Equal to ``yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)`` between the
    ``---`` lines, except that a :class:`Block` value is written as a ``|-`` literal block.
    """
    out = ["---\n"]
    try:
        _emit_mapping(fields.items(), 0, out)
    except _NeedsDumper:
        plain = {k: (v.text if isinstance(v, Block) else v) for k, v in fields.items()}
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        out = ["---\n", yaml.dump(plain, Dumper=dumper, sort_keys=False, allow_unicode=True)]
    out.append("---\n")
    return "".join(out)


# =============================================================================================
# Samplers
# =============================================================================================


def _succession(count: int, trials: int) -> float:
    """Share for an oddity: measured when seen, else the rule of succession 1/(trials+2)."""
    return count / trials if count else 1.0 / (trials + 2)


class _Categorical:
    """Draw a key with probability proportional to its weight."""

    def __init__(self, weights: dict[str, float]) -> None:
        items = [(k, w) for k, w in weights.items() if w > 0]
        self.keys = [k for k, _ in items]
        self.cum: list[float] = []
        total = 0.0
        for _, w in items:
            total += w
            self.cum.append(total)
        self.total = total

    def draw(self, rng: random.Random) -> str:
        return self.keys[bisect.bisect_right(self.cum, rng.random() * self.total)]


class _Bootstrap:
    """Smoothed bootstrap: an observed value times a log-normal jitter, clipped to [lo, hi]."""

    def __init__(self, values: Sequence[float], bandwidth: float, lo: float, hi: float) -> None:
        self.values = [v for v in values if v > 0] or [1.0]
        self.bandwidth, self.lo, self.hi = bandwidth, lo, hi

    def draw(self, rng: random.Random) -> float:
        value = rng.choice(self.values) * math.exp(rng.gauss(0.0, self.bandwidth))
        return min(self.hi, max(self.lo, value))

    def draw_int(self, rng: random.Random) -> int:
        return round(self.draw(rng))


def _zipf_cum(n: int, exponent: float, offset: float) -> list[float]:
    cum: list[float] = []
    total = 0.0
    for rank in range(n):
        total += 1.0 / (rank + offset) ** exponent
        cum.append(total)
    return cum


def _draw_index(cum: list[float], rng: random.Random) -> int:
    return min(len(cum) - 1, bisect.bisect_right(cum, rng.random() * cum[-1]))


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


def _reshape(template: str, rng: random.Random) -> str:
    """A new string of *template*'s shape: same case pattern, digit positions and punctuation."""
    out = []
    rnd = rng.random
    for i, ch in enumerate(template):
        if "A" <= ch <= "Z":
            out.append(_UPPER[int(rnd() * 26)])
        elif "a" <= ch <= "z":
            out.append(_LOWER[int(rnd() * 26)])
        elif "0" <= ch <= "9":
            lead = ch != "0" and (i == 0 or not template[i - 1].isdigit())
            out.append(_DIGITS[1 + int(rnd() * 9)] if lead else _DIGITS[int(rnd() * 10)])
        else:
            out.append(ch)
    return "".join(out)


def _fill_digits(template: str, rng: random.Random, year: str = "") -> str:
    """Replace ``#`` with random digits and ``@@@@`` with *year* in a profile template."""
    if year:
        template = template.replace("@@@@", year)
    if "#" not in template:
        return template
    rnd = rng.random
    return "".join(_DIGITS[int(rnd() * 10)] if ch == "#" else ch for ch in template)


class _Markov:
    """Word bigrams over real texts (split on single spaces, so double spaces survive)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.starts: list[str] = []
        self.follow: dict[str, list[str | None]] = {}
        self.lengths: list[int] = []
        for text in texts:
            text = re.sub(r"[\t\n\r]", " ", text)
            tokens = text.split(" ")
            if not tokens or not tokens[0]:
                continue
            self.lengths.append(len(text))
            self.starts.append(tokens[0])
            for a, b in zip(tokens, [*tokens[1:], None], strict=True):
                self.follow.setdefault(a, []).append(b)
        # Most tokens of a small corpus have one possible successor; precomputing those runs lets
        # text() take a whole run per step instead of a word per step.
        self.jumps: dict[str, tuple[str, int, str]] = {}
        for token in self.follow:
            run: list[str] = []
            current = token
            visited = {token}
            while len(run) < 200:
                successors = set(self.follow.get(current, [None]))
                if len(successors) != 1 or None in successors:
                    break
                current = successors.pop()  # type: ignore[assignment]
                run.append(current)
                if current in visited:
                    break
                visited.add(current)
            if len(run) >= 2:
                self.jumps[token] = (" ".join(run), sum(len(t) + 1 for t in run), run[-1])
        # Everything text() needs about a token in one lookup: successors, their count, whether the
        # token ends a sentence, its run (if any) and its length plus the joining space.
        self.info: dict[str, tuple[tuple[str | None, ...], int, bool, tuple[str, int, str] | None, int]] = {
            token: (tuple(nxt), len(nxt), token.endswith("."), self.jumps.get(token), len(token) + 1)
            for token, nxt in self.follow.items()
        }

    def text(self, rng: random.Random, target: int, hard_max: int, restart: bool = True) -> str:
        """About *target* characters (at most *hard_max*), ending at a sentence end when possible.

        With *restart*, reaching the end of a source text before *target* starts a new sentence
        (captions); without, the text ends there (titles are one sentence).
        """
        words: list[str] = []
        size = 0
        rnd = rng.random
        info, starts = self.info, self.starts
        token = starts[int(rnd() * len(starts))]
        limit = min(target, hard_max)
        last_end: tuple[int, int] | None = None
        while True:
            options, count, period, jump, length = info[token]
            words.append(token)
            size += length
            while jump is not None and size + jump[1] < limit:
                words.append(jump[0])
                size += jump[1]
                token = jump[2]
                options, count, period, jump, _length = info[token]
            nxt = options[int(rnd() * count)]
            if size < target:
                if nxt is None or period:
                    last_end = (len(words), size)
                if size < hard_max and (restart or nxt is not None):
                    token = nxt if nxt is not None else starts[int(rnd() * len(starts))]
                    continue
                break
            if nxt is None or period:
                # Stop at whichever sentence end lies closer to the target, so lengths are unbiased.
                if restart and last_end is not None and target - last_end[1] < size - target:
                    del words[last_end[0] :]
                break
            if size >= hard_max or nxt is None:
                break
            token = nxt
        text = " ".join(words).strip(" ")
        if len(text) > hard_max:
            cut = text.rfind(" ", 0, hard_max)
            text = text[: cut if cut > 0 else hard_max].rstrip(" ")
        return text


# =============================================================================================
# The generative model built from a profile
# =============================================================================================

_RESERVED_SYMBOLS = frozenset({"NA", "NaN", "na", "nan", "N/A", "NULL", "null", "None", ""})


@dataclass
class _Taxon:
    taxon: str
    name: str
    group: str
    prefix: str  # "taxon\tname\tgroup\t", the first three TSV columns
    symbols: list[str]
    ids: list[str]
    gene_cum: list[float]
    families: list[tuple[str, list[int]]]
    family_cum: list[float]
    real_groups: list[tuple[str, list[tuple[str, str, str, str]]]]


@dataclass
class _Paper:
    index: int
    rng: random.Random
    pmcid: str
    year: str
    doi_state: str
    journal: dict[str, str] | None
    doi: str
    reftext: str
    papertitle: str
    keywords: str | Block
    stem: dict[str, str]
    stem_digits: str
    link_digits: str
    first_index: int
    figures: int = 0


@dataclass
class SynthStats:
    """What :func:`synthesize` wrote."""

    records: int
    genes_tables: int
    chemicals_tables: int
    diseases_tables: int
    gene_rows: int
    distinct_genes: int
    chemical_rows: int
    disease_rows: int
    papers: int
    organism_pages: int
    seconds: float


class _Model:
    """Every sampler a record needs, built once per (profile, seed)."""

    def __init__(self, profile: dict[str, Any], seed: int) -> None:
        if profile.get("version") != PROFILE_VERSION:
            raise ValueError(f"synth profile version {profile.get('version')!r}, expected {PROFILE_VERSION}")
        self.seed = seed
        self.profile = profile
        a = profile["assumptions"]
        fig = profile["figures"]
        genes = profile["genes"]
        n = profile["records"]
        self.a = a
        bw = a["bootstrap_log_bandwidth"]
        urng = random.Random(f"{seed}/universe")

        # --- figure-level distributions -------------------------------------------------------
        self.combos = _Categorical(fig["table_combos"])
        orders = fig["field_orders"]
        self.p_ner_after_figtype = orders.get("organisms_ner_after_figtype", 0) / n
        self.caption_chars = _Bootstrap(fig["caption_chars_values"], bw, *a["caption_chars_range"])
        self.p_caption_empty = _succession(fig["caption_empty"], n)
        self.captions = _Markov(fig["captions_pool"])
        self.figtitles = _Markov(fig["figtitles_pool"])
        self.papertitles = _Markov(fig["papertitles_pool"])
        self.title_kind = _Categorical(fig["title_kinds"])
        self.p_title_trailing_space = _succession(fig["title_trailing_space"], n)
        orgs = fig["organisms"]
        self.p_organisms_na = orgs["na_only"] / n
        self.organism_lengths = _Bootstrap(orgs["list_lengths_values"], bw, 1, 60)
        self.p_organisms_with_na = orgs["lists_with_na"] / max(1, len(orgs["list_lengths_values"]))
        self.organism_names = list(orgs["names"])
        self.organism_cum = list(_accumulate(float(w) for w in orgs["names"].values()))
        self.years = fig["year_values"]
        self.pmc_fit = fig["pmc_log10_vs_year"]
        self.doi_state = _Categorical(
            {**fig["doi_states"], "empty": _succession(fig["doi_states"].get("empty", 0), n) * n}
        )
        self.journals = fig["journals_pool"]
        kstates = fig["keyword_states"]
        self.keyword_state = _Categorical(kstates)
        self.keyword_terms = sorted(set(fig["keyword_terms_pool"]))
        self.keyword_counts = fig["keyword_terms_per_record_values"]
        lists = kstates.get("list", 0) + kstates.get("block", 0)
        self.p_keyword_pipe = fig["keyword_pipe_records"] / max(1, lists)
        self.keyword_pipe_terms = fig["keyword_pipe_terms_pool"]
        self.automl = fig["automl_pathway_values"]
        figtypes = dict(fig["figtypes"])
        figtypes.setdefault("Supplemental figure", _succession(0, n) * n)
        self.figtype = _Categorical(figtypes)
        self.number_prefix = {"Figure": "F", "Scheme": "S", "Supplemental figure": "SF"}
        for figtype, prefixes in fig["number_prefix_by_figtype"].items():
            self.number_prefix[figtype] = max(prefixes, key=prefixes.get)
        self.figure_indexes = fig["figure_index_values"]
        self.p_duplicate_number = _succession(0, n)
        self.ndex_share = {
            era: (seen / total if total else 0.0) for era, (total, seen) in fig["ndex_by_era"].items()
        }
        self.stems = fig["stem_templates"]
        self.reftexts = fig["reftext_templates"]
        self.first_names = fig["author_first_names"]
        self.last_names = fig["author_last_names"]
        sj = fig["schema_keywords"]
        self.p_kw_mismatch = sj["mismatch_with_tsv"] / n
        self.p_kw_entity_words = sj["entity_words_present"] / max(1, sj["entity_words_eligible"])
        self.p_kw_duplicate = _succession(sj["records_with_duplicates"], n)

        # --- genes ----------------------------------------------------------------------------
        tables = len(genes["rows_per_table_values"])
        self.p_genes_10col = int(genes["header_columns"].get("10", 0)) / tables
        self.p_duplicated_block = genes["duplicated_block_tables"] / tables
        self.blocks_per_table = genes["blocks_per_table_values"]
        self.words_per_block = _Bootstrap(genes["words_per_block_values"], bw, 1, 200)
        self.p_na_symbol = genes["na_symbol_rows"] / genes["block_rows"]
        self.p_nan_given_na = genes["nan_id_rows"] / max(1, genes["na_symbol_rows"])
        kinds = {k: v for k, v in genes["word_kinds"].items() if k != "multi_match"}
        self.word_kind = _Categorical(kinds)
        self.p_homoglyph = genes["homoglyph_words"] / genes["words"]
        # "0y,0s,1f" → per match (symbol rows, synonym rows, famplex rows), matches in order.
        self.shapes: list[list[tuple[int, int, int]]] = []
        for shape in genes["group_shapes_pool"]:
            per_match: dict[int, Counter[str]] = {}
            for token in shape.split(","):
                per_match.setdefault(int(token[:-1]), Counter())[token[-1]] += 1
            self.shapes.append([(c["y"], c["s"], c["f"]) for _m, c in sorted(per_match.items())])
        self.synonym_matches = genes["synonym_matches_pool"]
        self.p_real_group = a["share_real_gene_groups"]
        self.homoglyphs = a["homoglyphs"]
        self.decorations = a["word_decorations"]
        self.taxa: dict[str, _Taxon] = {}
        self.taxon_order = [t["taxon"] for t in genes["taxa"]]
        self.taxon_cum = list(_accumulate(float(t["blocks"]) for t in genes["taxa"]))
        self._build_gene_universe(genes, urng)

        # --- chemicals and diseases ----------------------------------------------------------
        self.chem = self._entity_model(profile["chemicals"], a, urng, "chemical")
        self.dis = self._entity_model(profile["diseases"], a, urng, "disease")
        self.organism_pages = profile["organism_pages"]

    # ---- universe ----------------------------------------------------------------------------

    def _build_gene_universe(self, genes: dict[str, Any], rng: random.Random) -> None:
        a = self.a
        total_rows = genes["block_rows"]
        used_ids: set[str] = set()
        by_taxon: dict[str, list[dict[str, Any]]] = {}
        for group in genes["groups_pool"]:
            by_taxon.setdefault(group["taxon"], []).append(group)
            used_ids.update(r[2] for r in group["rows"])
        family_sizes: list[int] = []
        for group in genes["groups_pool"]:
            counts = Counter(r[0] for r in group["rows"] if r[3] == "f")
            family_sizes.extend(c for c in counts.values() if c >= 2)
        family_sizes = family_sizes or [2, 3, 4]
        mean_size = sum(family_sizes) / len(family_sizes)
        share = a["share_genes_in_families"]
        # Per creation, a family with probability p: p*mean/(p*mean + 1 - p) = share of genes.
        p_family = share / (mean_size * (1 - share) + share)
        zipf_s, zipf_offset = a["zipf_exponent"], a["zipf_offset"]
        for info in genes["taxa"]:
            taxon = info["taxon"]
            groups = by_taxon.get(taxon, [])
            symbols: list[str] = []
            ids: list[str] = []
            index: dict[str, int] = {}
            families: list[tuple[str, list[int]]] = []
            real_groups: list[tuple[str, list[tuple[str, str, str, str]]]] = []
            for group in groups:
                rows = [tuple(r) for r in group["rows"]]
                real_groups.append((group["word"], rows))  # type: ignore[arg-type]
                members: dict[str, list[int]] = {}
                for match, symbol, gene_id, code in rows:
                    if symbol in _RESERVED_SYMBOLS or gene_id == "NaN":
                        continue
                    if gene_id not in index:
                        index[gene_id] = len(symbols)
                        symbols.append(symbol)
                        ids.append(gene_id)
                    if code == "f":
                        members.setdefault(match, []).append(index[gene_id])
                families.extend((m, idx) for m, idx in members.items() if len(idx) >= 2)
            seen_symbols = set(symbols)
            templates = list(symbols) or ["ABC1"]
            id_templates = list(ids) or ["12345"]
            target = max(200, round(a["gene_universe_size"] * info["rows"] / total_rows))
            while len(symbols) < target:
                if rng.random() < p_family:
                    size = rng.choice(family_sizes)
                    base = _reshape(rng.choice(templates), rng).rstrip(_DIGITS) or "FAM"
                    members_idx = []
                    for j in range(1, size + 1):
                        members_idx.append(len(symbols))
                        symbols.append(_new_symbol(f"{base}{j}", templates, seen_symbols, rng))
                        ids.append(_new_id(id_templates, used_ids, rng))
                    families.append((base.upper(), members_idx))
                else:
                    symbols.append(_new_symbol(None, templates, seen_symbols, rng))
                    ids.append(_new_id(id_templates, used_ids, rng))
            self.taxa[taxon] = _Taxon(
                taxon=taxon,
                name=info["name"],
                group=info["group"],
                prefix=f"{taxon}\t{info['name']}\t{info['group']}\t",
                symbols=symbols,
                ids=ids,
                gene_cum=_zipf_cum(len(symbols), zipf_s, zipf_offset),
                families=families,
                family_cum=_zipf_cum(len(families), zipf_s, zipf_offset) if families else [],
                real_groups=real_groups,
            )

    def _entity_model(
        self, table: dict[str, Any], a: dict[str, Any], rng: random.Random, kind: str
    ) -> dict[str, Any]:
        headers = table["headers"]
        tables = sum(headers.values())
        new_rows = table["current_header_rows"]  # old-header rows carry no mapping columns
        old_tables = headers.get(" ".join(CHEMICALS_HEADER_OLD), 0) if kind == "chemical" else 0
        real = [tuple(r[:5]) for r in table["pool"]]
        real_cum: list[float] = []
        total = 0.0
        for r in table["pool"]:
            total += r[5]
            real_cum.append(total)
        mesh_templates = [r[1][5:] for r in real if r[1].startswith("mesh:")] or ["D000001"]
        parts = a["chemical_name_parts"] if kind == "chemical" else a["disease_name_parts"]
        p_mapped = _succession(table["mapped_rows"], max(1, new_rows))
        p_mesh_na = table["mesh_na_rows"] / max(1, new_rows)
        if kind == "chemical":
            id_templates = [r[4][6:] for r in real if r[4].startswith("chebi:")] or ["12345"]
            id_prefix = "chebi:"
        else:
            id_templates = [r[4][5:] for r in real if r[4].startswith("doid:")] or ["9255"]
            id_prefix = "doid:"
        size = a["chemical_universe_size"] if kind == "chemical" else a["disease_universe_size"]
        universe: list[tuple[str, str, str, str, str]] = []
        if kind == "chemical":
            universe.extend(tuple(x) for x in a["boolean_lookalike_chemicals"])  # type: ignore[misc]
        seen = {r[0].lower() for r in real} | {u[0].lower() for u in universe}
        used_mesh = {r[1] for r in real}
        attempts = 0
        while len(universe) < size and attempts < size * 50:
            attempts += 1
            if kind == "chemical":
                name = "".join(rng.choice(parts[k]) for k in ("locant", "prefix", "stem", "suffix"))
            else:
                name = "".join(rng.choice(parts[k]) for k in ("course", "qualifier", "noun"))
                name = name[0].upper() + name[1:].lower()
            if name.lower() in seen:
                continue
            seen.add(name.lower())
            template = rng.choice(mesh_templates)
            mesh = "mesh:" + template[0] + _reshape(template[1:], rng)
            if mesh in used_mesh:
                continue
            used_mesh.add(mesh)
            if rng.random() < p_mesh_na:
                universe.append((name, "NA", "NA", "NA", "NA"))
            elif rng.random() < p_mapped:
                universe.append(
                    (
                        name,
                        mesh,
                        name[0].upper() + name[1:],
                        name,
                        id_prefix + _reshape(rng.choice(id_templates), rng),
                    )
                )
            else:
                universe.append((name, mesh, "NA", "NA", "NA"))
        return {
            "rows": _Bootstrap(table["rows_per_table_values"], a["bootstrap_log_bandwidth"], 1, 400),
            "p_duplicate": table["duplicate_rows"] / max(1, table["total_rows"]),
            "p_old_header": old_tables / max(1, tables),
            "p_real": a[
                "share_chemicals_from_real_pool" if kind == "chemical" else "share_diseases_from_real_pool"
            ],
            "real": real,
            "real_cum": real_cum,
            "universe": universe,
            "universe_cum": _zipf_cum(len(universe), a["zipf_exponent"], a["zipf_offset"]),
        }

    # ---- genes table -------------------------------------------------------------------------

    def _word(self, match: str, symbol: str, rng: random.Random) -> str:
        kind = self.word_kind.draw(rng)
        if kind == "same":
            word = match
        elif kind == "case":
            if symbol and symbol != match:
                word = symbol
            else:
                word = match.capitalize() if rng.random() < 0.5 else match.lower()
        else:
            base = match if rng.random() < 0.5 else (symbol or match.lower())
            deco = rng.choice(self.decorations)
            word = "(" + base if deco == "(" else base + deco
        if rng.random() < self.p_homoglyph:
            chars = list(word)
            hits = [i for i, c in enumerate(chars) if c in self.homoglyphs]
            for i in hits:
                if rng.random() < 0.6 or i == hits[-1]:
                    chars[i] = rng.choice(self.homoglyphs[chars[i]])
            word = "".join(chars)
        return word

    def _synthetic_group(self, tx: _Taxon, rng: random.Random) -> list[list[str]]:
        """Rows for one OCR word, in the shape of a real word's rows but with universe genes."""
        shape = self.shapes[int(rng.random() * len(self.shapes))]
        rows: list[tuple[str, str, str, str]] = []
        words: list[str] = []
        symbols, ids = tx.symbols, tx.ids
        for n_symbol, n_synonym, n_famplex in shape:
            head = -1
            members: Sequence[int] = ()
            if n_famplex and tx.families:
                name, members = tx.families[_draw_index(tx.family_cum, rng)]
                if n_symbol:
                    head = members[0]
                    match = symbols[head].upper()
                else:
                    match = name
            elif n_symbol:
                head = _draw_index(tx.gene_cum, rng)
                match = symbols[head].upper()
            else:
                match = _reshape(self.synonym_matches[int(rng.random() * len(self.synonym_matches))], rng)
            words.append(self._word(match, symbols[head] if head >= 0 else "", rng))
            if head >= 0:
                rows.append((match, symbols[head], ids[head], SYMBOL))
            picked = {head}
            for _ in range(n_synonym + (n_famplex if not tx.families else 0)):
                g = _draw_index(tx.gene_cum, rng)
                if g not in picked:
                    picked.add(g)
                    rows.append((match, symbols[g], ids[g], SYNONYM))
            rows.extend((match, symbols[g], ids[g], FAMPLEX) for g in members)
        word = words[0] if len(words) == 1 else ("/" if rng.random() < 0.5 else ",").join(words)
        out = [[word, *row] for row in rows]
        # One draw per word rather than per row: same expected NA rate, far fewer draws.
        if out and rng.random() < self.p_na_symbol * len(out):
            row = out[int(rng.random() * len(out))]
            row[2] = "NA"
            if rng.random() < self.p_nan_given_na:
                row[3] = "NaN"
        return out

    def genes_table(self, rng: random.Random) -> tuple[str, list[str], list[str], list[tuple[str, str]], int]:
        """(TSV text, schema keywords from symbols, organisms_ner, (taxon, id) pairs, row count)."""
        k = rng.choice(self.blocks_per_table)
        chosen = _weighted_sample(self.taxon_order, self.taxon_cum, k, rng)
        eleven = rng.random() >= self.p_genes_10col
        blocks: list[tuple[_Taxon, list[list[str]]]] = []
        for taxon in chosen:
            tx = self.taxa[taxon]
            rows: list[list[str]] = []
            for _ in range(self.words_per_block.draw_int(rng)):
                if tx.real_groups and rng.random() < self.p_real_group:
                    word, grows = rng.choice(tx.real_groups)
                    rows.extend([word, m, sym, gid, _CODE_SOURCE[code]] for m, sym, gid, code in grows)
                else:
                    rows.extend(self._synthetic_group(tx, rng))
            blocks.append((tx, rows))
        lines = ["\t".join(GENES_HEADER_11 if eleven else GENES_HEADER_10)]
        keywords: list[str] = []
        seen_kw: set[str] = set()
        pairs: list[tuple[str, str]] = []
        rendered: list[tuple[_Taxon, list[list[str]], str, str, str]] = []
        for tx, rows in blocks:
            direct = sum(r[4] == SYMBOL for r in rows)
            synonym = sum(r[4] == SYNONYM for r in rows)
            cd = str(direct) if direct else "NA"
            cs = str(synonym) if synonym else "NA"
            cm = str(len({r[1] for r in rows}))
            rendered.append((tx, rows, cd, cs, cm))
            for r in rows:
                symbol = r[2] if r[2] != "NA" else NA_CHAR
                if symbol not in seen_kw:
                    seen_kw.add(symbol)
                    keywords.append(symbol)
                pairs.append((tx.taxon, r[3]))
        if rendered and rng.random() < self.p_duplicated_block:
            # The real duplicate differs only in count_direct, which the copy has lost.
            tx, rows, _cd, cs, cm = rng.choice(rendered)
            rendered.append((tx, rows, "NA", cs, cm))
        total = 0
        for tx, rows, cd, cs, cm in rendered:
            tail = f"\t{cd}\t{cs}\t{cm}" if eleven else f"\t{cd}\t{cm}"
            prefix = tx.prefix
            lines.extend(prefix + "\t".join(r) + tail for r in rows)
            total += len(rows)
        ner = []
        for tx, _rows in blocks:
            if tx.name not in ner:
                ner.append(tx.name)
        return "\n".join(lines) + "\n", keywords, ner, pairs, total

    # ---- chemicals / diseases ----------------------------------------------------------------

    def entity_table(
        self, model: dict[str, Any], rng: random.Random, kind: str
    ) -> tuple[str, list[str], int]:
        """(TSV text, words in row order, row count) for a chemicals or diseases table."""
        rows: list[tuple[str, ...]] = []
        for _ in range(model["rows"].draw_int(rng)):
            if rows and rng.random() < model["p_duplicate"]:
                rows.append(rng.choice(rows))
            elif rng.random() < model["p_real"]:
                rows.append(model["real"][_draw_index(model["real_cum"], rng)])
            else:
                row = model["universe"][_draw_index(model["universe_cum"], rng)]
                if rng.random() < 0.3 and row[0][:1].islower():
                    row = (row[0][0].upper() + row[0][1:], *row[1:])
                rows.append(row)
        if kind == "chemical" and rng.random() < model["p_old_header"]:
            header = CHEMICALS_HEADER_OLD
            body = [f"{r[0]}\tMESH\t{r[1][5:] if r[1] != 'NA' else 'NA'}" for r in rows]
        else:
            header = CHEMICALS_HEADER if kind == "chemical" else DISEASES_HEADER
            body = ["\t".join(r) for r in rows]
        return (
            "\t".join(header) + "\n" + "".join(line + "\n" for line in body),
            [r[0] for r in rows],
            len(rows),
        )

    # ---- papers and figures ------------------------------------------------------------------

    def _paper_start(self, index: int) -> tuple[random.Random, int, int]:
        """Paper *index*'s generator after drawing its year and its PMC number before de-duplication."""
        a = self.a
        rng = random.Random(f"{self.seed}/paper/{index}")
        lo, hi = a["year_range"]
        jitter = a["year_jitter"]
        year = min(hi, max(lo, rng.choice(self.years) + rng.randint(-jitter, jitter)))
        fit = self.pmc_fit
        log10 = fit["intercept"] + fit["slope"] * year + rng.gauss(0.0, fit["residual_sd"])
        return rng, year, min(99_999_999, max(10_000, round(10**log10)))

    def paper_number(self, index: int, used_pmc: set[int]) -> int:
        """Paper *index*'s PMC number, moved up past numbers earlier papers took (*used_pmc*)."""
        number = self._paper_start(index)[2]
        while number in used_pmc:
            number = number + 1 if number < 99_999_999 else 10_000
        used_pmc.add(number)
        return number

    def paper(self, index: int, number: int) -> _Paper:
        """Paper *index* (PMC *number*, from :meth:`paper_number`): what its figures share."""
        rng, year, _ = self._paper_start(index)
        pmcid = f"PMC{number}"
        ystr = str(year)
        state = self.doi_state.draw(rng)
        journal = rng.choice(self.journals) if state == "present" else None
        doi = (
            _fill_digits(journal["doi_template"], rng, ystr)
            if journal
            else (NA_CHAR if state == "na" else "")
        )
        template = rng.choice(self.reftexts)
        journal_ta = journal["journal_nlm_ta"] if journal else template["journal"]
        author = f"{rng.choice(self.first_names)} {rng.choice(self.last_names)}"
        if template["et_al"] == "True":
            author += ", et al"
        reftext = f"{author}. {journal_ta}. {_fill_digits(template['cite_template'], rng, ystr)}"
        papertitle = self.papertitles.text(rng, rng.choice(self.papertitles.lengths), 400, restart=False)
        if not papertitle.endswith("."):
            papertitle += "."
        keywords = self._keywords(rng)
        return _Paper(
            index=index,
            rng=rng,
            pmcid=pmcid,
            year=ystr,
            doi_state=state,
            journal=journal,
            doi=doi,
            reftext=reftext,
            papertitle=papertitle,
            keywords=keywords,
            stem=rng.choice(self.stems),
            stem_digits=f"{self.seed}/paper/{index}/stem",
            link_digits=f"{self.seed}/paper/{index}/link",
            first_index=rng.choice(self.figure_indexes),
        )

    def _keywords(self, rng: random.Random) -> str | Block:
        state = self.keyword_state.draw(rng)
        if state == "na":
            return NA_CHAR
        if state == "empty":
            return ""
        count = max(1, min(len(self.keyword_terms), rng.choice(self.keyword_counts) + rng.randint(-1, 1)))
        terms = rng.sample(self.keyword_terms, count)
        if rng.random() < self.p_keyword_pipe:
            if self.keyword_pipe_terms and rng.random() < 0.5:
                piped = rng.choice(self.keyword_pipe_terms)
            else:
                human = self.taxa[self.taxon_order[0]]
                a, b = (human.symbols[_draw_index(human.gene_cum, rng)] for _ in range(2))
                piped = f"{rng.choice(self.keyword_terms)} ({a} | {b})"
            terms.insert(rng.randrange(len(terms) + 1), piped)
        text = " | ".join(terms)
        if state == "block":
            # The real block scalar broke one keyword over two lines.
            spaces = [
                i
                for i, c in enumerate(text)
                if c == " " and text[i - 1] not in " |" and text[i + 1] not in " |"
            ]
            if spaces:
                cut = spaces[-1]
                return Block(text[:cut] + "\n" + text[cut + 1 :])
        return text

    def figure(
        self, i: int, paper: _Paper, used_figids: set[str]
    ) -> tuple[str, str, str | None, str | None, str | None, dict[str, Any]]:
        """Record *i* (a figure of *paper*): figid, front matter, genes/chemicals/diseases TSVs, counts."""
        rng = random.Random(f"{self.seed}/record/{i}")
        a = self.a
        # -- identity: figure number, stem, figid
        if paper.figures and rng.random() < self.p_duplicate_number:
            index, suffix = paper.first_index + paper.figures - 1, "b"
        else:
            index, suffix = paper.first_index + paper.figures, ""
        paper.figures += 1
        figtype = self.figtype.draw(rng)
        number = f"{self.number_prefix.get(figtype, 'F')}{index}"
        stem_t = paper.stem
        stem = (
            _fill_indexed(
                stem_t["stem"],
                stem_t["stem_index_run"],
                index,
                random.Random(paper.stem_digits) if stem_t["stem_index_run"] else rng,
            )
            + suffix
        )
        figid = f"{paper.pmcid}__{stem}"
        attempt = 0
        while figid in used_figids:
            attempt += 1
            stem = _fill_indexed(stem_t["stem"], "", index, rng) + (suffix or f"_{attempt}")
            figid = f"{paper.pmcid}__{stem}"
        used_figids.add(figid)
        tail = _fill_indexed(
            stem_t["figlink_tail"],
            stem_t["link_index_run"],
            index,
            random.Random(paper.link_digits) if stem_t["link_index_run"] else rng,
        )
        figlink = (
            f"{'/' if stem_t['leading_slash'] == 'True' else ''}pmc/articles/{paper.pmcid}/figure/{tail}"
        )

        # -- text
        caption: str | list[str]
        if rng.random() < self.p_caption_empty:
            caption = []
        else:
            target = round(self.caption_chars.draw(rng))
            caption = self.captions.text(rng, target, a["caption_chars_range"][1])
        kind = self.title_kind.draw(rng)
        if kind == "caption_first_sentence" and isinstance(caption, str):
            figtitle = re.split(r"(?<=\.)\s", caption, maxsplit=1)[0].rstrip(".")
        elif kind == "papertitle":
            # Real paper titles can end "… Metabolism  ." (spaces before the period); the trailing
            # spaces a title keeps are the separate, rarer oddity below.
            figtitle = paper.papertitle.rstrip(".").rstrip(" ")
        else:
            figtitle = ""
        if not figtitle or len(figtitle) > 300:
            figtitle = self.figtitles.text(
                rng, rng.choice(self.figtitles.lengths), 300, restart=False
            ).rstrip(".")
        if rng.random() < self.p_title_trailing_space:
            figtitle += " "

        # -- organisms (curated) and tables
        if rng.random() < self.p_organisms_na:
            organisms = ["NA"]
        else:
            organisms = _weighted_sample(
                self.organism_names, self.organism_cum, self.organism_lengths.draw_int(rng), rng
            )
            if rng.random() < self.p_organisms_with_na:
                organisms.append("NA")
        combo = self.combos.draw(rng)
        genes_tsv = chem_tsv = dis_tsv = None
        symbols: list[str] = []
        ner = ["NA"]
        counts: dict[str, Any] = {"gene_rows": 0, "gene_pairs": [], "chemical_rows": 0, "disease_rows": 0}
        if "G" in combo:
            genes_tsv, symbols, ner, counts["gene_pairs"], counts["gene_rows"] = self.genes_table(rng)
        entity_words: list[str] = []
        if "C" in combo:
            chem_tsv, words, counts["chemical_rows"] = self.entity_table(self.chem, rng, "chemical")
            entity_words.extend(words)
        if "D" in combo:
            dis_tsv, words, counts["disease_rows"] = self.entity_table(self.dis, rng, "disease")
            entity_words.extend(words)

        # -- schema-jsonld keywords: symbols, sometimes entity words, sometimes out of step
        keywords = list(symbols)
        if keywords and rng.random() < self.p_kw_mismatch:
            if rng.random() < 0.5 and len(keywords) > 2:
                keywords = [k for k in keywords if rng.random() >= 0.25]
            else:
                human = self.taxa[self.taxon_order[0]]
                for _ in range(rng.randint(1, 5)):
                    keywords.insert(
                        rng.randrange(len(keywords) + 1), human.symbols[_draw_index(human.gene_cum, rng)]
                    )
        if entity_words and (not symbols or rng.random() < self.p_kw_entity_words):
            seen = set(keywords)
            for word in entity_words:
                if word not in seen:
                    seen.add(word)
                    keywords.append(word)
        if keywords and rng.random() < self.p_kw_duplicate:
            keywords.append(rng.choice(keywords))

        automl = rng.choice(self.automl) + rng.gauss(0.0, a["automl_bandwidth"])
        automl = round(min(a["automl_range"][1], max(a["automl_range"][0], automl)), 7)
        era = "to_2020" if int(paper.year) <= 2020 else "after_2020"
        ndex = ""
        if rng.random() < self.ndex_share.get(era, 0.0):
            ndex = f"{rng.getrandbits(32):08x}-de{rng.getrandbits(8):02x}-11ea-99da-0ac135e8bacf"
        journal = paper.journal
        meta = NA_CHAR if paper.doi_state == "na" else ""
        alias = f"{paper.pmcid}__{number}"
        fields: dict[str, Any] = {
            "figid": figid,
            "figtitle": figtitle,
            "organisms": organisms,
            "organisms_ner": ner,
            "pmcid": paper.pmcid,
            "filename": f"{stem}.jpg",
            "figlink": figlink,
            "number": number,
            "caption": caption,
            "papertitle": paper.papertitle,
            "reftext": paper.reftext,
            "year": paper.year,
            "doi": paper.doi,
            "journal_title": journal["journal_title"] if journal else meta,
            "journal_nlm_ta": journal["journal_nlm_ta"] if journal else meta,
            "publisher_name": journal["publisher_name"] if journal else meta,
            "keywords": paper.keywords,
            "automl_pathway": automl,
            "figid_alias": alias,
            "figtype": figtype,
            "redirect_from": f"/figures/{alias}",
            "ndex": ndex,
            "seo": "CreativeWork",
            "schema-jsonld": {
                "@context": "https://schema.org/",
                "@id": f"https://pfocr.wikipathways.org/figures/{figid}.html",
                "@type": "Dataset",
                "description": caption,
                "license": "CC0",
                "name": "CreativeWork",
                "creator": {"@type": "Organization", "name": "WikiPathways"},
                "keywords": keywords,
            },
        }
        if rng.random() < self.p_ner_after_figtype:
            ner_value = fields.pop("organisms_ner")
            fields = _insert_after(fields, "figtype", "organisms_ner", ner_value)
        return figid, dump_front_matter(fields), genes_tsv, chem_tsv, dis_tsv, counts


def _new_symbol(base: str | None, templates: Sequence[str], seen: set[str], rng: random.Random) -> str:
    """A gene symbol not in *seen*: *base* if free, else one shaped like a real symbol."""
    candidate = ""
    for _ in range(20):
        candidate = base if base is not None else _reshape(rng.choice(templates), rng)
        base = None
        if candidate not in seen and candidate not in _RESERVED_SYMBOLS:
            seen.add(candidate)
            return candidate
    candidate = f"{candidate}{len(seen)}"
    seen.add(candidate)
    return candidate


def _new_id(templates: Sequence[str], used: set[str], rng: random.Random) -> str:
    """A gene id shaped like a real one (same digit count) that no other gene has."""
    while True:
        candidate = _reshape(rng.choice(templates), rng)
        if candidate not in used:
            used.add(candidate)
            return candidate


def _accumulate(values: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def _weighted_sample(names: Sequence[str], cum: Sequence[float], k: int, rng: random.Random) -> list[str]:
    """*k* distinct names drawn in proportion to their weights (*cum*: cumulative weights).

    Successive draws from the weights, skipping repeats; if that stalls (k near the pool size),
    the rest come in weight order so the call always ends.
    """
    k = min(k, len(names))
    picked: dict[int, None] = {}
    total = cum[-1]
    for _ in range(20 * k + 20):
        if len(picked) >= k:
            break
        picked[min(len(names) - 1, bisect.bisect_right(cum, rng.random() * total))] = None
    if len(picked) < k:
        weight = [cum[j] - (cum[j - 1] if j else 0.0) for j in range(len(names))]
        rest = sorted(set(range(len(names))) - set(picked), key=lambda j: -weight[j])
        for j in rest[: k - len(picked)]:
            picked[j] = None
    return [names[j] for j in picked]


def _fill_indexed(template: str, run: str, index: int, rng: random.Random) -> str:
    """Fill a digit template, putting the figure *index* into digit run *run* (``"-1"`` = last)."""
    filled = _fill_digits(template, rng)
    if run:
        spans = [m.span() for m in re.finditer(r"\d+", filled)]
        start, end = spans[int(run)]
        filled = filled[:start] + str(index).zfill(end - start) + filled[end:]
    return filled


def _insert_after(fields: dict[str, Any], anchor: str, key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fields.items():
        out[k] = v
        if k == anchor:
            out[key] = value
    return out


# =============================================================================================
# Driver
# =============================================================================================


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write(path: Path | str, text: str) -> None:
    # os-level I/O: a text-mode open() per file costs more than the write itself at 250k files.
    fd = os.open(path, _WRITE_FLAGS, 0o644)
    try:
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _plan(model: _Model, n: int) -> list[tuple[int, int, int, int]]:
    """(paper index, first record, figures, PMC number) for records 0..n-1, decided in index order.

    This is the only sequential part of a run: which records share a paper (one draw per record,
    always, so the grouping of record i never depends on n) and PMC-number uniqueness.
    """
    continues = random.Random(f"{model.seed}/papers")
    p_continue = model.a["share_figure_continues_paper"]
    max_figures = model.a["max_figures_per_paper"]
    used_pmc: set[int] = set()
    plan: list[list[int]] = []
    for i in range(n):
        new_paper = continues.random() >= p_continue
        if not plan or new_paper or plan[-1][2] >= max_figures:
            plan.append([len(plan), i, 0, model.paper_number(len(plan), used_pmc)])
        plan[-1][2] += 1
    return [(p, first, count, number) for p, first, count, number in plan]


def _write_records(model: _Model, out: Path, plan: Sequence[tuple[int, int, int, int]]) -> dict[str, Any]:
    """Write the records of the papers in *plan*; return counts and the (taxon, gene id) pairs seen."""
    figures_dir, data_dir = out / "_figures", out / "_data"
    totals: Counter[str] = Counter()
    genes_seen: set[tuple[str, str]] = set()
    for index, first, count, number in plan:
        paper = model.paper(index, number)
        used_figids: set[str] = set()  # PMC numbers are unique, so figids only clash within a paper
        for i in range(first, first + count):
            figid, md, genes_tsv, chem_tsv, dis_tsv, counts = model.figure(i, paper, used_figids)
            _write(figures_dir / f"{figid}.md", md)
            if genes_tsv is not None:
                _write(data_dir / f"{figid}-genes.tsv", genes_tsv)
                totals["genes_tables"] += 1
                genes_seen.update(p for p in counts["gene_pairs"] if p[1] != "NaN")
            if chem_tsv is not None:
                _write(data_dir / f"{figid}-chemicals.tsv", chem_tsv)
                totals["chemicals_tables"] += 1
            if dis_tsv is not None:
                _write(data_dir / f"{figid}-diseases.tsv", dis_tsv)
                totals["diseases_tables"] += 1
            totals["gene_rows"] += counts["gene_rows"]
            totals["chemical_rows"] += counts["chemical_rows"]
            totals["disease_rows"] += counts["disease_rows"]
    return {"totals": totals, "genes": genes_seen}


#: The model a forked worker inherits (set just before the pool forks; never pickled).
_FORK_MODEL: _Model | None = None


def _fork_worker(job: tuple[Path, list[tuple[int, int, int, int]]]) -> dict[str, Any]:
    assert _FORK_MODEL is not None
    return _write_records(_FORK_MODEL, *job)


def _split(plan: list[tuple[int, int, int, int]], parts: int) -> list[list[tuple[int, int, int, int]]]:
    """*plan* cut at paper boundaries into *parts* runs of about equal record counts."""
    total = sum(p[2] for p in plan)
    chunks: list[list[tuple[int, int, int, int]]] = [[]]
    done = 0
    for entry in plan:
        if done >= total * len(chunks) / parts and len(chunks) < parts:
            chunks.append([])
        chunks[-1].append(entry)
        done += entry[2]
    return [c for c in chunks if c]


def synthesize(
    n: int,
    out: Path,
    seed: int = 0,
    profile: dict[str, Any] | None = None,
    workers: int | None = None,
) -> SynthStats:
    """Write *n* synthetic PFOCR records under *out* in the source layout; return what was written.

    *out* must be missing or empty (so a tree is always exactly one run's output). The bytes
    written depend only on (n, seed, profile): not on *workers* (default: one process per CPU for
    large runs, forked where the platform allows), and record *i* does not depend on *n*.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"output path {out} exists and is not an empty directory")
    model = _Model(profile if profile is not None else load_profile(), seed)
    for directory in (out / "_figures", out / "_data", out / "_organisms"):
        directory.mkdir(parents=True, exist_ok=True)
    for name, text in model.organism_pages.items():
        _write(out / "_organisms" / name, text)

    plan = _plan(model, n)
    if workers is None:
        workers = (os.cpu_count() or 1) if n >= 2000 else 1
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if workers > 1 and can_fork and len(plan) > 1:
        global _FORK_MODEL
        _FORK_MODEL = model
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_fork_worker, [(out, chunk) for chunk in _split(plan, workers)])
        finally:
            _FORK_MODEL = None
    else:
        results = [_write_records(model, out, plan)]
    totals: Counter[str] = Counter()
    genes_seen: set[tuple[str, str]] = set()
    for result in results:
        totals.update(result["totals"])
        genes_seen |= result["genes"]
    return SynthStats(
        records=n,
        genes_tables=totals["genes_tables"],
        chemicals_tables=totals["chemicals_tables"],
        diseases_tables=totals["diseases_tables"],
        gene_rows=totals["gene_rows"],
        distinct_genes=len(genes_seen),
        chemical_rows=totals["chemical_rows"],
        disease_rows=totals["disease_rows"],
        papers=len(plan),
        organism_pages=len(model.organism_pages),
        seconds=round(time.perf_counter() - started, 3),
    )


@dataclass
class CorpusUpdate:
    """What :func:`update_corpus` did, by figid."""

    retitled: list[str]
    relabelled: list[str]
    removed: list[str]
    added: list[str]

    @property
    def touched(self) -> int:
        return len(self.retitled) + len(self.relabelled) + len(self.removed) + len(self.added)


def update_corpus(corpus: Path | str, share: float, seed: int = 0) -> CorpusUpdate:
    """Apply a synthetic monthly update to a corpus in place: ``share`` of its records touched.

    A quarter each: titles corrected, a gene symbol renamed in the genes table (which moves the
    release-wide label vote for that gene), records removed (with their tables), and records added
    (copies of existing ones under a new figid). Deterministic for (corpus, share, seed).
    """
    folder = Path(corpus)
    records = sorted((folder / "_figures").glob("*.md"))
    rng = random.Random(f"update-{seed}")
    count = max(4, round(share * len(records)))
    chosen = rng.sample(records, min(count, len(records)))
    quarter = max(1, len(chosen) // 4)
    groups = [chosen[:quarter], chosen[quarter : 2 * quarter], chosen[2 * quarter : 3 * quarter]]
    update = CorpusUpdate([], [], [], [])
    for path in groups[0]:
        text = path.read_text(encoding="utf-8")
        _, head, body = text.split("---\n", 2)
        fields = yaml.safe_load(head)
        fields["figtitle"] = f"Corrected {fields.get('figtitle') or ''}".strip()
        path.write_text(dump_front_matter(fields) + body, encoding="utf-8")  # still valid YAML
        update.retitled.append(path.stem)
    for path in groups[1]:
        genes = folder / "_data" / f"{path.stem}-genes.tsv"
        if not genes.is_file():
            continue
        lines = genes.read_text(encoding="utf-8").split("\n")
        header = lines[0].split("\t")
        if "ncbigene_symbol" not in header or len(lines) < 3:
            continue
        column = header.index("ncbigene_symbol")
        cells = lines[1].split("\t")
        cells[column] = cells[column] + "-RENAMED"
        lines[1] = "\t".join(cells)
        genes.write_text("\n".join(lines), encoding="utf-8")
        update.relabelled.append(path.stem)
    for path in groups[2]:
        path.unlink()
        for kind in ("genes", "chemicals", "diseases"):
            (folder / "_data" / f"{path.stem}-{kind}.tsv").unlink(missing_ok=True)
        update.removed.append(path.stem)
    for path in chosen[3 * quarter : 4 * quarter] or chosen[:1]:
        if not path.exists():
            continue
        new = f"{path.stem}-update{seed}"
        text = path.read_text(encoding="utf-8")
        (path.parent / f"{new}.md").write_text(
            text.replace(f"figid: {path.stem}\n", f"figid: {new}\n", 1), encoding="utf-8"
        )
        for kind in ("genes", "chemicals", "diseases"):
            table = folder / "_data" / f"{path.stem}-{kind}.tsv"
            if table.is_file():
                (folder / "_data" / f"{new}-{kind}.tsv").write_bytes(table.read_bytes())
        update.added.append(new)
    return update


@click.command("synth")
@click.argument("n", type=click.IntRange(min=0), metavar="N")
@click.option(
    "--out",
    "out",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (missing or empty).",
)
@click.option("--seed", default=0, show_default=True, metavar="S", type=int, help="Random seed.")
def synth_command(n: int, out: Path, seed: int) -> None:
    """Write N synthetic PFOCR records (_figures, _data, _organisms) to DIR, deterministic for S."""
    try:
        stats = synthesize(n, out, seed)
    except FileExistsError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(json.dumps(asdict(stats), indent=1))


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m pfocr_ld.synth --profile SAMPLE_DIR [--write PATH]``: regenerate the profile."""
    parser = argparse.ArgumentParser(
        prog="python -m pfocr_ld.synth",
        description="Measure a PFOCR sample into the profile that `pfocr-ld synth` draws from.",
    )
    parser.add_argument(
        "--profile",
        required=True,
        type=Path,
        metavar="SAMPLE_DIR",
        help="PFOCR sample checkout (with _figures/, _data/, _organisms/)",
    )
    parser.add_argument(
        "--write",
        type=Path,
        default=PROFILE_PATH,
        metavar="PATH",
        help=f"where to write the profile (default: {PROFILE_PATH})",
    )
    args = parser.parse_args(argv)
    path = write_profile(args.profile, args.write)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
