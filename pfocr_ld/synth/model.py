"""The generative model: :class:`_Model` turns a profile and a seed into records, one index at a time.

It holds every sampler a record needs, built once per (profile, seed): the gene universe and its
tables, the chemical and disease tables, papers (shared by figures) and the figure front matter.
The class is long (about 630 lines) because it is one set of samplers sharing their state; its
methods are each one part of a record.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pfocr_ld.synth.emitter import Block, dump_front_matter
from pfocr_ld.synth.layout import (
    _CODE_SOURCE,
    _RESERVED_SYMBOLS,
    CHEMICALS_HEADER,
    CHEMICALS_HEADER_OLD,
    DISEASES_HEADER,
    FAMPLEX,
    GENES_HEADER_10,
    GENES_HEADER_11,
    NA_CHAR,
    SYMBOL,
    SYNONYM,
)
from pfocr_ld.synth.profile import PROFILE_VERSION
from pfocr_ld.synth.samplers import (
    _DIGITS,
    _accumulate,
    _Bootstrap,
    _Categorical,
    _draw_index,
    _fill_digits,
    _fill_indexed,
    _Markov,
    _new_id,
    _new_symbol,
    _reshape,
    _succession,
    _weighted_sample,
    _zipf_cum,
)


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
                real_groups.append((group["word"], rows))
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
            universe.extend(tuple(x) for x in a["boolean_lookalike_chemicals"])
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
        header: tuple[str, ...]  # the old chemicals header has three columns, the others five
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


def _insert_after(fields: dict[str, Any], anchor: str, key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fields.items():
        out[k] = v
        if k == anchor:
            out[key] = value
    return out
