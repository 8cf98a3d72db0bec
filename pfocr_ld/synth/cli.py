"""``pfocr-ld synth N --out DIR`` and ``python -m pfocr_ld.synth --profile DIR`` (rewrite the profile)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import click

from pfocr_ld.synth.profile import PROFILE_PATH, write_profile
from pfocr_ld.synth.writer import synthesize


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
