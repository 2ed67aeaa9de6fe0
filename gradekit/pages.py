"""The kit's HTML pages: Jinja2 templates (gradekit/templates/*.html) rendered with autoescaping, and
Markdown rendered with raw HTML disabled, so text from a student stays text on every page.

Jinja2 and markdown-it are imported on first use: the commands that make no page never pay for them.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files
from typing import Any

TEMPLATES = "templates"


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("gradekit", TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_page(template: str, **context: Any) -> str:
    """The page `template` (a file in gradekit/templates) filled from `context`, every value escaped."""
    return _environment().get_template(template).render(**context)


def markdown_html(text: str) -> Any:
    """`text` (Markdown) as HTML to put in a page unescaped: raw HTML in it is shown as text, never run."""
    from markupsafe import Markup
    from markdown_it import MarkdownIt

    return Markup(MarkdownIt("js-default", {"html": False}).render(text))


def page_script(name: str) -> tuple[Any, str]:
    """The script `name` (a file in gradekit/templates) to inline, and the CSP source that lets only it run."""
    from markupsafe import Markup

    source = files("gradekit").joinpath(TEMPLATES, name).read_text(encoding="utf-8")
    return Markup(source), "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"
