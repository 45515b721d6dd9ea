from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from platereader.cli import main
from platereader.runtime.shipped import shipped_recognizer

REPO = Path(__file__).resolve().parent.parent
needs_model = pytest.mark.skipif(not shipped_recognizer().is_file(), reason="no shipped recognizer model")


def test_synth_writes_what_it_says(tmp_path):
    out = tmp_path / "synth"
    result = CliRunner().invoke(
        main, ["synth", "--countries", "de,fr", "--count", "12", "--out", str(out), "--seed", "3", "--preview", str(tmp_path / "sheet.png")]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12
    for row in rows:
        assert (out / row["image"]).is_file()
        assert {"text", "country", "format", "rows", "corners"} <= set(row)
        assert row["country"] in ("DE", "FR", "")
        assert len(row["corners"]) == 4
    assert cv2.imread(str(tmp_path / "sheet.png")) is not None
    again = tmp_path / "again"
    CliRunner().invoke(main, ["synth", "--countries", "de,fr", "--count", "12", "--out", str(again), "--seed", "3"])
    assert (again / "labels.jsonl").read_text() == (out / "labels.jsonl").read_text()


def test_synth_rejects_bad_input(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--countries", "zz", "--count", "2", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "unknown country" in result.output
    result = CliRunner().invoke(main, ["synth", "--count", "2", "--out", str(tmp_path), "--font-dir", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "does not exist" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: XX\nname: X\nsources: [x]\nformats: []\n")
    result = CliRunner().invoke(main, ["synth", "--count", "2", "--out", str(tmp_path), "--format-file", str(bad)])
    assert result.exit_code != 0 and "bad.yaml" in result.output and "formats" in result.output


@pytest.fixture
def mixed_folder(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("es.png", "gb.png"):
        (folder / name).write_bytes((REPO / "examples" / "crops" / name).read_bytes())
    (folder / "empty.png").write_bytes(b"")
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    return folder


@needs_model
def test_read_json_schema_and_failures(mixed_folder):
    result = CliRunner().invoke(main, ["read", "--crop", "--json", str(mixed_folder)])
    assert result.exit_code == 1  # some images failed; the rest were read
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    by_name = {Path(row["image"]).name: row for row in lines}
    for bad in ("empty.png", "corrupt.jpg"):
        assert set(by_name[bad]) == {"image", "error"} and bad in by_name[bad]["error"]
    for good in ("es.png", "gb.png"):
        row = by_name[good]
        assert set(row) == {"image", "plates"}
        for plate in row["plates"]:
            assert set(plate) >= {"text", "confidence", "char_confidences"}
            assert len(plate["char_confidences"]) == len(plate["text"])
            assert 0 <= plate["confidence"] <= 1


@needs_model
def test_read_table_and_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["read", "--crop", str(REPO / "examples" / "crops" / "es.png"), str(tmp_path / "missing.png")])
    assert result.exit_code == 1
    assert "es.png" in result.stdout and "no such file" in result.stdout


@needs_model
def test_read_countries_limits_the_grammar_and_rejects_unknown_codes():
    crop = str(REPO / "examples" / "crops" / "es.png")
    result = CliRunner().invoke(main, ["read", "--crop", "--json", "--countries", "es", crop])
    assert result.exit_code == 0, result.output
    [plate] = json.loads(result.stdout)["plates"]
    assert plate["country"] == "ES" and len(plate["text"]) == 7
    result = CliRunner().invoke(main, ["read", "--crop", "--countries", "es,xx", crop])
    assert result.exit_code != 0 and "unknown country code(s) XX" in result.output
    result = CliRunner().invoke(main, ["read", "--crop", "--countries", "es", "--no-grammar", crop])
    assert result.exit_code != 0 and "--no-grammar" in result.output


@needs_model
def test_eval_prints_accuracy_and_writes_report(tmp_path):
    manifest = REPO / "examples" / "crops" / "labels.jsonl"
    result = CliRunner().invoke(main, ["eval", "--crop", str(manifest), "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    assert "exact match:" in result.stdout and "character error rate" in result.stdout
    assert (tmp_path / "rep" / "index.html").is_file()
    assert "recognizer: " in result.stderr and "recognizer.onnx" in result.stderr


@needs_model
def test_eval_with_countries_says_which_recognizer_read():
    from platereader.runtime.shipped import load_manifest

    manifest = REPO / "examples" / "crops" / "labels.jsonl"
    for regional in load_manifest().regional:
        result = CliRunner().invoke(main, ["eval", "--crop", "--no-locate", "--countries", ",".join(regional.countries), str(manifest)])
        assert result.exit_code == 0, result.output
        said = result.stderr.split("recognizer: ")[1].splitlines()[0]
        assert said.split()[0].endswith(regional.fp32)
        if regional.steep:
            assert f"({regional.steep.fp32} at {regional.steep.min_tilt_degrees:g}+ degrees)" in said


@needs_model
def test_eval_says_which_regional_models_read_beside_the_general_one():
    from platereader.runtime.shipped import load_manifest

    manifest = REPO / "examples" / "crops" / "labels.jsonl"
    routed = [r for r in load_manifest().regional if r.routes]
    result = CliRunner().invoke(main, ["eval", "--crop", "--no-locate", str(manifest)])
    assert result.exit_code == 0, result.output
    said = [f"+ {r.fp32}" + (f" ({r.steep.fp32} at {r.steep.min_tilt_degrees:g}+ degrees)" if r.steep else "") for r in routed]
    assert all(f"{text} for {r.countries[0]}" in result.stderr for text, r in zip(said, routed, strict=True))
    alone = CliRunner().invoke(main, ["eval", "--crop", "--no-locate", "--no-regional", str(manifest)])
    assert alone.exit_code == 0, alone.output
    assert " + " not in alone.stderr.split("recognizer: ")[1].splitlines()[0]


@needs_model
def test_eval_reads_a_manifest_with_masked_plates_with_privacy_masks(tmp_path):
    from platereader.generation import PlateGenerator

    samples = [s for s in PlateGenerator(seed=5, negative_rate=0.0, mask_rate=1.0).samples(0, 12) if s.readable][:4]
    lines = []
    for i, s in enumerate(samples):
        cv2.imwrite(str(tmp_path / f"{i}.png"), cv2.cvtColor(s.image, cv2.COLOR_RGB2BGR))
        lines.append(json.dumps({"image": f"{i}.png", "text_masked": s.target}) + "\n")
    manifest = tmp_path / "masked.jsonl"
    manifest.write_text("".join(lines))
    result = CliRunner().invoke(main, ["eval", "--crop", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "reading with --privacy-masks" in result.stderr and "exact match:" in result.stdout


@needs_model
def test_python_api_accepts_path_array_and_pil():
    from PIL import Image

    from platereader import Reader

    reader = Reader()
    path = REPO / "examples" / "crops" / "nl.png"
    array = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    by_path = reader.read_crop(path)
    assert by_path.text
    assert reader.read_crop(array).text == by_path.text
    assert reader.read_crop(Image.open(path)).text == by_path.text
    with pytest.raises(ValueError, match="shape"):
        reader.read_crop(np.zeros((4, 4, 7), np.uint8))
