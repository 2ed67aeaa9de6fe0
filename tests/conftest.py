"""Shared fixtures: the kit's root, its course, and its content modules loaded under distinct names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from gradekit.course import Course, load_course

ROOT = Path(__file__).resolve().parents[1]
# Content modules import each other by plain name; both reference/ and exercises/ define them.
SIBLINGS = ("neural_network", "mnist_data")


def load_module(path: Path, name: str) -> ModuleType:
    """Import the file at `path` as module `name`, its plain imports of SIBLINGS resolved from its own folder.

    sys.modules keeps no SIBLINGS entry afterwards, so reference and handout copies never mix.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    saved = {sibling: sys.modules.pop(sibling) for sibling in SIBLINGS if sibling in sys.modules}
    sys.path.insert(0, str(path.parent))
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(str(path.parent))
        for sibling in SIBLINGS:
            sys.modules.pop(sibling, None)
        sys.modules.update(saved)
    return module


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT / "course.yaml")


@pytest.fixture(scope="session")
def nn() -> ModuleType:
    """reference/neural_network.py"""
    return load_module(ROOT / "reference" / "neural_network.py", "reference_neural_network")


@pytest.fixture(scope="session")
def conv_exercises() -> ModuleType:
    """reference/conv_exercises.py (with its own neural_network and mnist_data)"""
    return load_module(ROOT / "reference" / "conv_exercises.py", "reference_conv_exercises")


@pytest.fixture(scope="session")
def mnist_data() -> ModuleType:
    """reference/mnist_data.py"""
    return load_module(ROOT / "reference" / "mnist_data.py", "reference_mnist_data")
