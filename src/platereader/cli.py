"""The ``platereader`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from platereader.formats import FormatError
from platereader.generation.fonts import FontError


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group()
@click.version_option(package_name="platereader")
def main() -> None:
    """Read vehicle number plates; generate synthetic plates; train and evaluate the recognizer."""


@main.command()
@click.option("--countries", default="", help="Comma-separated country codes (de,fr,...); all by default.")
@click.option("--count", type=click.IntRange(min=1), required=True, help="How many plates to render.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--font-dir", "font_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra font folder (repeatable).")
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


def _reader(model: Path | None, int8: bool, no_grammar: bool):
    from platereader.api import Reader

    try:
        return Reader(model=model, int8=int8, grammar=not no_grammar)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--crop", is_flag=True, help="Treat every image as a plate crop.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image on stdout.")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), help="Recognizer .onnx (the shipped one by default).")
@click.option("--int8", is_flag=True, help="Use the int8 model.")
@click.option("--no-grammar", is_flag=True, help="Do not re-score reads with the country formats.")
def read(inputs: tuple[str, ...], crop: bool, as_json: bool, model: Path | None, int8: bool, no_grammar: bool) -> None:
    """Read the plates in IMAGES_OR_FOLDERS. Exit status 1 if any image could not be read."""
    from tqdm import tqdm

    from platereader.runtime.images import ImageError, expand_inputs, load_image

    if not crop:
        _fail("full-image plate detection is not available yet: pass --crop to read plate crops")
    reader = _reader(model, int8, no_grammar)
    paths = expand_inputs(list(inputs))
    if not paths:
        _fail("no images found in " + ", ".join(inputs))
    failures = 0
    rows = []
    for path in tqdm(paths, desc="read", unit="img", disable=len(paths) < 50 or not sys.stderr.isatty()):
        try:
            plates = [reader.read_crop(load_image(path))]
            result = {"image": str(path), "plates": [p.to_dict() for p in plates if p.readable]}
        except ImageError as exc:
            failures += 1
            result = {"image": str(path), "error": str(exc)}
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            rows.append(result)
    if not as_json:
        _print_table(rows)
    if failures:
        click.echo(f"{failures} of {len(paths)} images could not be read", err=True)
        sys.exit(1)


def _print_table(rows: list[dict]) -> None:
    width = max((len(r["image"]) for r in rows), default=5)
    click.echo(f"{'image':<{width}}  {'plate':<12} confidence")
    for r in rows:
        if "error" in r:
            click.echo(f"{r['image']:<{width}}  ERROR: {r['error']}")
        elif not r["plates"]:
            click.echo(f"{r['image']:<{width}}  {'(none)':<12} -")
        for p in r.get("plates", []):
            click.echo(f"{r['image']:<{width}}  {p['text']:<12} {p['confidence']:.3f}")


@main.command("eval")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crop", is_flag=True, help="Images are plate crops.")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--int8", is_flag=True)
@click.option("--no-grammar", is_flag=True)
@click.option("--report", type=click.Path(file_okay=False, path_type=Path), help="Write an HTML page of the misses with thumbnails.")
def evaluate(manifest: Path, crop: bool, model: Path | None, int8: bool, no_grammar: bool, report: Path | None) -> None:
    """Score reads against MANIFEST.jsonl (image, text or text_masked)."""
    from platereader.evaluation import load_manifest, score
    from platereader.runtime.images import ImageError, load_image

    if not crop:
        _fail("full-image evaluation needs the plate detector, which is not available yet: pass --crop")
    try:
        items = load_manifest(manifest)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    reader = _reader(model, int8, no_grammar)
    reads, failed = [], 0
    for item in items:
        try:
            reads.append(reader.read_crop(load_image(item.image)).text)
        except ImageError as exc:
            click.echo(f"skipped: {exc}", err=True)
            reads.append("")
            failed += 1
    result = score(items, reads)
    click.echo(result.table())
    click.echo("worst misses (truth -> read): " + ", ".join(f"{t}->{r or '-'}" for _, t, r in result.misses[:15]))
    if failed:
        click.echo(f"{failed} images could not be read and count as misses", err=True)
    if report:
        from platereader.reporting import write_miss_report

        page = write_miss_report(report, result)
        click.echo(f"report: {page}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run folder (checkpoints, summary).")
@click.option("--config", default="ctc_tiny", show_default=True, help="Model config name or YAML path.")
@click.option("--steps", type=click.IntRange(min=1), default=6000, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=2), default=128, show_default=True)
@click.option("--lr", type=float, default=3e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--train-count", type=click.IntRange(min=100), default=240000, show_default=True, help="Generated plates to render into the cache."
)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help="Cache folder (default: OUT/cache-seedS-N).")
@click.option("--font-dir", "font_dirs", multiple=True, type=click.Path(path_type=Path))
@click.option("--countries", default="")
@click.option("--init", type=click.Path(dir_okay=False, path_type=Path), help="Start from this checkpoint (fine-tuning).")
@click.option(
    "--data", type=click.Path(file_okay=False, path_type=Path), help="Folder of labelled crops (labels.jsonl or labels.csv) to mix in."
)
@click.option("--data-share", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option(
    "--unreadable-share",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="Share of the generated plates marked unreadable (empty target) to train on.",
)
@click.option(
    "--dev-root",
    type=click.Path(path_type=Path),
    default=Path("../shared/data/dev"),
    show_default=True,
    help="Real dev crops to validate on (skipped when absent).",
)
@click.option("--eval-every", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--resume", is_flag=True, help="Continue from OUT/last.pt.")
@click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True, help="Rendering processes for the cache.")
@click.option(
    "--mask-rate",
    type=click.FloatRange(0, 1),
    default=None,
    help="Share of generated plates with 1-2 characters under privacy masks (default 0.1 when the model has the mask class, else 0).",
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
    workers: int,
    mask_rate: float | None,
    unreadable_share: float,
) -> None:
    """Train the recognizer on generated plates (render once into a cache, then optimise)."""
    try:
        from platereader.models import load_model_config
        from platereader.training.cache import build_cache
        from platereader.training.train import TrainOptions
        from platereader.training.train import train as run_training
    except ImportError as exc:
        _fail(f"training needs the train extra (pip install '.[train]'): {exc}")
    from platereader.alphabet import MASK

    try:
        model_config = load_model_config(config)
    except ValueError as exc:
        _fail(str(exc))
    has_mask = MASK in model_config.alphabet
    mask_rate = (0.1 if has_mask else 0.0) if mask_rate is None else mask_rate
    if mask_rate and not has_mask:
        _fail(f"--mask-rate needs a model whose alphabet has the mask class {MASK!r}; {model_config.name} has none")
    size = (model_config.input_width, model_config.input_height)
    cache = cache or out / f"cache-seed{seed}-{train_count}-mask{mask_rate:g}"
    val_cache = out / f"cache-val-seed{seed + 1}-2000-mask{mask_rate:g}"
    country_list = countries.split(",") if countries else None
    for path, count, s in ((cache, train_count, seed), (val_cache, 2000, seed + 1)):
        if not (path / "images.npy").exists():
            build_cache(path, count, size, s, list(font_dirs), country_list, workers=workers, mask_rate=mask_rate)
    summary = run_training(
        TrainOptions(
            out=out,
            cache=cache,
            val_cache=val_cache,
            config=config,
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
        )
    )
    click.echo(json.dumps(summary["history"][-1] if summary["history"] else {}))


@main.command()
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="fp32 .onnx path; the int8 copy goes beside it."
)
@click.option("--calibration", type=click.Path(file_okay=False, path_type=Path), help="Cache folder for int8 calibration.")
def export(checkpoint: Path, out: Path, calibration: Path | None) -> None:
    """Export CHECKPOINT to ONNX (fp32, and int8 when --calibration is given) plus a weights-only .pt."""
    from platereader.training.export import export_onnx, quantize_int8

    export_onnx(checkpoint, out)
    click.echo(f"fp32: {out} ({out.stat().st_size / 1e6:.2f} MB)")
    if calibration:
        from platereader.training.cache import load_cache

        images, _ = load_cache(calibration)
        int8 = out.with_suffix(".int8.onnx")
        quantize_int8(out, int8, images[:512])
        click.echo(f"int8: {int8} ({int8.stat().st_size / 1e6:.2f} MB)")
