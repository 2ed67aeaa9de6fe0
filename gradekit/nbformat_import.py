"""nbformat, imported without the one slow part of its import that it never uses."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

SLOW_UNUSED = "rfc3987_syntax"  # jsonschema's checker of the "iri" formats: it builds a grammar on import (~0.9 s)


def imported() -> ModuleType:
    """The nbformat module.

    nbformat validates notebooks with jsonschema, which checks the "iri" formats with rfc3987-syntax where
    that is installed (nbgrader's Jupyter dependencies install it); nbformat's schemas (draft 4) have no such
    format. Importing jsonschema without it here takes a second off grading or releasing notebooks.
    """
    if "nbformat" not in sys.modules and "jsonschema" not in sys.modules and SLOW_UNUSED not in sys.modules:
        sys.modules[SLOW_UNUSED] = None  # an import of it fails, as if it were not installed
        try:
            return importlib.import_module("nbformat")
        finally:
            del sys.modules[SLOW_UNUSED]  # later imports of it work as usual
    return importlib.import_module("nbformat")
