"""SciPy's light import (runner/import_hooks.py): the same functions, backends table and docstring text, without
re-parsing each docstring; in the grader and in every warm sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from gradekit.course import Limits
from gradekit.sandbox import isolation
from gradekit.sandbox.runner import import_hooks
from gradekit.sandbox.pool import warm_sandbox
from gradekit.sandbox.worker import Worker

SURVEY = """
import json, sys
{install}
import scipy.signal
from scipy._lib import _array_api
doc = scipy.signal.convolve2d.__doc__
print(json.dumps({{"doc_class": _array_api.FunctionDoc.__name__, "summary": doc.splitlines()[0],
                  "note": "dev-arrayapi" in doc,
                  "backends": repr(_array_api.xp_capabilities_table[scipy.signal.convolve2d])}}))
"""
INSTALL = "from gradekit.sandbox.runner import import_hooks; import_hooks.light_scipy()"


def survey(install: str) -> dict:
    out = subprocess.run([sys.executable, "-c", SURVEY.format(install=install)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_scipy_imported_light_keeps_its_docstrings_and_backends_table():
    plain, light = survey(""), survey(INSTALL)
    assert (plain["doc_class"], light["doc_class"]) == ("FunctionDoc", "DocWithNotes")
    assert light["summary"] == plain["summary"] == "Convolve two 2-dimensional arrays."
    assert light["note"] and plain["note"]  # the backends table is in the docstring, as scipy puts it
    assert light["backends"] == plain["backends"]


def test_the_grader_imports_the_references_scipy_light():
    root = Path(__file__).resolve().parents[2]
    light = survey("from pathlib import Path; from gradekit.grade.proxies import load_reference; "
                   f"load_reference(Path({str(root / 'reference')!r}), ['neural_network'], {{}}, needed=None)")
    assert light["doc_class"] == "DocWithNotes"


STATS_SURVEY = """
import json, sys
{install}
import numpy as np
import scipy.signal
loaded = "scipy.stats" in sys.modules
peaks = scipy.signal.find_peaks_cwt(np.sin(np.linspace(0, 20, 200)), np.arange(1, 10)).tolist()
import scipy.stats
print(json.dumps({{"loaded_with_signal": loaded, "peaks": peaks, "median": float(scipy.stats.scoreatpercentile(
    [1, 2, 3, 4], 50)), "real": scipy.stats.scoreatpercentile.__module__, "cdf": float(scipy.stats.norm.cdf(0))}}))
"""


def test_scipy_signal_imported_light_loads_scipy_stats_only_when_asked():
    plain, light = (json.loads(subprocess.run([sys.executable, "-c", STATS_SURVEY.format(install=install)],
                                              capture_output=True, text=True, check=True).stdout)
                    for install in ("", INSTALL))
    assert plain.pop("loaded_with_signal") and not light.pop("loaded_with_signal")
    assert light == plain  # find_peaks_cwt (scoreatpercentile within it) and scipy.stats itself, as ever


def test_any_other_name_asked_of_the_stand_in_is_the_real_scipy_stats():
    probe = ("import sys; from gradekit.sandbox.runner import import_hooks; "
             "stand_in = sys.modules['scipy.stats'] = import_hooks._stats_stand_in(); norm = stand_in.norm; "
             "import scipy.stats; print(norm is scipy.stats.norm, scipy.stats is not stand_in)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]  # it stepped aside for SciPy's own


def test_the_hook_changes_nothing_once_scipy_is_imported():
    light = survey("import scipy.signal; " + INSTALL)
    assert light["doc_class"] == "FunctionDoc"


@pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap with namespaces")
def test_a_warm_sandbox_imports_scipy_light(tmp_path):
    limits = Limits(call_timeout_s=30)
    with warm_sandbox(limits) as zygote:
        folder = zygote.workdir / f"scipy-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        (folder / "probe.py").write_text("import sys\n\ndef doc_class():\n"
                                         "    return sys.modules['scipy._lib._array_api'].FunctionDoc.__name__\n\n"
                                         "def stats():\n    warm = 'scipy.stats' in sys.modules\n"
                                         "    import scipy.stats\n    return warm, float(scipy.stats.norm.cdf(0))\n")
        with Worker(folder, ["probe"], limits, zygote=zygote) as worker:
            result, stats = worker.call("probe", "doc_class", (), {}), worker.call("probe", "stats", (), {})
    assert result.error is None, result.error
    assert result.value == "DocWithNotes"
    assert stats.value == (False, 0.5)  # scipy.stats is not among the warm imports, and imports as ever


def test_the_stand_in_for_numpydoc_takes_what_another_scipy_might_ask_without_failing():
    def documented():
        """Sum two arrays.

        Parameters
        ----------
        a : array_like
        """

    doc = import_hooks.DocWithNotes(documented, role="func", config={})
    doc["Notes"].append("A note.")
    doc["Parameters"].append("ignored")
    assert str(doc).split("\n", 1)[1].startswith("Sum two arrays.") and str(doc).endswith("A note.")


def test_a_module_is_patched_once_imported_or_at_once_if_it_is(tmp_path, monkeypatch):
    (tmp_path / "later_module.py").write_text("value = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    patched = []
    import_hooks.after_import("later_module", patched.append)
    import_hooks.after_import("later_module", patched.append)  # the same patch, once
    import_hooks.after_import("later_module", lambda module: patched.append("another patch"))
    assert patched == []
    import later_module

    assert sorted(patched, key=str) == sorted([later_module, "another patch"], key=str)
    patched.remove("another patch")
    import_hooks.after_import("later_module", patched.append)
    assert patched == [later_module, later_module]
    monkeypatch.delitem(sys.modules, "later_module")
