"""The ``platereader`` command line."""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path

import click

from platereader.drawing import write_drawing
from platereader.formats import FormatError
from platereader.generation.fonts import FontError
from platereader.generation.generator import SHOTS_PER_PLATE


def resume_options(command):
    """--resume and --stop-after, shared by both training commands."""
    command = click.option(
        "--stop-after", type=click.IntRange(min=1), default=None, help="Stop at this step (checkpointed; continue later with --resume)."
    )(command)
    return click.option("--resume", is_flag=True, help="Continue from OUT/last.pt.")(command)


def validation_options(dev_help: str):
    """--dev-root and --eval-every, shared by both training commands (``dev_help`` says what is read)."""

    def decorate(command):
        command = click.option("--eval-every", type=click.IntRange(min=1), default=500, show_default=True)(command)
        return click.option(
            "--dev-root", type=click.Path(path_type=Path), default=Path("../shared/data/dev"), show_default=True, help=dev_help
        )(command)

    return decorate


font_dirs_option = click.option(
    "--font-dir", "font_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra font folder (repeatable)."
)
# Training commands render their caches in this many processes.
cache_workers_option = click.option(
    "--workers", type=click.IntRange(min=0), default=2, show_default=True, help="Rendering processes for the cache."
)


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _echo_last_record(summary: dict) -> None:
    """A training run's last validation record, as one JSON line."""
    click.echo(json.dumps(summary["history"][-1] if summary["history"] else {}))


@click.group()
@click.version_option(package_name="platereader")
def main() -> None:
    """Read vehicle number plates; generate synthetic plates; train and evaluate the recognizer."""


