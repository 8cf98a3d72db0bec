"""The profiler: :func:`profile_sample` measures the real sample into ``pfocr_ld/data/synth_profile.json``.

Everything the generator draws from is in that file: histograms, shares, and pools of real rows.
The few knobs the sample cannot measure are in :data:`ASSUMPTIONS`. Records are read with the
build's own front-matter reader (:func:`pfocr_ld.records.split_front_matter` and
:func:`pfocr_ld.records.load_yaml`), so the profile sees each value as the build does.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pfocr_ld import records, resources
from pfocr_ld.synth.layout import _SOURCE_CODE, CHEMICALS_HEADER, DISEASES_HEADER, NA_CHAR, SYNONYM

PROFILE_PATH = resources.DATA_DIR / "synth_profile.json"
PROFILE_VERSION = 1


def _front_matter(path: Path) -> dict[str, Any]:
    """A record's front matter, read as the build reads it (fences, YAML schema and limits)."""
    fields: dict[str, Any] = records.load_yaml(records.split_front_matter(path.read_text(encoding="utf-8")))
    return fields


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
