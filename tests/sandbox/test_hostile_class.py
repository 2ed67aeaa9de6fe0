"""A class with hostile members graded through the CLI by one warm sandbox: every honest member
graded after them scores exactly as when graded alone."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from gradekit.sandbox import isolation

ROOT = Path(__file__).resolve().parents[2]
BLOG = ROOT / "samples" / "blog_solution"
ATTACKS = ["unremovable_folder", "plant_module", "kill_everything", "kernel_objects", "traces", "kill_parent"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap")]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def hostile(name: str, folder: Path) -> None:
    source = (ROOT / "tests" / "sandbox" / "hostile" / f"{name}.py").read_text()
    values = {"MARKER": f"gk-class-{uuid.uuid4().hex[:12]}", "REPO": str(ROOT), "SENTINEL": str(folder / "S"),
              "REPO_SENTINEL": str(folder / "R")}
    for key, value in values.items():
        source = source.replace(f"@{key}@", value)
    folder.mkdir()
    (folder / "neural_network.py").write_text(source)
    shutil.copy(BLOG / "conv_exercises.py", folder)


def scores(gradebook: Path) -> dict[str, str]:
    with gradebook.open(newline="") as fh:
        return {row["student"]: row["score"] for row in csv.DictReader(fh)}


def test_honest_classmates_after_hostile_ones_score_as_alone(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    for i, attack in enumerate(ATTACKS):  # each attack, then an honest classmate, through one zygote (-j 1)
        hostile(attack, klass / f"{i:02d}a_{attack}")
        shutil.copytree(BLOG, klass / f"{i:02d}b_honest")
    graded = cli("grade", str(klass), "--out", str(tmp_path / "out"), "-j", "1", "--seed", "3")
    assert graded.returncode == 0, graded.stderr
    alone = cli("grade", str(BLOG), "--out", str(tmp_path / "alone"), "--seed", "3")
    assert alone.returncode == 0, alone.stderr
    full = (tmp_path / "alone" / "results.json").read_text()
    expected = json.loads(full)["score"]
    class_scores = scores(tmp_path / "out" / "gradebook.csv")
    honest = {name: score for name, score in class_scores.items() if name.endswith("_honest")}
    assert len(honest) == len(ATTACKS)
    assert {float(s) for s in honest.values()} == {expected}, honest
