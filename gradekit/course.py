"""The course model: course.yaml parsed, validated and explained.

Errors name the key, the line and the fix; unknown keys get a close-match suggestion.
"""

from __future__ import annotations

import ast
import difflib
import functools
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gradekit.errors import KitError, not_utf8
from gradekit.fsio import file_version
from gradekit.layout import COURSE_FILE, REFERENCE, KitPaths

MOST_EXTENSION_DAYS = 3650  # a student's extension, in days
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(Strict):
    """Per-call and per-worker limits for student code."""

    call_timeout_s: float = Field(10.0, gt=0, le=600)
    memory_mb: int = Field(1024, ge=256, le=16384)
    cpu_s: int = Field(120, ge=1, le=3600)
    file_size_mb: int = Field(16, ge=1, le=1024)
    processes: int = Field(64, ge=1, le=4096)
    output_kb: int = Field(64, ge=1, le=10240)


class LatePolicy(Strict):
    """Penalty as a fraction of the maximum score per started day late."""

    grace_minutes: int = Field(0, ge=0)
    penalty_per_day: float = Field(0.1, ge=0, le=1)
    max_days_late: int = Field(7, ge=0)


OptionValue = str | int | float | bool
Options = dict[str, OptionValue]


class Part(Strict):
    """One graded function or exercise; its graders' docstrings start with `<part>:`.

    `module` is the file (without .py) that defines the function: when course.yaml leaves it out,
    the assignment's only file, else the reference file that defines it. `options` are settings
    the part's graders read (the `option` fixture), over the assignment's and the course's.
    """

    points: float = Field(gt=0)
    module: str | None = None
    visibility: Visibility = "visible"
    public: bool = False
    options: Options = {}


class Dataset(Strict):
    """A dataset served offline to student code (`fetch_openml(<name>, ..., as_frame=False)` in the sandbox).

    `file` is a .npz (a path from course.yaml's folder) holding the array `data` (one row per sample)
    and the array `target` (one label per row) under the key names given here.
    """

    file: str
    data: str = "data"
    target: str = "target"


class Assignment(Strict):
    """What students hand in (`files`), the parts graded in them, and the grader files that grade them.

    `graders` are file names (or patterns) under graders/, every test_*.py when left out; `notes`
    are Markdown files (paths from course.yaml's folder) the handout shows, with the parts' options.
    `also_accepted` are file patterns (`ex_*.py`) a submission may hold instead of `files`: such a
    submission is graded, not "no-submission" (its graders say what they make of those files).
    `extensions` are extra days per student (by name or LMS id): each moves that student's due date.
    """

    title: str
    due: datetime | None = None
    files: list[str] = Field(min_length=1)
    also_accepted: list[str] = []
    provided: list[str] = []
    parts: dict[str, Part]
    graders: list[str] = []
    notes: list[str] = []
    options: Options = {}
    limits: Limits | None = None
    late_policy: LatePolicy | None = None
    extensions: dict[str, Annotated[float, Field(ge=0, le=MOST_EXTENSION_DAYS)]] = {}

    @field_validator("extensions", mode="before")
    @classmethod
    def _names_as_text(cls, extensions: object) -> object:
        """A student listed by a numeric id (`1001: 3`) is listed by that id's text."""
        return {str(k): v for k, v in extensions.items()} if isinstance(extensions, dict) else extensions

    @field_validator("parts")
    @classmethod
    def _some_parts(cls, parts: dict[str, Part]) -> dict[str, Part]:
        if not parts:
            raise ValueError("an assignment needs at least one part")
        return parts

    @property
    def max_score(self) -> float:
        return round(sum(p.points for p in self.parts.values()), 2)

    @property
    def modules(self) -> list[str]:
        """The modules the assignment's files define, as the worker imports them."""
        return sorted({Path(name).stem for name in self.files if name.endswith(".py")}
                      | {p.module for p in self.parts.values() if p.module})

    def module_of(self, part: str) -> str:
        """The module (file stem) in which the function of `part` is written."""
        module = self.parts[part].module
        if module is None:
            raise KitError(f"no module known for part '{part}'", path=COURSE_FILE,
                           fix=f"add `module: <file without .py>` to the part '{part}'")
        return module

    def public_only(self) -> "Assignment":
        """The assignment reduced to its public parts (what `check` runs)."""
        return self.model_copy(update={"parts": {k: v for k, v in self.parts.items() if v.public}})


