"""Every bundled model config builds, runs and exports (docTR-style tests over all models)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="model tests need the train extra (torch)")

from platereader.models import (  # noqa: E402
    CornerConfig,
    CountryConfig,
    DetectorConfig,
    ModelConfig,
    build_model,
    load_model_config,
    registered,
)
from platereader.models.config import CONFIG_DIR  # noqa: E402

CONFIGS = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def _of_kind(kind: type) -> list[str]:
    return [name for name in CONFIGS if type(load_model_config(name)) is kind]  # a country config is a corner config too


DETECTORS, RECOGNIZERS, CORNER_FINDERS = _of_kind(DetectorConfig), _of_kind(ModelConfig), _of_kind(CornerConfig)
COUNTRY_CLASSIFIERS = _of_kind(CountryConfig)


def test_registry_lists_the_architectures():
    assert {"ctc_cnn", "plate_det", "corner_cnn", "country_cnn"} <= set(registered())
    assert RECOGNIZERS and DETECTORS and CORNER_FINDERS and COUNTRY_CLASSIFIERS
    assert len(RECOGNIZERS) + len(DETECTORS) + len(CORNER_FINDERS) + len(COUNTRY_CLASSIFIERS) == len(CONFIGS)


@pytest.mark.parametrize("name", COUNTRY_CLASSIFIERS)
def test_country_classifier_scores_each_of_its_countries(name):
    config = load_model_config(name)
    model = build_model(config).eval()
    out = model(torch.zeros(3, 1, config.input_height, config.input_width))
    assert out.shape == (3, len(config.countries))


def test_country_config_names_bundled_countries_once(tmp_path):
    from platereader.formats import bundled_countries

    assert load_model_config("country_tiny").countries == sorted(bundled_countries())  # "NO" quoted, not read as false
    bad = tmp_path / "country_bad.yaml"
    head = "kind: country\nname: x\narch: country_cnn\nstages: [[32], [64], [96], [128]]\n"
    bad.write_text(head + "countries: [DE, XX]\n")
    with pytest.raises(ValueError, match=r"(?s)country_bad\.yaml.*XX are not bundled"):
        load_model_config(bad)
    bad.write_text(head + "countries: [DE, FR, DE]\n")
    with pytest.raises(ValueError, match="each code once"):
        load_model_config(bad)


@pytest.mark.parametrize("name", CORNER_FINDERS)
def test_corner_finder_output_shape(name):
    config = load_model_config(name)
    model = build_model(config).eval()
    out = model(torch.zeros(3, 1, config.input_height, config.input_width))
    assert out.shape == (3, 8)


def test_corner_config_input_must_fit_its_pools(tmp_path):
    bad = tmp_path / "corners_bad.yaml"
    bad.write_text("kind: corners\nname: x\narch: corner_cnn\ninput_height: 40\nstages: [[32], [64], [96], [128]]\n")
    with pytest.raises(ValueError, match=r"(?s)corners_bad\.yaml.*multiple of 32"):
        load_model_config(bad)
    bad.write_text("kind: corner\nname: x\narch: corner_cnn\nstages: [[32]]\n")
    with pytest.raises(ValueError, match="unknown kind 'corner'"):
        load_model_config(bad)


@pytest.mark.parametrize("name", DETECTORS)
def test_detector_output_shape(name):
    from platereader.models.plate_det import HEAD_CHANNELS, DetectorExport

    model = build_model(load_model_config(name)).eval()
    x = torch.zeros(2, 3, 384, 640)
    assert model(x).shape == (2, HEAD_CHANNELS, 96, 160)  # stride 4
    peaks = DetectorExport(model)(x)[:, 0]
    assert peaks.min() >= 0 and peaks.max() <= 1


@pytest.mark.parametrize("name", RECOGNIZERS)
def test_model_output_shape(name):
    config = load_model_config(name)
    model = build_model(config).eval()
    x = torch.zeros(3, 1, config.input_height, config.input_width)
    out = model(x)
    assert out.shape[0] == 3 and out.shape[2] == config.num_classes
    assert out.shape[1] >= 2 * 10  # enough frames for 10 characters with blanks between
    assert torch.allclose(out.exp().sum(-1), torch.ones(3, out.shape[1]), atol=1e-4)


def test_bad_config_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\narch: ctc_cnn\nchannels: [8]\npools: [[2, 2]]\n")
    with pytest.raises(ValueError, match=r"bad\.yaml"):
        load_model_config(bad)
    with pytest.raises(ValueError, match="no such model config"):
        load_model_config("does_not_exist")


def test_strides_need_one_entry_per_conv_stage(tmp_path):
    bad = tmp_path / "bad_strides.yaml"
    bad.write_text("name: x\narch: ctc_cnn\nchannels: [8, 8, 8]\npools: [[2, 2], [1, 1], [1, 1]]\nstrides: [[2, 2]]\n")
    with pytest.raises(ValueError, match=r"(?s)bad_strides\.yaml.*strides: 1 entries for 3 conv stages"):
        load_model_config(bad)


def test_a_strided_first_stage_gives_the_feature_maps_of_conv_and_pool():
    x = torch.zeros(1, 1, 32, 128)
    pooled, strided = (build_model(load_model_config(name)).eval().backbone(x).shape for name in ("ctc_ctx", "ctc_ctx_s2"))
    assert pooled == strided


def test_steps_per_column_multiplies_the_ctc_steps():
    one, two = (build_model(load_model_config(name)).eval() for name in ("ctc_ctx_s2", "ctc_ctx_s2_x2"))
    x = torch.zeros(1, 1, 32, 128)
    assert two(x).shape[1] == 2 * one(x).shape[1]


def test_weights_with_one_step_per_column_start_a_two_step_model_reading_the_same():
    """Fine-tuning ctc_ctx_s2 weights as ctc_ctx_s2_x2: every column's two steps begin as copies
    of its one step, column by column in order, so greedy CTC reads exactly what the parent read."""
    torch.manual_seed(0)
    parent = build_model(load_model_config("ctc_ctx_s2")).eval()
    child = build_model(load_model_config("ctc_ctx_s2_x2")).eval()
    with pytest.raises(RuntimeError):  # not loadable as they are: the classifier is twice as wide
        child.load_state_dict(parent.state_dict())
    child.load_state_dict(child.adapt_init(parent.state_dict()))
    x = torch.randn(2, 1, 32, 128)
    with torch.no_grad():
        a, b = parent(x), child(x)
    assert torch.equal(b[:, 0::2], a) and torch.equal(b[:, 1::2], a)
    # Weights already of the child's shape pass through untouched.
    assert child.adapt_init(child.state_dict()).keys() == child.state_dict().keys()
