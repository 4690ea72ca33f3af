"""README.md's two one-line commands, and CI running exactly the test command
(issue 2 point 1)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _block_after(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return block.strip().splitlines()


def test_the_start_command_is_one_line_that_builds_the_demo_and_serves():
    [line] = _block_after("Try it")
    assert line.startswith("python3 -m venv .venv && ")
    assert "pip install -e ." in line
    assert ".venv/bin/ecrm demo" in line and line.endswith(".venv/bin/ecrm serve")


def test_the_test_command_is_one_line():
    [line] = _block_after("Run the tests")
    assert line.startswith("python3 -m venv .venv && ")
    assert "'.[dev]'" in line and "pytest" in line


def test_ci_runs_exactly_the_readme_test_command():
    [command] = _block_after("Run the tests")
    script = (ROOT / ".ci" / "run").read_text()
    live = [ln for ln in script.splitlines() if not ln.lstrip().startswith("#")]
    assert any(ln.startswith(command) for ln in live)


def test_ci_sets_the_service_legs_and_lints():
    script = (ROOT / ".ci" / "run").read_text()
    for line in (
        "export ECRM_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test",
        "export ECRM_TEST_BROKER_URL=redis://127.0.0.1:6379/15",
        "export ECRM_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/",
        ".venv/bin/ruff check src tests",
        ".venv/bin/lint-imports",
        "set -euo pipefail",
    ):
        assert line in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_ci_script_parses():
    subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], check=True)