@main.command()
@click.option("--countries", default="", help="Comma-separated country codes (de,fr,...); all by default.")
@click.option("--count", type=click.IntRange(min=1), required=True, help="How many plates to render.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@click.option("--seed", type=int, default=0, show_default=True)
@font_dirs_option
@click.option(
    "--format-file",
    "format_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra country format YAML file or folder (repeatable).",
)
@click.option("--size", default="", help="Resize crops to WxH (e.g. 128x32); camera resolution by default.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True, help="Rendering processes (0 = in this process).")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path), help="Also write a labelled contact sheet PNG.")
def synth(
    countries: str,
    count: int,
    out: Path,
    seed: int,
    font_dirs: tuple[Path, ...],
    format_files: tuple[Path, ...],
    size: str,
    workers: int,
    preview: Path | None,
) -> None:
    """Render synthetic plates: OUT/images/*.png and OUT/labels.jsonl."""
    from platereader.generation import PlateGenerator
    from platereader.generation.writer import write_dataset

    out_size = None
    if size:
        try:
            w, h = (int(v) for v in size.lower().split("x"))
            out_size = (w, h)
        except ValueError:
            _fail(f"--size {size!r}: expected WIDTHxHEIGHT, e.g. 128x32")
    try:
        generator = PlateGenerator(
            countries=countries.split(",") if countries else None,
            font_dirs=list(font_dirs),
            format_files=list(format_files),
            seed=seed,
            out_size=out_size,
        )
    except (FormatError, FontError) as exc:
        _fail(str(exc))
    write_dataset(generator, out, count, workers=workers, preview=preview)
    click.echo(f"wrote {count} plates to {out} ({out / 'labels.jsonl'})" + (f", preview {preview}" if preview else ""), err=True)


_countries_option = click.option(
    "--countries", default="", help="Fit reads to these countries' formats only (codes, e.g. ES,PT); all by default."
)


_privacy_masks_option = click.option(
    "--privacy-masks",
    is_flag=True,
    help="The plates have characters greyed out (as in some public data sets): read a hidden character as '?'.",
)


_no_locate_option = click.option(
    "--no-locate",
    is_flag=True,
    help="Read crops (--crop) and boxes (--boxes) as given; by default each is also cut out upright by its plate's "
    "corners (the corner finder), and one not read confidently is searched for its plate with the detector "
    "(loose, shifted or tilted boxes).",
)


_no_country_fit_option = click.option(
    "--no-country-fit",
    is_flag=True,
    help="Do not fit reads to their plate's country; by default, without --countries or --no-grammar, a read of a "
    "crop, a box or a detection that spells none of the formats of the country the country classifier is sure it "
    "shows is read again held to that country's formats.",
)


_no_regional_option = click.option(
    "--no-regional",
    is_flag=True,
    help="Read with the general model alone (faster); by default, without --countries or --model, the shipped regional "
    "models read beside it and take the plates they read in their countries' formats (Spain's 1234 BCD).",
)

_no_second_look_option = click.option(
    "--no-second-look",
    is_flag=True,
    help="Read crops and boxes once (faster); by default one not read confidently is read again in several "
    "re-framings that vote (tight or loose boxes).",
)


def _parse_turns(ctx, param, value: str) -> tuple[float, ...]:
    from platereader.pipeline import parse_turns

    try:
        return parse_turns(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_threshold_option = click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=0.3,
    show_default=True,
    help="Detection confidence threshold (the plate filter weighs it too).",
)


_turns_option = click.option(
    "--turns",
    default="",
    callback=_parse_turns,
    help="Also look for plates in copies of each photo turned by these degrees (e.g. -20,20), for cameras "
    "or plates mounted at a roll the detector misses upright; one more detector pass per turn.",
)


def _share_option(flag: str, default: float, text: str):
    """A training share in [0, 1] (of plates, crops or masks)."""
    return click.option(flag, type=click.FloatRange(0, 1), default=default, show_default=True, help=text)


@dataclass(frozen=True)
class ReaderChoices:
    """The reader settings `read` and `eval` share, as their options give them."""

    model: Path | None
    detector: Path | None
    threshold: float
    int8: bool
    no_grammar: bool
    countries: str
    privacy_masks: bool
    no_locate: bool
    no_second_look: bool
    no_regional: bool
    no_country_fit: bool
    turns: tuple[float, ...]


_READER_OPTIONS = (
    click.option("--model", type=click.Path(dir_okay=False, path_type=Path), help="Recognizer .onnx (the shipped one by default)."),
    click.option("--detector", type=click.Path(dir_okay=False, path_type=Path), help="Detector .onnx (the shipped one by default)."),
    _threshold_option,
    click.option("--int8", is_flag=True, help="Use the int8 recognizer."),
    click.option("--no-grammar", is_flag=True, help="Do not re-score reads with the country formats."),
    _countries_option,
    _privacy_masks_option,
    _no_locate_option,
    _no_second_look_option,
    _no_regional_option,
    _no_country_fit_option,
    _turns_option,
)


def reader_options(command):
    """The options of ``ReaderChoices``, handed to ``command`` as one ``choices`` argument."""

    @functools.wraps(command)
    def with_choices(**kwargs):
        choices = ReaderChoices(**{f.name: kwargs.pop(f.name) for f in fields(ReaderChoices)})
        return command(choices=choices, **kwargs)

    for option in reversed(_READER_OPTIONS):
        with_choices = option(with_choices)
    return with_choices


def _reader(choices: ReaderChoices):
    from platereader.api import Reader

    if choices.countries and choices.no_grammar:
        _fail("--countries picks the formats the grammar fits reads to; it has no effect with --no-grammar")
    try:
        reader = Reader(
            model=choices.model,
            int8=choices.int8,
            grammar=not choices.no_grammar,
            detector=choices.detector,
            detection_threshold=choices.threshold,
            countries=choices.countries.split(",") if choices.countries else None,
            privacy_masks=choices.privacy_masks,
            locate_in_crops=not choices.no_locate,
            turns=choices.turns,
            second_look=not choices.no_second_look,
            regional=not choices.no_regional,
            fit_to_country=not choices.no_country_fit,
        )
        if reader.fit_to_country:
            reader.country_classifier  # noqa: B018  (load now: a missing or broken one is one clear error)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    return reader


def _load_detectors(reader) -> None:
    """Load the detector and the corner finder now: a missing or broken one is one clear error, not
    one per image."""
    try:
        reader.detector  # noqa: B018
        reader.corner_finder  # noqa: B018
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--crop", is_flag=True, help="Treat every image as one plate crop (one read per image, no search for more plates).")
@click.option(
    "--boxes",
    "boxes_path",
    type=click.Path(path_type=Path),
    help="Read at another detector's boxes: a folder of YOLO .txt files (class cx cy w h, normalised) "
    'or a JSON lines file {"image": ..., "boxes": [[x, y, w, h], ...]}.',
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image on stdout.")
@click.option("--draw", type=click.Path(file_okay=False, path_type=Path), help="Write each image with boxes and text drawn on it here.")
@reader_options
def read(inputs: tuple[str, ...], crop: bool, boxes_path: Path | None, as_json: bool, draw: Path | None, choices: ReaderChoices) -> None:
    """Find and read the plates in IMAGES_OR_FOLDERS (photos, frames; or crops with --crop).

    Exit status 1 if any image could not be read; the others are still read and reported.
    """
    from tqdm import tqdm

    from platereader.detection.boxes import BoxFileError, boxes_for, load_box_source
    from platereader.runtime.images import ImageError, expand_inputs, load_image

    if crop and boxes_path:
        _fail("--crop and --boxes exclude each other: --crop reads whole images as plates, --boxes reads at given boxes")
    if crop and draw:
        _fail("--draw marks plates found in full images; with --crop there is nothing to mark")
    try:
        box_source = load_box_source(boxes_path) if boxes_path else None
    except BoxFileError as exc:
        _fail(str(exc))
    if choices.turns and (crop or boxes_path):
        _fail("--turns looks for plates in whole photos; with --crop or --boxes nothing is looked for")
    reader = _reader(choices)
    if reader.locate_in_crops or not (crop or boxes_path):
        _load_detectors(reader)  # whole photos use the corner finder too, on unsure detections
    paths = expand_inputs(list(inputs))
    if not paths:
        _fail("no images found in " + ", ".join(inputs))
    failures, rows, drawn, without_boxes = 0, [], set(), []
    for path in tqdm(paths, desc="read", unit="img", disable=len(paths) < 20 or not sys.stderr.isatty()):
        try:
            image = load_image(path)
            if crop:
                read_one = reader.read_crop(image)
                plates = [read_one] if read_one.readable else []
            elif box_source is not None:
                given = boxes_for(box_source, path, image.shape[1], image.shape[0])
                if given is None:  # as in YOLO's convention: no label file, no plates
                    without_boxes.append(str(path))
                plates = reader.read(image, boxes=given or [])
            else:
                plates = reader.read(image)
            result = {"image": str(path), "plates": [p.to_dict() for p in plates]}
            if draw:
                write_drawing(draw, path, image, plates, drawn)
        except (ImageError, BoxFileError, ValueError) as exc:
            failures += 1
            result = {"image": str(path), "error": str(exc)}
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            rows.append(result)
    if not as_json:
        _print_table(rows)
    if draw:
        click.echo(f"drawings: {draw}", err=True)
    if without_boxes:
        click.echo(f"{len(without_boxes)} images have no boxes in {boxes_path}, so no plates: " + ", ".join(without_boxes[:5]), err=True)
    if failures:
        click.echo(f"{failures} of {len(paths)} images could not be read", err=True)
        sys.exit(1)


def _print_table(rows: list[dict]) -> None:
    width = max((len(r["image"]) for r in rows), default=5)
    with_boxes = any("box" in p for r in rows for p in r.get("plates", []))
    click.echo(f"{'image':<{width}}  {'plate':<12} confidence" + ("  box (x, y, w, h)" if with_boxes else ""))
    for r in rows:
        if "error" in r:
            click.echo(f"{r['image']:<{width}}  ERROR: {r['error']}")
        elif not r["plates"]:
            click.echo(f"{r['image']:<{width}}  {'(none)':<12} -")
        for p in r.get("plates", []):
            box = "  " + " ".join(f"{v:.0f}" for v in p["box"]) if "box" in p else ""
            click.echo(f"{r['image']:<{width}}  {p['text'] or '(unreadable)':<12} {p['confidence']:<10.3f}{box}")


@main.command("eval")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crop", is_flag=True, help="Images are plate crops: score reading them (with --no-locate, the recognizer alone).")
@click.option("--full", is_flag=True, help="Images are full photos: score detection and end-to-end reads (the default).")
@reader_options
@click.option("--report", type=click.Path(file_okay=False, path_type=Path), help="Write an HTML page of the misses with thumbnails.")
def evaluate(manifest: Path, crop: bool, full: bool, choices: ReaderChoices, report: Path | None) -> None:
    """Score reads against MANIFEST.jsonl (image, text or text_masked; bbox [x, y, w, h] for --full).

    With --full, each line is one plate in a photo (several lines may name the same photo).
    A manifest with masked plates (text_masked) is read with --privacy-masks.
    """
    from platereader.evaluation import load_manifest, score

    if crop and full:
        _fail("choose one of --crop and --full")
    if crop and choices.turns:
        _fail("--turns looks for plates in whole photos (--full); crops are read as plates")
    try:
        items = load_manifest(manifest)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    if not choices.privacy_masks and any(item.masked for item in items):
        click.echo(f"{manifest} has masked plates (text_masked): reading with --privacy-masks", err=True)
        choices = replace(choices, privacy_masks=True)
    reader = _reader(choices)
    # --countries may pick a regional model; without it, regional models may read beside the general one
    click.echo(f"recognizer: {reader.recognizer.path}{reader.recognizer.steep_described}{reader.recognizer.routes_described}", err=True)
    if crop:
        if reader.locate_in_crops:
            _load_detectors(reader)
        reads, failed = _read_crops_for_eval(reader, items)
        result = score(items, reads)
        click.echo(result.table())
    else:
        result = _evaluate_full(reader, items)
        failed = result.failed_images
        click.echo(result.table())
        result = result.reads
    click.echo("worst misses (truth -> read): " + ", ".join(f"{t}->{r or '-'}" for _, t, r in result.misses[:15]))
    if failed:
        click.echo(f"{failed} images could not be read; their plates count as misses", err=True)
    if report:
        from platereader.reporting import write_miss_report

        page = write_miss_report(report, result)
        click.echo(f"report: {page}")


def _read_crops_for_eval(reader, items) -> tuple[list[str], int]:
    from platereader.runtime.images import ImageError, load_image

    reads, failed = [], 0
    for item in items:
        try:
            reads.append(reader.read_crop(load_image(item.image)).text)
        except ImageError as exc:
            click.echo(f"skipped: {exc}", err=True)
            reads.append("")
            failed += 1
    return reads, failed


def _evaluate_full(reader, items):
    from platereader.evaluation import evaluate_full_images

    _load_detectors(reader)
    report, errors = evaluate_full_images(reader, items, progress=sys.stderr.isatty())
    for error in errors:
        click.echo(f"skipped: {error}", err=True)
    return report


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run folder (checkpoints, summary).")
@click.option("--config", help="Model config name or YAML path [default: the --init weights' model, else ctc_ctx_s2].")
@click.option("--steps", type=click.IntRange(min=1), default=6000, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=2), default=128, show_default=True)
@click.option("--lr", type=float, default=3e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--train-count", type=click.IntRange(min=100), default=240000, show_default=True, help="Generated plates to render into the cache."
)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help="Cache folder (default: OUT/cache-seedS-N).")
@font_dirs_option
@click.option("--countries", default="")
@click.option("--init", type=click.Path(dir_okay=False, path_type=Path), help="Start from this checkpoint (fine-tuning).")
@click.option(
    "--data", type=click.Path(file_okay=False, path_type=Path), help="Folder of labelled crops (labels.jsonl or labels.csv) to mix in."
)
@click.option("--data-share", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@_share_option(
    "--unreadable-share", 0.0, "Share of the generated plates marked illegible to train on, as 'no readable plate' (empty target)."
)
@click.option(
    "--shots-per-plate",
    type=click.IntRange(min=1),
    default=SHOTS_PER_PLATE,
    show_default=True,
    help="Photos the generator takes of each drawn plate (new pose, light, damage); 1: every crop a new registration.",
)
@_share_option("--negative-share", 1.0, "Share of the generated crops with no plate (empty target) to train on.")
@click.option(
    "--jitter/--no-jitter",
    default=True,
    show_default=True,
    help="Random brightness, contrast and noise on each training batch, on top of the generator's own.",
)
@validation_options("Real dev crops to validate on (skipped when absent).")
@resume_options
@cache_workers_option
@click.option(
    "--mask-rate",
    type=click.FloatRange(0, 1),
    default=None,
    help="Share of generated plates with 1-2 characters under privacy masks (default 0.1 when the model has the mask class, else 0).",
)
@_share_option(
    "--photo-mask-share",
    0.0,
    "Share of masked plates whose boxes are painted into the finished photo (sharp, in the plate's tint), not onto the plate.",
)
@_share_option("--tight-crop-share", 0.0, "Share of generated crops cut at the plate's edges, with no margin (the rest are loose boxes).")
@_share_option("--steep-roll-share", 0.0, "Share of generated plates turned up to 30 degrees in the image plane (the rest 3, at most 10).")
@_share_option("--cut-out-share", 0.0, "Share of generated crops cut out upright by the plate's corners, as the corner finder cuts them.")
@_share_option("--hard-share", 0.0, "Share of each batch drawn from the crops the --init weights find hardest (see --hard-pool).")
@click.option(
    "--hard-pool",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.2,
    show_default=True,
    help="With --hard-share: the share of readable cache crops with the highest loss under the --init weights.",
)
def train(
    out: Path,
    config: str,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    train_count: int,
    cache: Path | None,
    font_dirs: tuple[Path, ...],
    countries: str,
    init: Path | None,
    data: Path | None,
    data_share: float,
    dev_root: Path,
    eval_every: int,
    resume: bool,
    stop_after: int | None,
    workers: int,
    mask_rate: float | None,
    photo_mask_share: float,
    tight_crop_share: float,
    steep_roll_share: float,
    cut_out_share: float,
    unreadable_share: float,
    negative_share: float,
    shots_per_plate: int,
    jitter: bool,
    hard_share: float,
    hard_pool: float,
) -> None:
    """Train the recognizer on generated plates (render once into a cache, then optimise)."""
    try:
        from platereader.training.cache import CacheMismatch, build_cache, cache_name
        from platereader.training.train import TrainOptions, resolve_model_config
        from platereader.training.train import train as run_training
    except ImportError as exc:
        _fail(f"training needs the train extra (pip install '.[train]'): {exc}")
    from platereader.alphabet import MASK

    try:
        model_config = resolve_model_config(config, init)
    except ValueError as exc:
        _fail(str(exc))
    has_mask = MASK in model_config.alphabet
    mask_rate = (0.1 if has_mask else 0.0) if mask_rate is None else mask_rate
    if mask_rate and not has_mask:
        _fail(f"--mask-rate needs a model whose alphabet has the mask class {MASK!r}; {model_config.name} has none")
    size = (model_config.input_width, model_config.input_height)
    settings = {
        "mask_rate": mask_rate,
        "photo_mask_share": photo_mask_share,
        "tight_crop_share": tight_crop_share,
        "steep_roll_share": steep_roll_share,
        "cut_out_share": cut_out_share,
    }
    cache = cache or out / cache_name(seed, train_count, **settings, shots_per_plate=shots_per_plate)
    val_cache = out / cache_name(seed + 1, 2000, **settings, validation=True)
    country_list = countries.split(",") if countries else None
    # The validation plates keep the default shots, so runs with other settings validate on the same crops.
    for path, count, s, shots in ((cache, train_count, seed, shots_per_plate), (val_cache, 2000, seed + 1, SHOTS_PER_PLATE)):
        try:
            build_cache(path, count, size, s, list(font_dirs), country_list, workers=workers, shots_per_plate=shots, **settings)
        except CacheMismatch as exc:
            _fail(f"{exc}. Delete it, or give another --out or --cache")
    options = TrainOptions(
        out=out,
        cache=cache,
        val_cache=val_cache,
        config=model_config,  # resolved once above (it may come from the --init checkpoint)
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        eval_every=eval_every,
        init=init,
        data=data,
        data_share=data_share,
        dev_root=dev_root if dev_root.exists() else None,
        resume=resume,
        unreadable_share=unreadable_share,
        negative_share=negative_share,
        jitter=jitter,
        stop_after=stop_after,
        hard_share=hard_share,
        hard_pool=hard_pool,
    )
    try:
        summary = run_training(options)
    except (ValueError, FileNotFoundError) as exc:  # bad --init, --data or cache
        _fail(str(exc))
    _echo_last_record(summary)


@main.command("train-detector")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run folder (checkpoints, summary).")
@click.option("--config", default="det_tiny", show_default=True, help="Detector config name or YAML path.")
@click.option("--steps", type=click.IntRange(min=1), default=3000, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--lr", type=float, default=3e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--detect-root",
    type=click.Path(path_type=Path),
    default=Path("../shared/data/detect"),
    show_default=True,
    help="Real photos with plate boxes (manifest.jsonl: image, boxes).",
)
@click.option("--font-dir", "font_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra fonts for the pasted plates.")
@click.option("--synth-rate", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="Share of windows with generated plates.")
@_share_option("--tilt-share", 0.0, "Share of windows turned up to 30 degrees (the rest about 3), for plates on tilted cameras or mounts.")
@_share_option("--paste-roll-share", 0.0, "Share of pasted generated plates turned up to 30 degrees: steep plates with exact corners.")
@_share_option("--paste-yaw-share", 0.0, "Share of pasted generated plates seen from the side (turned 40-70 degrees about the vertical).")
@_share_option("--zoom-share", 0.0, "Share of windows zoomed in up to 2.7x the run-time scale (the rest 0.55-1.4x): close-up plates.")
@_share_option("--two-row-share", 0.0, "Share of the generated plates drawn in a two-row layout (about 3% in the natural mix).")
@validation_options("Boxed dev photos to validate on (skipped when absent).")
@resume_options
@click.option(
    "--init", type=click.Path(dir_okay=False, path_type=Path), help="Start from these weights (e.g. weights/detector.pt) to fine-tune."
)
def train_detector(
    out: Path,
    config: str,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    detect_root: Path,
    dev_root: Path,
    font_dirs: tuple[Path, ...],
    synth_rate: float,
    tilt_share: float,
    paste_roll_share: float,
    paste_yaw_share: float,
    zoom_share: float,
    two_row_share: float,
    eval_every: int,
    resume: bool,
    init: Path | None,
    stop_after: int | None,
) -> None:
    """Train the plate detector on boxed photos plus generated plates composed into them."""
    try:
        from platereader.training.detector_train import DetectorTrainOptions
        from platereader.training.detector_train import train_detector as run_training
    except ImportError as exc:
        _fail(f"training needs the train extra (pip install '.[train]'): {exc}")
    if not (detect_root / "manifest.jsonl").is_file():
        _fail(f"{detect_root}: no manifest.jsonl of boxed photos (see --detect-root)")
    try:
        summary = run_training(
            DetectorTrainOptions(
                out=out, detect_root=detect_root, config=config, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                eval_every=eval_every, dev_root=dev_root if (dev_root / "manifest.jsonl").is_file() else None,
                font_dirs=list(font_dirs), synth_rate=synth_rate, tilt_share=tilt_share,
                paste_roll_share=paste_roll_share, paste_yaw_share=paste_yaw_share, zoom_share=zoom_share,
                two_row_share=two_row_share, resume=resume, init=init,
                stop_after=stop_after,
            )
        )  # fmt: skip
    except ValueError as exc:
        _fail(str(exc))
    _echo_last_record(summary)


@main.command("train-corners")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run folder (cache, checkpoints, summary).")
@click.option("--config", default="corners_tiny", show_default=True, help="Corner-finder config name or YAML path.")
@click.option(
    "--count",
    type=click.IntRange(min=20),
    default=80000,
    show_default=True,
    help="Generated crops to render (a tenth, at most 2,000, held out).",
)
@click.option("--steps", type=click.IntRange(min=1), default=2400, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=2), default=128, show_default=True)
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the batches and augmentation.")
@click.option("--render-seed", type=int, default=100, show_default=True, help="Generator seed of the rendered crops.")
@click.option(
    "--cache", type=click.Path(dir_okay=False, path_type=Path), help="Render cache .npz (default: OUT/corners-cache-seedS-N.npz)."
)
@font_dirs_option
@_share_option("--steep-roll-share", 0.0, "Share of generated plates turned up to 30 degrees in the image plane (the rest 3, at most 10).")
@_share_option("--loose-crop-share", 0.0, "Share of generated crops with a quarter to a half of the plate as margin on each side.")
@cache_workers_option
@click.option("--eval-every", type=click.IntRange(min=1), default=400, show_default=True)
@resume_options
def train_corners(
    out: Path,
    config: str,
    count: int,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    render_seed: int,
    cache: Path | None,
    font_dirs: tuple[Path, ...],
    steep_roll_share: float,
    loose_crop_share: float,
    workers: int,
    eval_every: int,
    resume: bool,
    stop_after: int | None,
) -> None:
    """Train the corner finder (a crop's four plate corners) on generated crops.

    Export OUT/last.pt with `platereader export` to use it: Reader(corners=...) or in place of
    the shipped weights/corners.onnx.
    """
    try:
        from platereader.training.corner_train import CornerTrainOptions
        from platereader.training.corner_train import train_corners as run_training
    except ImportError as exc:
        _fail(f"training needs the train extra (pip install '.[train]'): {exc}")
    options = CornerTrainOptions(
        out=out, config=config, count=count, steps=steps, batch_size=batch_size, lr=lr, seed=seed, render_seed=render_seed,
        cache=cache, font_dirs=list(font_dirs), steep_roll_share=steep_roll_share, loose_crop_share=loose_crop_share,
        workers=workers, eval_every=eval_every, resume=resume, stop_after=stop_after,
    )  # fmt: skip
    try:
        summary = run_training(options)
    except (ValueError, FontError) as exc:
        _fail(str(exc))
    _echo_last_record(summary)


@main.command("train-country")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run folder (caches, checkpoints, summary).")
@click.option("--config", default="country_tiny", show_default=True, help="Country-classifier config name or YAML path.")
@click.option("--steps", type=click.IntRange(min=1), default=4000, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=2), default=128, show_default=True)
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the rendered plates (validation: seed + 1) and the batches.")
@click.option("--train-count", type=click.IntRange(min=20), default=240000, show_default=True, help="Generated crops to render.")
@font_dirs_option
@cache_workers_option
@click.option("--eval-every", type=click.IntRange(min=1), default=500, show_default=True)
@resume_options
def train_country(
    out: Path,
    config: str,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    train_count: int,
    font_dirs: tuple[Path, ...],
    workers: int,
    eval_every: int,
    resume: bool,
    stop_after: int | None,
) -> None:
    """Train the country classifier on generated crops, rendered as for the shipped recognizer
    (a cache that `platereader train` rendered into the same OUT with the same seed, count and
    fonts is the same, and is reused).

    Export OUT/last.pt with `platereader export` to use it (fp32 and int8): Reader(country=...), or
    in place of the shipped weights/country.int8.onnx, which the reader uses.
    """
    try:
        from platereader.training.cache import CacheMismatch
        from platereader.training.country_train import CountryTrainOptions
        from platereader.training.country_train import train_country as run_training
    except ImportError as exc:
        _fail(f"training needs the train extra (pip install '.[train]'): {exc}")
    options = CountryTrainOptions(
        out=out, config=config, steps=steps, batch_size=batch_size, lr=lr, seed=seed, train_count=train_count,
        font_dirs=list(font_dirs), workers=workers, eval_every=eval_every, resume=resume, stop_after=stop_after,
    )  # fmt: skip
    try:
        summary = run_training(options)
    except CacheMismatch as exc:
        _fail(f"{exc}. Delete it, or give another --out")
    except (ValueError, FontError) as exc:
        _fail(str(exc))
    _echo_last_record(summary)


