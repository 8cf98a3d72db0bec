"""Synthetic PFOCR corpora in the source layout: ``pfocr-ld synth N --out DIR [--seed S]``.

This package owns three things:

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

The package, by role: :mod:`~pfocr_ld.synth.layout` (headers, field order), :mod:`~pfocr_ld.synth.profile`
(the profiler), :mod:`~pfocr_ld.synth.emitter` (the YAML emitter), :mod:`~pfocr_ld.synth.samplers`
(random draws), :mod:`~pfocr_ld.synth.model` (the generative model), :mod:`~pfocr_ld.synth.writer`
(:func:`synthesize`, :func:`update_corpus`) and :mod:`~pfocr_ld.synth.cli` (the commands).
"""

from __future__ import annotations

from pfocr_ld.synth.cli import synth_command
from pfocr_ld.synth.emitter import Block, dump_front_matter
from pfocr_ld.synth.layout import (
    CHEMICALS_HEADER,
    CHEMICALS_HEADER_OLD,
    DISEASES_HEADER,
    FAMPLEX,
    FIELD_ORDER,
    GENES_HEADER_10,
    GENES_HEADER_11,
    NA_CHAR,
    SYMBOL,
    SYNONYM,
)
from pfocr_ld.synth.profile import (
    ASSUMPTIONS,
    PROFILE_PATH,
    PROFILE_VERSION,
    load_profile,
    profile_sample,
    write_profile,
)
from pfocr_ld.synth.writer import CorpusUpdate, SynthStats, synthesize, update_corpus

__all__ = [
    "ASSUMPTIONS",
    "CHEMICALS_HEADER",
    "CHEMICALS_HEADER_OLD",
    "DISEASES_HEADER",
    "FAMPLEX",
    "FIELD_ORDER",
    "GENES_HEADER_10",
    "GENES_HEADER_11",
    "NA_CHAR",
    "PROFILE_PATH",
    "PROFILE_VERSION",
    "SYMBOL",
    "SYNONYM",
    "Block",
    "CorpusUpdate",
    "SynthStats",
    "dump_front_matter",
    "load_profile",
    "profile_sample",
    "synth_command",
    "synthesize",
    "update_corpus",
    "write_profile",
]
