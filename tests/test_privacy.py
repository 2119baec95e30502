from __future__ import annotations

import pytest

from kbgen.privacy import CustomerNames, scan

SECRETS = {
    "an AWS access key": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "a private key block": "-----BEGIN RSA PRIVATE KEY-----",
    "a bearer token": "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
    "a GitHub token": "token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
    "a Slack token": "xoxb-123456789012-abcdefghijkl",
    "a Stripe key": "sk_live_abcdefghijklmnop1234",
    "a Google API key": "key=AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "a JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "a password inside a URL": "proxy: http://jdoe:Winter2026!@proxy.corp.local:8080",
    "an API key or password": 'api_key: "f3a9c2e71b8d4a60"',
}


@pytest.mark.parametrize("what", sorted(SECRETS))
def test_each_kind_of_secret_is_found_on_its_line(what: str):
    found = scan(f"first line\n{SECRETS[what]}\nlast line")
    assert any(f.what == what and f.secret and f.offset == 1 for f in found), found


@pytest.mark.parametrize("text", [
    "Set `api_key` to YOUR_API_KEY_HERE in the config.",
    "Error 0x80070020 at 2026-03-03 12:00, build 4.3.0.1123.",
    "Open https://status.acme.example/incidents and wait.",
    "Run `netsh winhttp reset proxy` and restart.",
    "Use the password you chose when you signed up.",
])
def test_ordinary_support_text_is_not_a_secret(text: str):
    assert [f for f in scan(text) if f.secret] == []


def test_contacts_are_warnings_and_allow_list_works():
    found = scan("Mail help@acme.example or jane@globex.example\nCall +49 30 1234 5678 or (555) 123-4567", ["@acme.example"])
    assert [(f.offset, f.secret) for f in found] == [(0, False), (1, False)]
    assert "jane@globex.example" in found[0].what


def test_customer_names_match_whole_words():
    names = CustomerNames(["Globex Corp", "Shell", "Wayne Foods", "  "])
    assert names.find("the sync at GLOBEX corp stopped") == "GLOBEX corp"
    assert names.find("Shell asked us") == "Shell"
    assert names.find("run the shell command") is None
    assert names.find("PowerShell fails") is None
    assert names.find("wayne-foods") == "wayne foods"
    assert names.find("Globex") is None


def test_hostile_texts_are_scanned_in_one_pass():
    """Texts that made a backtracking regex rescan the rest of the text from every position (a 64 KB
    email-like string took `kbgen check` 15 s). At 256 KB a quadratic pattern would hang this test for
    minutes; no time is asserted (bench/bench_regex.py prints the n-to-4n ratios)."""
    from bench.bench_regex import HOSTILE, NAMES

    for what, make in HOSTILE.items():
        text = make(256 * 1024)
        scan(text)
        assert NAMES.find(text) is None, what
    found = scan("a." * 100_000 + "x@example.com and a@b.co " * 2000)
    assert len(found) == 1 and found[0].what.endswith(".a.a.x@example.com)")  # one finding per line and kind


def test_customer_names_are_compared_as_a_reader_sees_them():
    names = CustomerNames(["Globex Corp", "31337", "Initech", "HP", "ｘｙ"])
    assert names.find("ＧＬＯＢＥＸ Corp called") == "GLOBEX Corp"  # full-width letters (NFKC)
    assert names.find("Glob\u200bex corp") == "Globex corp"  # a zero-width space inside the name
    assert names.find("Glоbex Corp") == "Glоbex Corp"  # a Cyrillic 'о'
    assert names.find("globex,\ncorp") == "globex corp"  # wrapped over a line break
    assert names.find("account 31337 locked") == "31337"  # a numeric customer
    assert names.find("INITECH asked") == "INITECH" and names.find("initech asked") is None
    assert names.find("case-initech-4", any_case=True) == "initech"  # ids match whatever their case
    assert names.too_short == {"HP", "ｘｙ"} and names.find("HP printers") is None


def test_short_texts_are_scanned_once_and_every_caller_gets_its_own_findings():
    """A field (a title, a tag) is scanned once per process: the next caller gets the same findings, in a list of its
    own, and the allowed addresses are part of what was scanned."""
    title = "Mail to ops@example.com fails"
    first = scan(title)
    assert [f.what for f in first] == ["an email address (ops@example.com)"]
    first.clear()
    assert [f.what for f in scan(title)] == ["an email address (ops@example.com)"]
    assert scan(title, ["ops@example.com"]) == []
    names = CustomerNames(["Globex Corp"])
    assert names.find("Globex Corp tag") == "Globex Corp" and names.find("Globex Corp tag") == "Globex Corp"
    assert CustomerNames(["Initech"]).find("Globex Corp tag") is None  # each set of names answers for itself
