"""Site settings a build relies on, checked alike by ``kbgen check`` and by the build (so ``check --strict`` agrees)."""

from __future__ import annotations

from .models import Diagnostic

SITE_URL_MESSAGE = (
    "site_url is not set, so feed.xml, api/*.json and the redirects' canonical links stay relative and feed readers "
    "cannot follow them; set `site_url: https://YOUR-KB-HOST/` (where the site is published) in {config}"
)


def site_url(value: str | None, config: str) -> list[Diagnostic]:
    """A warning when ``site_url`` is unset; ``config`` is how mkdocs.yml is shown in diagnostics."""
    if value:
        return []
    return [Diagnostic(config, 1, "warning", SITE_URL_MESSAGE.format(config=config))]
