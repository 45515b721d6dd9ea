"""A few-step training smoke run: cache -> train -> checkpoint -> resume -> ONNX -> runtime read."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="training tests need the train extra (torch)")

from platereader.runtime.recognizer import Recognizer
from platereader.training.cache import build_cache, load_cache
from platereader.training.export import export_onnx, quantize_int8
from platereader.training.train import TrainOptions, train


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    cache = build_cache(root / "cache", 96, (128, 32), seed=5, workers=0)
    # A 6-step run interrupted after 4 steps (resumed below).
    opts = TrainOptions(
        out=root / "out", cache=cache, val_cache=cache, config="ctc_micro", steps=6, batch_size=16, eval_every=2, stop_after=4
    )
    summary = train(opts)
    return root, cache, summary


def test_cache_round_trip(tiny_run):
    _, cache, _ = tiny_run
    images, labels = load_cache(cache)
    assert images.shape == (96, 32, 128) and images.dtype == np.uint8
    assert len(labels) == 96 and {"target", "text", "country", "readable"} <= set(labels[0])


def test_one_shot_per_plate_gives_every_crop_its_own_registration(tiny_run, tmp_path):
    _, three_shots, _ = tiny_run  # the default: each drawn plate photographed three times
    one_shot = build_cache(tmp_path / "one", 24, (128, 32), seed=5, workers=0, shots_per_plate=1)
    plates = lambda cache: [row["text"] for row in load_cache(cache)[1][:24] if row["text"]]  # noqa: E731
    assert len(set(plates(three_shots))) <= 8 < len(set(plates(one_shot)))
    assert json.loads((one_shot / "meta.json").read_text())["shots_per_plate"] == 1


def test_a_tight_crop_share_reaches_the_cache(tmp_path):
    loose = build_cache(tmp_path / "loose", 12, (128, 32), seed=5, workers=0)
    tight = build_cache(tmp_path / "tight", 12, (128, 32), seed=5, workers=0, tight_crop_share=1.0)
    assert json.loads((tight / "meta.json").read_text())["tight_crop_share"] == 1.0
    texts = lambda cache: [row["text"] for row in load_cache(cache)[1]]  # noqa: E731
    assert texts(loose) == texts(tight)  # the same plates, framed differently
    assert not np.array_equal(load_cache(loose)[0], load_cache(tight)[0])


def test_a_steep_roll_share_reaches_the_cache_and_older_caches_stay_usable(tmp_path):
    from platereader.training.cache import CacheMismatch

    steep = build_cache(tmp_path / "steep", 12, (128, 32), seed=5, workers=0, steep_roll_share=1.0)
    assert json.loads((steep / "meta.json").read_text())["steep_roll_share"] == 1.0
    with pytest.raises(CacheMismatch, match=r"steep_roll_share 1\.0 \(this run: 0\.0\)"):
        build_cache(steep, 12, (128, 32), seed=5, workers=0)
    # A cache rendered before the setting existed has no entry for it: it was rendered without.
    older = build_cache(tmp_path / "older", 12, (128, 32), seed=5, workers=0)
    meta = json.loads((older / "meta.json").read_text())
    del meta["steep_roll_share"]
    (older / "meta.json").write_text(json.dumps(meta))
    assert build_cache(older, 12, (128, 32), seed=5, workers=0) == older
    with pytest.raises(CacheMismatch, match=r"steep_roll_share 0\.0 \(this run: 0\.5\)"):
        build_cache(older, 12, (128, 32), seed=5, workers=0, steep_roll_share=0.5)


def test_train_refuses_a_cache_rendered_for_other_settings(tmp_path):
    from click.testing import CliRunner

    from platereader.cli import main

    german = build_cache(tmp_path / "cache", 100, (128, 32), seed=0, countries=["DE"], workers=0)
    args = ["train", "--out", str(tmp_path / "out"), "--config", "ctc_micro", "--steps", "1", "--train-count", "100"]
    args += ["--cache", str(german), "--mask-rate", "0", "--workers", "0"]
    result = CliRunner().invoke(main, [*args, "--countries", "FR"])
    assert result.exit_code != 0
    assert "rendered with other settings" in result.output and "countries ['DE'] (this run: ['FR'])" in result.output
    assert not (tmp_path / "out" / "last.pt").exists()  # nothing trained on the German plates


def test_training_writes_checkpoints_and_history(tiny_run):
    root, _, summary = tiny_run
    assert summary["steps"] == 4
    assert [h["step"] for h in summary["history"]] == [2, 4]
    assert "synthetic" in summary["history"][0]
    assert (root / "out" / "last.pt").is_file()
    assert json.loads((root / "out" / "summary.json").read_text())["steps"] == 4


def test_resume_continues_from_the_checkpoint(tiny_run):
    root, cache, _ = tiny_run
    with pytest.raises(ValueError, match="same --steps"):
        train(TrainOptions(out=root / "out", cache=cache, config="ctc_micro", steps=9, batch_size=16, resume=True))
    opts = TrainOptions(out=root / "out", cache=cache, config="ctc_micro", steps=6, batch_size=16, eval_every=2, resume=True)
    summary = train(opts)
    assert [h["step"] for h in summary["history"]] == [2, 4, 6]


def test_fine_tune_mixes_user_crops(tiny_run, tmp_path):
    import cv2

    root, cache, _ = tiny_run
    folder = tmp_path / "mine"
    folder.mkdir()
    rows = []
    for i in range(4):
        img = np.full((30, 120, 3), 230, np.uint8)
        cv2.putText(img, f"AB{i}23", (5, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
        cv2.imwrite(str(folder / f"{i}.png"), img)
        rows.append(json.dumps({"image": f"{i}.png", "text": f"AB {i}23"}))
    (folder / "labels.jsonl").write_text("\n".join(rows))
    opts = TrainOptions(
        out=tmp_path / "ft",
        cache=cache,
        steps=2,
        batch_size=8,
        eval_every=2,
        init=root / "out" / "last.pt",  # no config named: the model is the one these weights belong to
        data=folder,
        data_share=0.5,
    )
    summary = train(opts)
    assert summary["steps"] == 2 and summary["config"] == "ctc_micro"


def test_init_weights_of_another_model_fail_naming_the_file(tiny_run, tmp_path):
    root, cache, _ = tiny_run
    init = root / "out" / "last.pt"
    opts = TrainOptions(out=tmp_path / "ft", cache=cache, config="ctc_tiny", steps=1, batch_size=8, init=init)
    with pytest.raises(ValueError, match="weights of another model"):
        train(opts)


def test_init_weights_fine_tune_a_model_with_more_ctc_steps_then_export_and_read(tiny_run, tmp_path):
    from platereader.models.config import load_model_config

    root, cache, _ = tiny_run
    micro = load_model_config("ctc_micro")
    two_steps = micro.model_copy(update={"name": "ctc_micro_x2", "steps_per_column": 2})
    opts = TrainOptions(
        out=tmp_path / "ft", cache=cache, config=two_steps, steps=2, batch_size=8, eval_every=2, init=root / "out" / "last.pt"
    )
    assert train(opts)["config"] == "ctc_micro_x2"
    onnx_path = export_onnx(tmp_path / "ft" / "last.pt", tmp_path / "x2.onnx")
    crop = np.repeat(np.asarray(load_cache(cache)[0][0])[..., None], 3, axis=2)
    probs, _ = Recognizer(onnx_path, threads=1).probabilities([crop])
    assert probs.shape[1] == 2 * (128 // 4)  # ctc_micro's 32 columns, two steps each


def test_hard_share_draws_part_of_each_batch_from_the_crops_the_init_weights_find_hardest(tiny_run, tmp_path):
    from platereader.models import build_model
    from platereader.models.config import load_model_config
    from platereader.training.checkpoints import load_init
    from platereader.training.train import _hardest

    root, cache, _ = tiny_run
    init = root / "out" / "last.pt"
    images, labels = load_cache(cache)
    targets = [row["target"] for row in labels]
    model = build_model(load_model_config("ctc_micro"))
    load_init(init, model)
    hard = _hardest(model, np.asarray(images), targets, model.config.alphabet, pool=0.25)
    readable = [i for i, t in enumerate(targets) if t]
    assert len(hard) == round(0.25 * len(readable)) and all(targets[i] for i in hard)
    # The pool is the tail of the ranking: the whole readable set ranks every readable crop.
    assert _hardest(model, np.asarray(images), targets, model.config.alphabet, pool=1.0).tolist() == readable
    assert np.array_equal(hard, _hardest(model, np.asarray(images), targets, model.config.alphabet, pool=0.25))

    opts = TrainOptions(out=tmp_path / "hard", cache=cache, steps=2, batch_size=8, eval_every=2, init=init, hard_share=0.5)
    assert train(opts)["steps"] == 2
    with pytest.raises(ValueError, match="--hard-share needs --init"):
        train(TrainOptions(out=tmp_path / "no_init", cache=cache, config="ctc_micro", steps=1, batch_size=8, hard_share=0.5))


def test_export_and_read_with_onnxruntime(tiny_run):
    root, cache, _ = tiny_run
    onnx_path = export_onnx(root / "out" / "last.pt", root / "model.onnx")
    images, _ = load_cache(cache)
    int8_path = quantize_int8(onnx_path, root / "model.int8.onnx", np.asarray(images[:32]))
    crop = np.repeat(np.asarray(images[0])[..., None], 3, axis=2)
    for path in (onnx_path, int8_path):
        recognizer = Recognizer(path, threads=1)
        assert recognizer.width == 128 and recognizer.height == 32
        read = recognizer.read_crops([crop, crop])[0]
        assert isinstance(read.text, str) and len(read.char_confidences) == len(read.text)
        probs, owner = recognizer.probabilities([crop])
        assert probs.shape[0] == 1 and owner.tolist() == [0] and np.allclose(probs.sum(-1), 1, atol=1e-3)


def test_no_jitter_trains_on_the_cached_pixels(tiny_run, tmp_path, monkeypatch):
    import platereader.training.train as training

    _, cache, _ = tiny_run
    calls = []
    monkeypatch.setattr(training, "augment", lambda batch, rng: calls.append(1) or batch)
    opts = dict(cache=cache, config="ctc_micro", steps=2, batch_size=16, eval_every=2)
    train(TrainOptions(out=tmp_path / "plain", jitter=False, **opts))
    assert calls == []
    train(TrainOptions(out=tmp_path / "jittered", **opts))
    assert len(calls) == 2


def test_illegible_plates_and_plate_free_crops_are_sampled_by_their_own_shares():
    from platereader.training.train import _keep_indices

    readable = {"target": "AB123", "text": "AB 123"}
    illegible = {"target": "", "text": "CD 456"}  # a plate too damaged to read: empty target
    no_plate = {"target": "", "text": ""}
    labels = [readable, illegible, no_plate] * 200
    kinds = np.array(["readable", "illegible", "no_plate"] * 200)

    default = TrainOptions(out=None, cache=None)
    kept = kinds[_keep_indices(labels, default.unreadable_share, default.negative_share, seed=0)]
    assert sorted(set(kept)) == ["no_plate", "readable"] and len(kept) == 400

    kept = kinds[_keep_indices(labels, unreadable_share=1.0, negative_share=0.0, seed=0)]
    assert sorted(set(kept)) == ["illegible", "readable"] and len(kept) == 400

    kept = kinds[_keep_indices(labels, unreadable_share=0.5, negative_share=0.0, seed=0)]
    assert 60 < (kept == "illegible").sum() < 140 and (kept == "readable").sum() == 200
