from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEV = SHARED / "data" / "dev"
SHARED_FONTS = SHARED / "fonts"


@pytest.fixture(scope="session")
def generator():
    from platereader.generation import PlateGenerator

    return PlateGenerator(seed=7)


def needs_dev() -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not (DEV / "crops_manifest.jsonl").is_file(), reason=f"real dev plates not available ({DEV} is absent, as in a fresh clone)"
    )


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``scripts/NAME`` with this interpreter; its output is captured."""
    return subprocess.run([sys.executable, str(REPO / "scripts" / name), *args], capture_output=True, text=True, timeout=300)
