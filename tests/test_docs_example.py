"""docs/library.md's example runs as written (issue 2: "a 'use ECRM as a library' page
whose example is executed by a test")."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_the_library_page_has_one_example():
    assert len(python_blocks(DOC.read_text())) == 1


def test_the_library_example_runs(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the example's temporary folder
    [code] = python_blocks(DOC.read_text())
    exec(compile(code, str(DOC), "exec"), {"__name__": "__docs__"})
    out = capsys.readouterr().out
    assert "refused: the object was changed by someone else" in out
    assert "invalid: {" in out and "'password': 'required'" in out
    assert "forbidden: you may not create department" in out
    assert "ObjectChanged position: '' -> 'Менеджер по продажам'" in out
    assert "ObjectCreated login: None -> 'a.petrova'" in out
    assert "invoice 1 13230.00 RUB VAT 2385.74 RUB partly_paid debt" in out


def test_configuration_lists_every_ecrm_variable():
    """docs/configuration.md names every ECRM_* variable the code or the tests read."""
    root = DOC.parents[1]
    documented = set(re.findall(r"ECRM_[A-Z][A-Z_]*", (root / "docs" / "configuration.md")
                                .read_text()))
    used = set()
    for folder in ("src", "tests"):
        for path in (root / folder).rglob("*.py"):
            used |= set(re.findall(r"ECRM_[A-Z][A-Z_]*[A-Z]", path.read_text()))
    assert used - documented == set()
