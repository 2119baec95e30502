"""Case text is untrusted: the HTML that Markdown makes of it is sanitised with nh3 before it is written."""

from __future__ import annotations

import nh3

TAGS = (nh3.ALLOWED_TAGS | {"div", "span", "dl", "dt", "dd", "pre", "code", "kbd", "details", "summary", "small", "mark", "label"}) - {
    "img"
}
GLOBAL_ATTRS = {"class", "id", "title", "lang", "dir", "role", "aria-label", "aria-hidden", "data-status", "data-kind"}
ATTRS = {
    "*": GLOBAL_ATTRS,
    "a": GLOBAL_ATTRS | {"href"},
    "td": GLOBAL_ATTRS | {"align", "colspan", "rowspan"},
    "th": GLOBAL_ATTRS | {"align", "colspan", "rowspan", "scope"},
    "ol": GLOBAL_ATTRS | {"start"},
    "label": GLOBAL_ATTRS | {"for"},  # the home page's search button opens Material's search
}


def sanitise(html: str) -> str:
    """Keep the markup Markdown and Material produce; drop scripts, handlers, frames, forms, javascript: URLs."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={k: set(v) for k, v in ATTRS.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
