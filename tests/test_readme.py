"""README tells the truth: its two set-up commands exist and CI runs the test command verbatim."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", readme)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    commands = _commands()
    assert len(commands) == 2
    main_job, tests = commands
    assert main_job.startswith("pip install . && gkreport check examples/")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci


def test_readme_examples_exist():
    main_job = _commands()[0]
    for name in re.findall(r"examples/\S+\.xlsx", main_job):
        assert (ROOT / name).is_file()


def test_every_command_is_documented():
    from addin.cli import COMMANDS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"gkreport {name}" in readme
