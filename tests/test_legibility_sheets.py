"""scripts/legibility_sheets.py: the blind eye test that set the generator's legibility limits."""

from __future__ import annotations

import json
import subprocess

import cv2

from tests.conftest import run_script


def run(*args: str) -> subprocess.CompletedProcess:
    return run_script("legibility_sheets.py", *args)


def test_sheets_hide_the_bins_and_score_counts_each_bin(tmp_path):
    made = run("make", str(tmp_path), "--by", "weakest_cnr", "--edges", "1.0,1.5,3.0", "--per-bin", "3", "--seed", "5")
    assert made.returncode == 0, made.stderr
    key = json.loads((tmp_path / "key.json").read_text())
    assert [row["n"] for row in key] == list(range(6))
    assert sorted(row["bin"] for row in key) == ["1-1.5"] * 3 + ["1.5-3"] * 3
    assert len({row["text"] for row in key}) == 6  # one shot per registration
    for row in key:
        low, high = map(float, row["bin"].split("-"))
        assert low <= row["value"] < high
    sheet = cv2.imread(str(tmp_path / "sheet0.png"))
    assert sheet is not None and sheet.shape[1] == 960  # two plates a row, nothing but their numbers

    # Right on every plate of the low bin but one, wrong on all of the high bin.
    low_bin = [row for row in key if row["bin"] == "1-1.5"]
    reads = [row["text"] if row["bin"] == "1-1.5" and row is not low_bin[0] else "?" for row in key]
    (tmp_path / "reads.txt").write_text(" ".join(reads))
    scored = run("score", str(tmp_path))
    assert scored.returncode == 0, scored.stderr
    assert "weakest_cnr 1-1.5: 2/3 read (67%)" in scored.stdout
    assert "weakest_cnr 1.5-3: 0/3 read (0%)" in scored.stdout


def test_score_refuses_a_transcription_count_that_does_not_match(tmp_path):
    (tmp_path / "key.json").write_text(json.dumps([{"n": 0, "measure": "blur_ratio", "bin": "0-0.1", "text": "AB123", "value": 0.05}]))
    (tmp_path / "reads.txt").write_text("AB123 CD456")
    scored = run("score", str(tmp_path))
    assert scored.returncode != 0
    assert "2 transcriptions for 1 plates" in scored.stderr


def test_reader_misses_are_shown_among_as_many_plates_it_read(tmp_path):
    # Seed 12345's first 100 readable plates hold a few the shipped reader misses (the benchmark's plates).
    made = run("misses", str(tmp_path), "--seed", "12345", "--count", "100")
    assert made.returncode == 0, made.stderr
    key = json.loads((tmp_path / "key.json").read_text())
    missed = [row for row in key if row["bin"] == "missed"]
    read = [row for row in key if row["bin"] == "read"]
    assert missed and len(missed) == len(read)
    assert len({row["text"] for row in key}) == len(key)  # one shot per registration
    assert all(row["value"] != row["text"] for row in missed)  # the reader's read, shown in the score
    assert all(row["value"] == row["text"] for row in read)

    (tmp_path / "reads.txt").write_text(" ".join(row["text"] if row["bin"] == "read" else "?" for row in key))
    scored = run("score", str(tmp_path))
    assert scored.returncode == 0, scored.stderr
    assert f"reader missed: 0/{len(missed)} read (0%)" in scored.stdout
    assert f"reader read: {len(read)}/{len(read)} read (100%)" in scored.stdout