@main.command()
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="fp32 .onnx path; the int8 copy goes beside it."
)
@click.option("--calibration", type=click.Path(file_okay=False, path_type=Path), help="Cache folder for int8 calibration.")
@click.option(
    "--blank-scale",
    type=click.FloatRange(0.05, 1.0),
    default=1.0,
    show_default=True,
    help="Recognizers: weight of CTC's blank when decoding; below 1 fewer dropped characters, fewer 'no plate' answers.",
)
def export(checkpoint: Path, out: Path, calibration: Path | None, blank_scale: float) -> None:
    """Export a recognizer, detector, corner-finder or country-classifier CHECKPOINT to ONNX plus a
    weights-only .pt.

    Recognizers also get an int8 copy when --calibration (a render cache) is given; corner finders
    and country classifiers always get one, calibrated on 512 generated crops.
    """
    import torch

    from platereader.training.export import export_onnx, quantize_int8

    state = torch.load(checkpoint, weights_only=False)
    kind = state.get("kind")
    not_recognizers = {  # what a checkpoint of each kind is called, and how its int8 copy is made
        "detector": ("the detector", "it is exported as fp32 only"),
        "corners": ("a corner finder", "its int8 copy is calibrated on generated crops"),
        "country": ("a country classifier", "its int8 copy is calibrated on generated crops"),
    }
    if kind in not_recognizers:
        name, int8_note = not_recognizers[kind]
        if calibration:
            _fail(f"--calibration is for recognizers; {name} is not one: {int8_note}")
        if blank_scale != 1.0:
            _fail(f"--blank-scale is for recognizers (CTC decoding); {name} has no blank")
    export_onnx(checkpoint, out, blank_scale)
    click.echo(f"fp32: {out} ({out.stat().st_size / 1e6:.2f} MB)")
    if kind == "corners":
        from platereader.models import CornerConfig
        from platereader.training.corner_train import calibration_crops

        int8 = out.with_suffix(".int8.onnx")
        quantize_int8(out, int8, calibration_crops(CornerConfig.model_validate(state["config"])))
        click.echo(f"int8: {int8} ({int8.stat().st_size / 1e6:.2f} MB)")
    elif kind == "country":
        from platereader.models import CountryConfig
        from platereader.training.country_train import calibration_crops as country_crops

        int8 = out.with_suffix(".int8.onnx")
        quantize_int8(out, int8, country_crops(CountryConfig.model_validate(state["config"])))
        click.echo(f"int8: {int8} ({int8.stat().st_size / 1e6:.2f} MB)")
    elif calibration:
        from platereader.training.cache import load_cache

        images, _ = load_cache(calibration)
        int8 = out.with_suffix(".int8.onnx")
        quantize_int8(out, int8, images[:512])
        click.echo(f"int8: {int8} ({int8.stat().st_size / 1e6:.2f} MB)")
