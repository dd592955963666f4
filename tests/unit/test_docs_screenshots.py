"""The README's screenshots stay whole: every console screen has one (docs/screenshots.py takes them from
`make run`'s demo chain), and every picture the README shows exists."""
from __future__ import annotations

import re
from pathlib import Path

from services.common.policy import CONSOLE_SCREENS

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"


def test_every_console_screen_has_its_screenshot():
    taken = {path.stem.split("-", 1)[1] for path in SHOTS.glob("*-*.png")}
    assert set(CONSOLE_SCREENS) - taken == set()


def test_every_screenshot_the_readme_shows_exists_and_each_is_shown():
    shown = set(re.findall(r"\]\((docs/screenshots/[^)]+\.png)\)", (ROOT / "README.md").read_text()))
    assert shown and {name for name in shown if not (ROOT / name).exists()} == set()
    assert {f"docs/screenshots/{path.name}" for path in SHOTS.glob("*.png")} == shown
