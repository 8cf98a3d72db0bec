"""The ``pfocr-ld`` command line: one click group, one sub-command per capability.

Each sub-command lives beside the stage it drives (``build`` in :mod:`pfocr_ld.build`, ``validate``
in :mod:`pfocr_ld.validation`, …) and is registered here; this module only wires them together and
maps errors to exit statuses: 0 success, 1 a finding (rejected records, violations), 2 a usage error
or unreadable input (click's own convention for usage errors).
"""

from __future__ import annotations

import importlib

import click

from pfocr_ld import __version__
from pfocr_ld.errors import PfocrLdError

#: (module, attribute) of every sub-command; imported lazily so ``pfocr-ld --help`` stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("pfocr_ld.build", "build_command"),
    "load": ("pfocr_ld.store_commands", "load_command"),
    "query": ("pfocr_ld.query", "query_command"),
    "publish": ("pfocr_ld.store_commands", "publish_command"),
    "validate": ("pfocr_ld.validate_files", "validate_command"),
    "check-jsonld": ("pfocr_ld.check_jsonld", "check_jsonld_command"),
    "serve": ("pfocr_ld.serve", "serve_command"),
    "synth": ("pfocr_ld.synth", "synth_command"),
    "update-site": ("pfocr_ld.site", "update_site_command"),
    "enrich": ("pfocr_ld.enrichment", "enrich_command"),
}


#: exit status of an unexpected failure: the input (or the way it was given) is what the command
#: could not handle, like an unreadable file; 1 is kept for findings (rejected records, violations).
UNEXPECTED_EXIT = 2


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command runs.

    It is also the one place where errors become exit statuses: a library error
    (:class:`~pfocr_ld.errors.PfocrLdError`) becomes click's one-line message with the error's
    ``exit_code``, and an unexpected error of any sub-command one line naming the command and its
    input (exit status 2) instead of a traceback.
    """

    def invoke(self, ctx: click.Context) -> object:
        # the sub-command's name and arguments (click ≥ 8.2 keeps the name in _protected_args)
        protected = vars(ctx).get("_protected_args", vars(ctx).get("protected_args", []))
        given = [*protected, *ctx.args]
        try:
            return super().invoke(ctx)
        except PfocrLdError as error:  # the library's errors carry their exit status (errors.py)
            failure = click.ClickException(_one_line(error.message, 1000))
            failure.exit_code = error.exit_code
            raise failure from error
        except click.exceptions.ClickException as error:
            error.message = _one_line(error.message, 1000)  # e.g. a parser's multi-line message
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:  # the one place that turns any failure into a line
            command = given[0] if given else "pfocr-ld"
            where = getattr(error, "filename", None) or " ".join(given[1:]) or "(no input)"
            detail = _one_line(str(error)) or "no detail"
            click.echo(f"pfocr-ld {command}: error: {where}: {type(error).__name__}: {detail}", err=True)
            ctx.exit(UNEXPECTED_EXIT)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pfocr-ld")
def main() -> None:
    """Publish Pathway Figure OCR records as linked data."""


if __name__ == "__main__":  # pragma: no cover
    main()