class Course(Strict):
    """course.yaml: the course's assignments and the settings they share (see README's "Course authors")."""

    course: str
    version: str
    default_assignment: str
    options: Options = {}
    environment: dict[str, str] = {}
    datasets: dict[str, Dataset] = {}
    limits: Limits = Limits()
    late_policy: LatePolicy = LatePolicy()
    assignments: dict[str, Assignment]

    @field_validator("datasets", mode="before")
    @classmethod
    def _file_alone(cls, datasets: object) -> object:
        """`name: path.npz` is short for `name: {file: path.npz}`."""
        if isinstance(datasets, dict):
            return {k: {"file": v} if isinstance(v, str) else v for k, v in datasets.items()}
        return datasets

    @model_validator(mode="after")
    def _default_exists(self) -> "Course":
        if self.default_assignment not in self.assignments:
            raise ValueError(
                f"default_assignment '{self.default_assignment}' is not one of the assignments "
                f"({', '.join(self.assignments)})"
            )
        return self

    def assignment(self, name: str | None) -> Assignment:
        """The named assignment (the default one when name is None)."""
        key = name or self.default_assignment
        if key not in self.assignments:
            raise KitError(
                f"no assignment '{key}' in course.yaml",
                fix=f"use one of: {', '.join(self.assignments)}",
            )
        return self.assignments[key]

    def limits_for(self, assignment: Assignment) -> Limits:
        return assignment.limits or self.limits

    def late_policy_for(self, assignment: Assignment) -> LatePolicy:
        return assignment.late_policy or self.late_policy

    def options_for(self, assignment: Assignment, part: str) -> Options:
        """The settings a part's graders read: the part's own over its assignment's over the course's."""
        own = assignment.parts[part].options if part in assignment.parts else {}
        return {**self.options, **assignment.options, **own}

    def owners(self, part: str) -> list[str]:
        """The assignments that grade a part of this name (part names are scoped per assignment)."""
        return [key for key, a in self.assignments.items() if part in a.parts]

    @property
    def submitted_files(self) -> set[str]:
        """Every file some assignment asks students to hand in."""
        return {name for a in self.assignments.values() for name in a.files}


def open_course(course_file: Path, *, content: bool = True) -> tuple[KitPaths, Course]:
    """The kit's paths and course; with `content`, reference/ and graders/ must be beside course.yaml."""
    paths = KitPaths.find(course_file)
    course = load_course(course_file)
    if content:
        paths.require_content()
    return paths, course


def load_course(path: Path) -> Course:
    """Read and validate course.yaml, or raise one KitError naming key, line and fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KitError("course file not found", path=path, fix="run from the kit's folder or pass --course PATH") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KitError(f"{line}not valid YAML ({problem})", path=path, fix="check the indentation and quoting there") from None
    if not isinstance(data, dict):
        raise KitError("the course must be a mapping of keys (course, version, assignments, ...)", path=path,
                       fix="start from the course.yaml shipped with the kit")
    try:
        course = Course.model_validate(data)
    except ValidationError as exc:
        raise _course_error(exc, node, path) from None
    return with_modules(course, path.parent / REFERENCE)


def with_modules(course: Course, reference: Path) -> Course:
    """The course with every part's module filled in: its assignment's only file, else the reference
    file that defines the function (left out where neither tells, e.g. without a reference/ folder)."""
    assignments = {}
    for key, assignment in course.assignments.items():
        parts = {name: part if part.module else part.model_copy(update={"module": _module_of(name, assignment,
                                                                                                reference)})
                 for name, part in assignment.parts.items()}
        assignments[key] = assignment.model_copy(update={"parts": parts})
    return course.model_copy(update={"assignments": assignments})


def _module_of(function: str, assignment: Assignment, reference: Path) -> str | None:
    modules = [Path(name).stem for name in assignment.files if name.endswith(".py")]
    if len(modules) == 1:
        return modules[0]
    defining = [m for m in modules if function in defined_functions(reference / f"{m}.py")]
    return defining[0] if len(defining) == 1 else None


def defined_functions(path: Path) -> set[str]:
    """The top-level functions a Python file defines (none when it is missing or not valid Python), parsed once per
    version of the file (grading asks for the reference's for every submission)."""
    try:
        return set(_defined_functions(path, file_version(path)))
    except OSError:
        return set()


@functools.lru_cache(maxsize=64)
def _defined_functions(path: Path, version: tuple[int, int]) -> frozenset[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError):
        return frozenset()
    return frozenset(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _course_error(exc: ValidationError, root: yaml.Node | None, path: Path) -> KitError:
    """Turn the first pydantic error into a message with the key, its line and a fix."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) or "(top level)"
    line = _line_of(root, loc)
    where = f"line {line}: " if line else ""
    if err["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(known)}"
        return KitError(f"{where}unknown key '{key}'", path=path, fix=fix)
    if err["type"] == "missing":
        return KitError(f"{where}missing key '{key}'", path=path, fix=f"add '{loc[-1]}:' there")
    msg = err["msg"].removeprefix("Value error, ")
    return KitError(f"{where}bad value for '{key}': {msg}", path=path, fix=_fix_for(err))


def _fix_for(err: dict) -> str:
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        return f"use {ctx['expected']}"
    if err["type"].startswith(("greater", "less")):
        return "choose a value within the range above"
    if err["type"].startswith("datetime"):
        return "write the date as 2026-12-14T23:59:00+00:00"
    return "see the course.yaml shipped with the kit for a working example"


def _known_keys(parent: list[str]) -> list[str]:
    """The allowed keys of the model found at `parent` in the course tree."""
    model: type[BaseModel] = Course
    for part in parent:
        field = model.model_fields.get(part)
        if field is None:  # a dict key such as an assignment or part name
            continue
        model = _model_in(field.annotation) or model
    return list(model.model_fields)


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def line_of(path: Path, loc: list[str]) -> int | None:
    """1-based line of the key at `loc` (e.g. ["assignments", "part-4.2", "options"]) in a YAML file."""
    try:
        return _line_of(yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader), loc)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _line_of(node: yaml.Node | None, loc: list[str]) -> int | None:
    """1-based line of the deepest node of `loc` present in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            return line
    return line
