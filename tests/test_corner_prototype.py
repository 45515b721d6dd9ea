"""scripts/corner_prototype.py (session 26's experiment) runs end to end: render, a few training steps, the comparison table."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.conftest import run_script

pytest.importorskip("torch")


def run(*args: str) -> subprocess.CompletedProcess:
    return run_script("corner_prototype.py", *args)


def test_render_train_and_compare(tmp_path):
    data, weights = tmp_path / "crops.npz", tmp_path / "model.pt"
    rendered = run("render", str(data), "--count", "300", "--seed", "3")
    assert rendered.returncode == 0, rendered.stderr
    arrays = np.load(data)
    assert arrays["images"].shape == (300, 64, 128) and arrays["corners"].shape == (300, 8)
    # Loose crops hold their plate: the corners lie near the crop, TL left of TR, TL above BL.
    corners = arrays["corners"].reshape(-1, 4, 2)
    assert (corners > -0.1).all() and (corners < 1.1).all()
    assert (corners[:, 0, 0] < corners[:, 1, 0]).all() and (corners[:, 0, 1] < corners[:, 3, 1]).all()
    trained = run("train", str(data), str(weights), "--steps", "3")
    assert trained.returncode == 0, trained.stderr
    assert "3 steps" in trained.stdout and weights.is_file()
    compared = run("eval", str(weights), "--synthetic", "8")
    assert compared.returncode == 0, compared.stderr
    assert "| generated, seed 12345 (n=8) |" in compared.stdout


def test_a_network_at_half_height_trains_from_the_same_crops(tmp_path):
    data, weights = tmp_path / "crops.npz", tmp_path / "model32.pt"
    assert run("render", str(data), "--count", "100", "--seed", "4").returncode == 0
    trained = run("train", str(data), str(weights), "--steps", "2", "--height", "32")
    assert trained.returncode == 0, trained.stderr
    compared = run("eval", str(weights), "--synthetic", "4")
    assert compared.returncode == 0, compared.stderr
    assert "| generated, seed 12345 (n=4) |" in compared.stdout
