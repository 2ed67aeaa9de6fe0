"""A call's options beyond its arguments, applied in the worker around the submission's function.

- `"replace": {name: value}` binds names of the function's module to other values for the call and
  restores them after: a grader asks whether a function is right given correct dependencies by
  replacing one it calls with a course helper (`{"name": Fn("helper")}`), which the worker resolves
  from its own table; nothing else is callable over the wire.
- `"draws": true` notes the random orders the call drew (draws.py) and sends them back in the
  reply's `"draws"`: `{"orders": [1-D integer arrays], "truncated": bool}`.
"""

from __future__ import annotations

import contextlib
import types
from typing import Any, Callable, Iterator, Mapping

import draws
import wire

MISSING = object()


@contextlib.contextmanager
def replaced(values: Mapping[str, Any], namespaces: list[dict]) -> Iterator[None]:
    """Bind each name of `values` in every namespace until the block ends, then restore (or remove) it."""
    saved: list[tuple[dict, str, Any]] = []
    try:
        for ns in namespaces:
            for name, value in values.items():
                saved.append((ns, name, ns.get(name, MISSING)))
                ns[name] = value
        yield
    finally:
        for ns, name, old in reversed(saved):
            if old is MISSING:
                ns.pop(name, None)
            else:
                ns[name] = old


class CallOptions:
    """The options of one call request, decoded before the call (a bad one is the request's fault)."""

    def __init__(self, request: dict, fn: Callable, module: types.ModuleType | None,
                 functions: Mapping[str, Callable]) -> None:
        replace = wire.decode(request["replace"], functions=functions) if request.get("replace") else {}
        if not isinstance(replace, dict):
            raise wire.WireError("a replace option that is not a dict of names")
        self.replace: dict[str, Any] = replace
        self.draws = request.get("draws") is True
        candidates = [getattr(fn, "__globals__", None), vars(module) if module is not None else None]
        self.namespaces = list({id(ns): ns for ns in candidates if isinstance(ns, dict)}.values())
        self.recorder: draws.DrawLog | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "CallOptions":
        if self.replace:
            self._stack.enter_context(replaced(self.replace, self.namespaces))
        if self.draws:
            self.recorder = self._stack.enter_context(draws.recording(self.namespaces))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def reply(self) -> dict:
        """What the options add to a successful call's reply."""
        return {"draws": wire.encode(self.recorder.reply())} if self.recorder is not None else {}
