"""The sanitisers keep case HTML from defining anything mkdocs-material or kbgen reads (issue 10, class 1)."""

from __future__ import annotations

from kbgen.safety import sanitise, sanitise_case

THEME_BAIT = (
    '<div id="__config">{"features":[],"search":"https://evil.example/w.js"}</div>'
    '<a href="#fn:1" name="__search" title="<img src=x onerror=alert(1)>">1</a>'
    '<label for="__drawer">menu</label><pre class="mermaid">graph TD; A--&gt;B</pre>'
    '<p class="md-search kb-actions admonition note" data-md-component="search-query" data-kb-copy="reply">p</p>'
    '<input id="__search" type="checkbox"><form action="https://evil.example/"><button>Go</button></form>'
)


def test_case_html_defines_no_id_name_label_or_data_the_theme_reads():
    out = sanitise_case(THEME_BAIT)
    assert 'id="__config"' not in out and 'id="user-content-__config"' in out
    assert "name=" not in out and "for=" not in out and "<label" not in out
    assert "data-" not in out and "mermaid" not in out and "md-search" not in out and "kb-actions" not in out
    assert "<input" not in out and "<form" not in out and "<button" not in out
    assert 'class="admonition note"' in out  # Markdown's own classes stay
    assert "title=" not in out  # a title holding markup is dropped: content.tooltips renders it as HTML


def test_case_in_page_links_follow_their_prefixed_ids():
    out = sanitise_case('<sup id="fnref:1"><a href="#fn:1">1</a></sup><li id="fn:1"><a href="#fnref:1">back</a></li>'
                        '<a href="https://acme.example/#x">out</a>')
    assert 'id="user-content-fnref:1"' in out and 'href="#user-content-fn:1"' in out
    assert 'id="user-content-fn:1"' in out and 'href="#user-content-fnref:1"' in out
    assert 'href="https://acme.example/#x"' in out


def test_plain_titles_stay_for_abbreviations_and_permalinks():
    out = sanitise_case('<abbr title="Single sign-on">SSO</abbr><a title="x &amp; y">z</a>')
    assert 'title="Single sign-on"' in out and "x &amp; y" not in out


def test_whole_pages_keep_their_own_ids_and_search_button_but_not_the_themes():
    out = sanitise(THEME_BAIT + '<h2 id="solution">Solution<a class="headerlink" href="#solution" title="Permanent link">¶</a></h2>'
                   '<label class="md-button md-button--primary kb-search-button" for="__search">Search</label>', search_label=True)
    assert 'id="solution"' in out and 'title="Permanent link"' in out
    assert '<label class="md-button md-button--primary kb-search-button" for="__search">' in out
    assert "__config" not in out and "__drawer" not in out and 'name="__search"' not in out
    assert "mermaid" not in out and "data-md-component" not in out and "md-search" not in out


def test_only_the_home_page_keeps_a_label_that_opens_search():
    assert "for=" not in sanitise('<label for="__search">Click me</label>')
