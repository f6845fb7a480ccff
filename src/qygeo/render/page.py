"""Rendering folium pages so that no text from data is ever compiled as a template.

branca renders each element's macros into text and then wraps that text in
``Element(text)``, whose constructor compiles it as a Jinja2 template; the
page then renders it again. Anything from data inside the rendered text
(a park named ``X{{ 7*191 }}``, a surveyor's file name, a plot's enterprise)
is therefore a template: ``{{ … }}`` runs, and ``{#`` raises a syntax error.

The text handed to ``Element`` there is finished output, so the fix is to keep
it as it is: while :func:`literal_rendering` is active on the current thread,
branca's ``Template`` (the name ``Element.__init__`` compiles with) gives back a
:class:`LiteralTemplate` holding the text verbatim. Templates written in code
(folium's and qygeo's macros) are compiled by ``folium.template.Template`` and
at import, so they work as before. :class:`Map` renders inside that context,
so saving a page, ``render()`` and a notebook's inline display are all safe.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import Any

import folium

#: True while the current thread renders (or builds) a qygeo page.
_LITERAL: contextvars.ContextVar[bool] = contextvars.ContextVar("qygeo_literal", default=False)


class LiteralTemplate:
    """Stands where branca would compile already-rendered text: renders it as it is."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.module = None  # no macros: branca only looks for them on macro templates

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.text


def _install() -> None:
    """Put the switchable stand-in in place of ``branca.element.Template`` once."""
    import branca.element

    compile_template = branca.element.Template
    if getattr(compile_template, "qygeo_literal", False):
        return

    def template(source: Any, *args: Any, **kwargs: Any) -> Any:
        if _LITERAL.get() and isinstance(source, str) and not args and not kwargs:
            return LiteralTemplate(source)
        return compile_template(source, *args, **kwargs)

    template.qygeo_literal = True  # type: ignore[attr-defined]
    branca.element.Template = template  # type: ignore[assignment]


@contextlib.contextmanager
def literal_rendering() -> Iterator[None]:
    """Within this block, text branca wraps in ``Element`` is kept, not compiled."""
    _install()
    token = _LITERAL.set(True)
    try:
        yield
    finally:
        _LITERAL.reset(token)


def literal_element(text: str) -> Any:
    """A branca element that renders *text* as it is, in any context."""
    from branca.element import Element

    el = Element()
    el._template = LiteralTemplate(text)
    return el


class Map(folium.Map):
    """A :class:`folium.Map` whose rendering never compiles text from data.

    Every way a page is made (``save``, ``get_root().render()``, Jupyter's
    inline display) renders the map's element tree through :meth:`render`.
    """

    def render(self, **kwargs: Any) -> Any:
        if not getattr(self, "_qygeo_numbered", False):
            # Once: a page shown again (a notebook cell, then save()) keeps its names, so
            # the scripts keyed by them are replaced, not added a second time.
            _number_elements(self)
            self._qygeo_numbered = True
        with literal_rendering():
            return super().render(**kwargs)


def _number_elements(top: Any) -> None:
    """Give *top* and every element under it an id from its place in the tree.

    folium names elements by a random uuid (``map_f32d…``, the JavaScript variables),
    so the same data made a different page every build; numbered in tree order, the
    same map gives the same bytes. Names are read only while rendering, so renaming
    before it keeps every reference between elements.
    """
    from branca.element import Element

    seen: set[int] = set()
    stack = [top]
    number = 0
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        element._id = f"{number:032x}"  # the shape of folium's own ids
        number += 1
        # Its children, then elements it holds as attributes (a minimap's tile layer).
        held = [v for k, v in vars(element).items()
                if k not in ("_parent", "_children") and isinstance(v, Element)]
        stack.extend(reversed([*getattr(element, "_children", {}).values(), *held]))


@functools.cache
def template(text: str) -> Any:
    """A folium template, compiled once per text."""
    from folium.template import Template

    return Template(text)
