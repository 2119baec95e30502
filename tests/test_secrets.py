"""Secret formats found by detect-secrets' rule set plus kbgen's own (issue 10, class 5), and prose that is not one."""

from __future__ import annotations

import pytest

from kbgen.privacy import scan

AZURE = "DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey=" + "Zm9vYmFyYmF6cXV4" * 5 + "Zm9vYmFyYg==;EndpointSuffix=core.windows.net"
SECRETS = {
    "a private key block": "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "an Azure storage account key": AZURE,
    "an HTTP Basic authorization header": "Authorization: Basic YWRtaW46aHVudGVyMg==",
    "an API key or password": "client_secret=Qm9vZ2llV29vZ2llQm9vZ2ll",
    "a GitLab token": "token glpat-Ab3dEf6hIj9kLm2nOp5q",
    "an OpenAI key": "OPENAI_API_KEY sk-proj-abc123DEF456ghi789JKL012mno345",
    "a Slack webhook URL": "post to https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx",
    "an AWS secret access key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
NO_DIGITS = ["password=CorrectHorseBatteryStaple", 'password: "correct horse"', "Password: Summer!", "db_password = swordfish",
             "PASSWORD='hunter-two-three'"]


@pytest.mark.parametrize("what", sorted(SECRETS))
def test_each_new_format_is_found_on_its_line(what: str):
    found = scan(f"first line\n{SECRETS[what]}\nlast line")
    assert [(f.offset, f.what, f.secret) for f in found] == [(1, what, True)]


@pytest.mark.parametrize("text", NO_DIGITS)
def test_passwords_without_digits_are_secrets(text: str):
    assert [f.what for f in scan(text) if f.secret] == ["an API key or password"]


@pytest.mark.parametrize("text", [
    "Password: expired", "The password: reset it in Settings.", "Error: password: incorrect.", "password=<your password>",
    "password: ********", "client_secret=${CLIENT_SECRET}", "client_secret: YOUR_CLIENT_SECRET", "Disk-cleanup tasks",
    "the task-scheduler-service-runs-every-hour", "Check the Authorization: Basic realm header", "English glass globe",
    "sha256 acb3f0d1e2c4b5a6978812345678901234567890abcdef", "msg.sg.example 4.3.0-us1",
])
def test_support_prose_is_not_a_secret(text: str):
    assert [f for f in scan(text) if f.secret] == []


def test_one_secret_finding_a_line_however_many_rules_match():
    found = scan("key AKIAIOSFODNN7EXAMPLE and ghp_abcdefghijklmnopqrstuvwxyz0123456789AB\nok")
    assert [(f.offset, f.secret) for f in found] == [(0, True)]

