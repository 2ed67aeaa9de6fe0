"""Notebooks: one assignment as one Jupyter notebook, built from the reference with nbformat.

The cells follow the assignment's reference modules in order. A markdown cell introduces each
module and each function to write, with its points and its docstring; each function gets a code
cell of its own: a stub for the functions the assignment asks for, the reference's code for those
of earlier parts it builds on (`provided`); other assignments' functions are left out. The
assignment's notes follow the introduction. The rest of a module's top level (imports, constants,
helpers) stays together in setup cells. The modules' printing and plotting (the body of the main()
that `if __name__ == "__main__":` calls) become the last cells, still under that guard: they run
in Jupyter, and not when the notebook is graded as a module.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from gradekit import nbformat_import
from gradekit.content import assignment_notes
from gradekit.course import Assignment, Course
from gradekit.layout import KitPaths
from gradekit.release.stubs import EVERYTHING, block_end, others_work, parse, stub_source

nbformat = nbformat_import.imported()

KEY = "gradekit"  # the notebook's and each cell's metadata entry
CHECKED = "checked by `python cli.py check`"
GUARD = 'if __name__ == "__main__":'
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}
SECTIONS = re.compile(r"^(Args|Arguments|Parameters|Returns|Yields|Raises):\s*$")
ENTRY = re.compile(r"^ {4}[\w*]+( \([^)]*\))?:")  # `name:` or `name (type):` starts an argument's entry


@dataclass(frozen=True)
class Piece:
    """One cell to be: markdown, setup code, a function to write (`part`) or handed out (`provided`), or a run cell.

    For a part, `source` is the stub and `solution` the reference's code with its solution markers.
    """

    role: str
    source: str
    name: str
    function: str | None = None
    solution: str = ""


def assignment_pieces(paths: KitPaths, course: Course, key: str, *, public: str = CHECKED) -> list[Piece]:
    """The cells of assignment `key`'s notebook, in order, from its reference modules.

    `public` says what a public part has that the others have not (in the kit: `check` runs its tests).
    """
    assignment = course.assignment(key)
    pieces = [Piece("markdown", intro_markdown(course, key, public), "intro")]
    pieces += [Piece("markdown", note, f"note-{i}") for i, note in enumerate(assignment_notes(paths, course, key), 1)]
    siblings = {Path(name).stem for name in assignment.files}
    runs: list[Piece] = []
    for name in assignment.files:
        path = paths.reference / name
        module_pieces, module_runs = _module_pieces(path, paths.root, assignment, siblings, public)
        pieces += module_pieces
        runs += module_runs
    if runs:
        pieces.append(Piece("markdown", RUN_MARKDOWN, "run"))
    return pieces + runs


RUN_MARKDOWN = (
    "## Run the exercises\n\n"
    "These cells print and plot what the modules show when run. Without a display (a server) the plots are saved "
    "as PNG files next to the notebook. The line `if __name__ == \"__main__\":` keeps them from running "
    "when your notebook is graded."
)


def intro_markdown(course: Course, key: str, public: str = CHECKED) -> str:
    assignment = course.assignment(key)
    rows = "\n".join(f"| `{name}` | {part.points:g} | {'yes' if part.public else 'no'} |"
                     for name, part in assignment.parts.items())
    due = f"Due {assignment.due:%Y-%m-%d %H:%M %Z}. " if assignment.due else ""
    return (
        f"# {assignment.title}\n\n"
        f"{course.course}, course version {course.version}. {due}Each function whose cell raises "
        "`NotImplementedError` is yours to write: keep its name, signature and docstring, replace the "
        "`raise` line by your code, and run the cells from the top.\n\n"
        f"| function | points | {public} |\n|---|---|---|\n"
        f"{rows}\n| **total** | **{assignment.max_score:g}** | |"
    )


def _module_pieces(path: Path, root: Path, assignment: Assignment, siblings: set[str],
                   public: str) -> tuple[list[Piece], list[Piece]]:
    """A module's cells, and its run cells (the body of what `if __name__ == "__main__":` runs)."""
    module = path.relative_to(root).as_posix()
    source = path.read_text(encoding="utf-8")
    tree = parse(source, module)
    lines = source.splitlines(keepends=True)
    run_nodes, runner = _run_body(tree)
    skipped = {n.name for n in others_work(source, module, {*assignment.parts, *assignment.provided})}
    skipped |= {runner} if runner else set()
    pieces = [Piece("markdown", f"## `{path.name}`\n\n{_first_paragraph(ast.get_docstring(tree) or '')}",
                    f"module-{path.stem}")]
    start, setup, provided_shown = _after_docstring(tree), [], False
    for node in tree.body:
        if node is tree.body[0] and ast.get_docstring(tree) is not None:
            continue
        end = block_end(node, lines)
        raw, start = "".join(lines[start:end]), end
        text = raw.strip("\n") + "\n"
        role = _role(node, assignment, skipped, siblings)
        if role in ("skip", "setup"):
            setup += [raw] if role == "setup" else []
            continue
        if setup:
            pieces.append(Piece("setup", "".join(setup).strip("\n") + "\n", f"setup-{path.stem}-{len(pieces)}"))
            setup = []
        if role == "provided" and not provided_shown:
            pieces.append(Piece("markdown", _provided_markdown(assignment), f"provided-{path.stem}"))
            provided_shown = True
        pieces += _function_pieces(role, node.name, text, module, assignment, public)
    if setup:
        pieces.append(Piece("setup", "".join(setup).strip("\n") + "\n", f"setup-{path.stem}-{len(pieces)}"))
    return pieces, _run_pieces(run_nodes, lines, path.stem)


