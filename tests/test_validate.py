"""`cli.py validate` fails, naming the mutant, when a mutant is not caught the way its header says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

HARMLESS = '''"""relu written another way: breaks nothing, so no grader can catch it."""

import numpy as np

MODULE = "neural_network"
BREAKS = "relu"
HINT = "in place"


def relu(Z):
    return np.maximum(Z, 0)
'''


def kit_with_mutants(dest: Path, mutants: dict[str, str]) -> Path:
    """A copy of the kit whose graders/mutants/ holds only `mutants` (file name -> source)."""
    for name in ("reference", "exercises", "graders", "notes"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "course.yaml", dest / "course.yaml")
    shutil.rmtree(dest / "graders" / "mutants")
    (dest / "graders" / "mutants").mkdir()
    for name, source in mutants.items():
        (dest / "graders" / "mutants" / name).write_text(source)
    return dest / "course.yaml"


def test_validate_fails_on_an_uncaught_mutant_and_a_wrong_hint(tmp_path):
    wrong_hint = (ROOT / "graders" / "mutants" / "relu_in_place.py").read_text().replace(
        'HINT = "in place"', 'HINT = "kernel not flipped"')
    course = kit_with_mutants(tmp_path, {"relu_harmless.py": HARMLESS, "relu_wrong_hint.py": wrong_hint,
                                         "relu_in_place.py": (ROOT / "graders/mutants/relu_in_place.py").read_text()})
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "validate", "--course", str(course)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout
    assert "Traceback" not in proc.stderr
    assert "2 grader check(s) failed" in proc.stderr
    assert "relu_harmless" in proc.stderr and "relu_wrong_hint" in proc.stderr
    assert "ok   mutant relu_in_place" in proc.stdout
    assert "ok   reference scores 100/100 on part-4.2" in proc.stdout


def test_an_uncaught_mutant_shows_the_feedback_it_got(tmp_path):
    course = kit_with_mutants(tmp_path, {"relu_harmless.py": HARMLESS})
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "validate", "--course", str(course)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout
    lines = proc.stdout.splitlines()
    fail = next(i for i, line in enumerate(lines) if line.startswith("FAIL mutant relu_harmless"))
    shown = [line for line in lines[fail + 1:] if line.startswith("     |")]
    assert any("**Score: 100 / 100**" in line for line in shown), proc.stdout
    assert any("| relu | 3 / 3 | done |" in line for line in shown), proc.stdout
