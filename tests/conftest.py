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


def cli_smoke_run(out: Path, command: list[str], onnx_name: str) -> Path:
    """A few-step training ``command`` through the CLI into ``out``: stopped after step 2, resumed
    to the end, and ``out/last.pt`` exported to ``out/onnx_name`` (fp32 and int8). Needs torch."""
    from click.testing import CliRunner

    from platereader.cli import main

    args = [*command, "--out", str(out)]
    first = CliRunner().invoke(main, [*args, "--stop-after", "2"])
    assert first.exit_code == 0, first.output
    resumed = CliRunner().invoke(main, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    exported = CliRunner().invoke(main, ["export", str(out / "last.pt"), "--out", str(out / onnx_name)])
    assert exported.exit_code == 0, exported.output
    return out