def _role(node: ast.stmt, assignment: Assignment, skipped: set[str], siblings: set[str]) -> str:
    """part | provided | skip | setup: what a module's top-level statement becomes."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if node.name in assignment.parts:
            return "part"
        if node.name in assignment.provided:
            return "provided"
        if node.name in skipped:  # the runner, or another assignment's work
            return "skip"
    if isinstance(node, ast.ImportFrom) and (node.module in siblings or node.module == "__future__"):
        return "skip"  # the notebook holds the sibling's code; __future__ imports only work first in a file
    if _is_guard(node):
        return "skip"
    return "setup"


def _function_pieces(role: str, name: str, text: str, module: str, assignment: Assignment,
                     public: str) -> list[Piece]:
    if role == "provided":
        return [Piece("provided", stub_source(text, module=module, keep=EVERYTHING), name, name)]
    part = assignment.parts[name]
    note = f", {public}" if part.public else ""
    doc = ast.get_docstring(parse(text, module).body[0]) or ""
    heading = f"### `{name}` ({part.points:g} points{note})\n\n{docstring_markdown(doc)}"
    stub = stub_source(text, module=module, assignment=assignment)
    return [Piece("markdown", heading, f"about-{name}"), Piece("part", stub, name, name, solution=text)]


def _provided_markdown(assignment: Assignment) -> str:
    names = ", ".join(f"`{n}`" for n in assignment.provided)
    return ("### From earlier parts\n\nThe functions this assignment builds on, handed out whole: "
            f"{names}. Run their cells; nothing to write there.")


def _run_body(tree: ast.Module) -> tuple[list[ast.stmt], str | None]:
    """The statements `if __name__ == "__main__":` runs: main()'s body when it only calls main()."""
    guard = next((n for n in tree.body if _is_guard(n)), None)
    if guard is None:
        return [], None
    body = guard.body
    if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call) \
            and isinstance(body[0].value.func, ast.Name) and not body[0].value.args:
        called = body[0].value.func.id
        target = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == called), None)
        if target is not None:
            statements = target.body[1:] if ast.get_docstring(target) is not None else target.body
            return statements, called
    return body, None


def _run_pieces(nodes: list[ast.stmt], lines: list[str], stem: str) -> list[Piece]:
    """Run cells: the statements in groups separated by blank lines, each under the main guard."""
    groups: list[list[ast.stmt]] = []
    for node in nodes:
        gap = lines[groups[-1][-1].end_lineno:node.lineno - 1] if groups else []
        if not groups or any(not line.strip() for line in gap):
            groups.append([])
        groups[-1].append(node)
    pieces = []
    for i, group in enumerate(groups, start=1):
        body = "".join(lines[group[0].lineno - 1:group[-1].end_lineno])
        indent = min(len(line) - len(line.lstrip()) for line in body.splitlines() if line.strip())
        body = "".join("    " + line[indent:] if line.strip() else line for line in body.splitlines(keepends=True))
        pieces.append(Piece("run", f"{GUARD}\n{body.rstrip()}\n", f"run-{stem}-{i}"))
    return pieces


