"""Every lab has the parts a lab must have, at least one expected observation its test can check, and a
test (pure: reads the files)."""
from __future__ import annotations

import pytest

from tests.labs.labdoc import LABS, expected_outputs, expected_timelines

SECTIONS = ("## Setup", "## Steps", "## What to observe", "## Questions", "## For the teacher")
TESTS = LABS.parent / "tests" / "labs"
LAB_DIRS = sorted(p for p in LABS.iterdir() if p.is_dir())


@pytest.mark.parametrize("lab", [p.name for p in LAB_DIRS])
def test_a_lab_has_its_sections_expectations_and_test(lab):
    text = (LABS / lab / "README.md").read_text()
    assert text.startswith("# Lab "), lab
    assert [s for s in SECTIONS if s not in text] == [], lab
    assert "**What it teaches.**" in text and "Timings:" in text
    assert expected_timelines(lab) or expected_outputs(lab), f"{lab}: nothing a test could check"
    number = lab.split("-", 1)[0]
    assert list(TESTS.glob(f"test_{number}_*.py")), f"{lab} has no tests/labs/test_{number}_*.py"


def test_the_index_lists_every_lab():
    index = (LABS / "README.md").read_text()
    assert [p.name for p in LAB_DIRS if f"({p.name}/README.md)" not in index] == []
