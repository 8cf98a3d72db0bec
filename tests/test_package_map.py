"""The package docstring's data-flow map names every module of the package, and only those."""

from __future__ import annotations

import pkgutil
import re

import pfocr_ld


def test_the_package_docstring_names_every_module() -> None:
    named = set(re.findall(r":mod:`~pfocr_ld\.(\w+)`", pfocr_ld.__doc__ or ""))
    modules = {module.name for module in pkgutil.iter_modules(pfocr_ld.__path__)}
    assert modules - named == set(), "modules the package docstring does not place in the data flow"
    assert named - modules == set(), "names in the package docstring that are no module"


def test_every_module_says_what_it_owns() -> None:
    for module in pkgutil.walk_packages(pfocr_ld.__path__, "pfocr_ld."):
        if module.name.endswith("__main__"):
            continue
        imported = __import__(module.name, fromlist=["_"])
        assert (imported.__doc__ or "").strip(), f"{module.name} has no docstring"