def _is_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test).replace("'", '"') == '__name__ == "__main__"'


def _after_docstring(tree: ast.Module) -> int:
    return tree.body[0].end_lineno if tree.body and ast.get_docstring(tree) is not None else 0


def _first_paragraph(doc: str) -> str:
    return " ".join(doc.split("\n\n")[0].split())


def docstring_markdown(doc: str) -> str:
    """A Google-style docstring as Markdown: its text, then Args/Returns/Raises as bullet lists."""
    out: list[str] = []
    section = ""
    for line in inspect.cleandoc(doc).splitlines():
        heading = SECTIONS.match(line) if not line.startswith(" ") else None
        if heading:
            section = heading.group(1)
            out += ["", f"**{section}:**", ""]
        elif section and line.startswith(" ") and line.strip():
            if out[-1] == "" or section not in ("Returns", "Yields") and ENTRY.match(line):
                out.append(f"- {line.strip()}")
            else:
                out[-1] += f" {line.strip()}"
        else:
            section = section if line.strip() else ""
            out.append(line)
    return "\n".join(out).strip()


# -- notebooks -------------------------------------------------------------------------------------

def handout_notebook(paths: KitPaths, course: Course, key: str) -> nbformat.NotebookNode:
    """Assignment `key`'s notebook with stubs, as students get it."""
    assignment = course.assignment(key)
    cells = [_cell(piece) for piece in assignment_pieces(paths, course, key)]
    return new_notebook(cells, key, assignment)


def new_notebook(cells: list, key: str, assignment: Assignment) -> nbformat.NotebookNode:
    """A notebook of `cells` whose metadata names its assignment and the modules its code stands for."""
    metadata = {**copy.deepcopy(KERNEL), KEY: {"assignment": key, "modules": assignment.modules}}
    nb = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(nb)
    return nb


def _cell(piece: Piece) -> nbformat.NotebookNode:
    meta = {KEY: {"role": piece.role, **({"function": piece.function} if piece.function else {})}}
    if piece.role == "markdown":
        return nbformat.v4.new_markdown_cell(piece.source, id=piece.name, metadata=meta)
    return nbformat.v4.new_code_cell(piece.source.rstrip("\n"), id=piece.name, metadata=meta)


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def fill_notebook(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """A copy of `nb` whose function cells hold the code of the same functions in `folder`'s modules.

    With the reference as `folder`, the solved notebook; with a student's .py files, their work as a
    notebook. The cells replaced are the notebook's parts (and nbgrader's solution cells).
    """
    functions = _functions_in(folder, nb.metadata.get(KEY, {}).get("modules", []))
    filled = copy.deepcopy(nb)
    for cell in filled.cells:
        name = _function_of(cell)
        if name in functions:
            cell.source = functions[name]
    return filled


def _functions_in(folder: Path, modules: list[str]) -> dict[str, str]:
    """name -> source of each top-level function in the folder's modules (solution markers removed)."""
    functions: dict[str, str] = {}
    for module in modules:
        path = Path(folder) / f"{module}.py"
        if not path.is_file():
            continue
        source = stub_source(path.read_text(encoding="utf-8"), module=str(path), keep=EVERYTHING)
        lines = source.splitlines(keepends=True)
        for node in parse(source, str(path)).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
                functions[node.name] = "".join(lines[first:block_end(node, lines)]).rstrip("\n")
    return functions


def _function_of(cell: nbformat.NotebookNode) -> str | None:
    """The function a part cell (or an nbgrader solution cell) defines."""
    meta = cell.get("metadata", {})
    if cell.cell_type != "code":
        return None
    if meta.get(KEY, {}).get("role") == "part":
        return meta[KEY].get("function")
    if meta.get("nbgrader", {}).get("solution"):
        try:
            defs = [n for n in ast.parse(cell.source).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        except SyntaxError:
            return None
        return defs[0].name if len(defs) == 1 else None
    return None
