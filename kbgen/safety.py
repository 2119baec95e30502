"""Case text is untrusted: the HTML that Markdown makes of it is sanitised with nh3 for the page it lands in.

Removing scripts, handlers and ``javascript:`` URLs is not enough. A case's HTML sits in a page
whose theme (mkdocs-material) finds its own elements by id, attribute and class, and the first
match in the document wins. So case HTML may not define anything the theme reads:

- ``id``: Material reads its configuration from ``#__config`` (an earlier element with that id is
  read instead, and its ``search.worker`` URL runs in the page) and toggles ``#__search``,
  ``#__drawer``, ``#__toc``, ``#__palette_*``, ``#__codelineno-*`` ...; every id it reads starts with
  ``__``. Footnote tooltips (``content.footnote.tooltips``) clone the element whose id a link's
  ``#hash`` names, and an element's id becomes a ``window`` property (DOM clobbering). Case text
  therefore gets its ids prefixed ``user-content-`` (in-page anchors such as footnotes keep working,
  because same-page ``href="#x"`` is prefixed alike) and can never name one of the page's own.
- ``name``: Material's instant navigation rewrites ``[name^=__]``; forms and images clobber
  ``document`` by name. Dropped from case text.
- ``for`` and ``<label>``: a label ``for="__search"`` or ``"__drawer"`` toggles Material's search
  and drawer. Only kbgen's own home-page button may have one.
- ``title``: with ``content.tooltips`` Material renders every ``[title]`` as a tooltip through
  HTML. A title is kept only when it is plain text (no ``<``, ``>``, ``&``, quotes), so HTML-parsing
  it yields the same text (abbreviations and permalinks keep their hover text).
- ``data-*``: Material acts on ``data-md-*`` (components, toggles), ``data-tabs``,
  ``data-clipboard-*``, ``data-preview``; kbgen's script on ``data-kb-*``. None is allowed from
  case text; kbgen's own pages keep only ``data-status``/``data-kind`` (read by CSS).
- ``class``: ``pre.mermaid`` makes Material download and run Mermaid on the diagram text, and
  ``md-*``/``kb-*`` classes dress case text as the theme's or kbgen's controls (a fake search box
  or copy button). Those classes are dropped; Markdown's own (admonitions, code highlighting,
  footnotes, ``annotate`` whose notes are themselves sanitised case HTML) stay.
- ``<form>``, ``<input>``, ``<button>``, ``<img>``, ``<iframe>``, ``<svg>``, ``<style>``: not allowed.

``sanitise_case`` applies all of that to one piece of case text. ``sanitise`` is for a whole
generated page, which holds kbgen's own markup too (heading ids from the table of contents,
the home page's search label): ids are kept unless they start with ``__`` (the theme's), the
rest of the rules hold as above.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import nh3

TAGS = frozenset(
    (nh3.ALLOWED_TAGS | {"div", "span", "dl", "dt", "dd", "pre", "code", "kbd", "details", "summary", "small", "mark", "label"})
    - {"img"}
)
CASE_TAGS = TAGS - {"label"}
CASE_GLOBAL_ATTRS = frozenset({"class", "id", "title", "lang", "dir", "role", "aria-label", "aria-hidden"})
GLOBAL_ATTRS = CASE_GLOBAL_ATTRS | {"data-status", "data-kind"}  # kbgen's status banner carries these


def _attrs(common: frozenset[str]) -> dict[str, frozenset[str]]:
    """What Markdown's own markup needs per tag (links, table cells, numbered lists), on top of ``common``."""
    return {
        "*": common,
        "a": common | {"href"},
        "td": common | {"align", "colspan", "rowspan"},
        "th": common | {"align", "colspan", "rowspan", "scope"},
        "ol": common | {"start"},
    }


ATTRS = {**_attrs(GLOBAL_ATTRS), "label": GLOBAL_ATTRS | {"for"}}  # the home page's search button opens Material's search
CASE_ATTRS = _attrs(CASE_GLOBAL_ATTRS)
ID_PREFIX = "user-content-"
URL_SCHEMES = frozenset({"http", "https", "mailto"})
OWN_LABEL_TARGETS = frozenset({"__search"})
"""The only ``for`` a generated page may carry: the home page's "Search the knowledge base" button."""

_UNSAFE_CLASS = re.compile(r"^(?:md-|kb-|mermaid$)", re.IGNORECASE)
_NOT_PLAIN = re.compile(r"[<>&\"'`]")
_THEME_ID = re.compile(r"^\s*__")
_OWN_CLASSES = frozenset({"md-button", "md-button--primary", "kb-search-button", "kb-status", "kb-facts", "kb-rc",
                          "kb-headline", "kb-flag", "kb-section", "kb-internal", "kb-note", "kb-note-head", "kb-customers"})
"""kbgen's own markup in generated pages (status banner, facts, home button): kept by ``sanitise``, never from case text."""


def _classes(value: str, own: bool) -> str | None:
    keep = [c for c in value.split() if not _UNSAFE_CLASS.match(c) or (own and (c in _OWN_CLASSES or c.startswith("kb-flag--")))]
    return " ".join(keep) or None


def _title(value: str) -> str | None:
    return value if not _NOT_PLAIN.search(value) else None


def _page_filter(tag: str, attr: str, value: str, labels: bool = False) -> str | None:
    if attr == "id":
        return None if _THEME_ID.match(value) else value
    if attr == "for":
        return value if labels and value in OWN_LABEL_TARGETS else None
    if attr == "class":
        return _classes(value, own=True)
    if attr == "title":
        return _title(value)
    return value


def _case_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        return _classes(value, own=False)
    if attr == "title":
        return _title(value)
    if attr == "href" and value.startswith("#") and len(value) > 1:
        return "#" + ID_PREFIX + value[1:]  # ids are prefixed below, so in-page links follow them
    return value


def _clean(html: str, tags: frozenset[str], attrs: dict[str, frozenset[str]], filt: Callable[[str, str, str], str | None],
           id_prefix: str | None) -> str:
    return nh3.clean(
        html,
        tags=set(tags),
        attributes={k: set(v) for k, v in attrs.items()},
        attribute_filter=filt,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        id_prefix=id_prefix,
    )


def sanitise(html: str, search_label: bool = False) -> str:
    """A whole generated page: Markdown's and Material's markup stays; scripts, handlers, frames, forms,
    ``javascript:`` URLs, the theme's ids (``__*``), label targets, markup in titles go.

    ``search_label``: the page is kbgen's home page, whose own button is a label that opens the search.
    """
    return _clean(html, TAGS, ATTRS, functools.partial(_page_filter, labels=search_label), None)


def sanitise_case(html: str) -> str:
    """One piece of case text (a section body rendered to HTML): nothing in it may be what the theme reads.

    Ids (and same-page links to them) are prefixed ``user-content-``; ``name``, ``for``, labels, data
    attributes and theme classes are dropped; see the module docstring for why each.
    """
    return _clean(html, CASE_TAGS, CASE_ATTRS, _case_filter, ID_PREFIX)
