"""The README documents every command, option and plugin setting, and its two commands stay true."""

from __future__ import annotations

import re

import click

from kbgen.cli import main
from kbgen.config import KbgenConfig
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented():
    for name, command in main.commands.items():
        assert f"### `kbgen {name}" in README, f"kbgen {name} is not in the README's CLI reference"
        section = README.split(f"### `kbgen {name}")[1].split("\n### ")[0]
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help", "config_file"):
                longest = max(param.opts, key=len)
                assert longest in section, f"kbgen {name} {longest} is not documented"


def test_every_plugin_option_is_documented():
    for name, _option in KbgenConfig._schema:
        assert re.search(rf"^\| `{name}` \|", README, re.MULTILINE), f"plugin option {name} is not in the README"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    commands = [line.split("#")[0].strip() for line in first_block]
    assert commands == ["make demo", "make test"]
    ci = (REPO / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == "make test"


def test_ci_workflow_example_is_the_repositorys_own():
    workflow = (REPO / ".github" / "workflows" / "kb.yml").read_text()
    assert workflow in README
