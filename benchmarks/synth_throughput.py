"""Generator throughput: finished crops per second at model resolution.

.venv/bin/python benchmarks/synth_throughput.py --workers 2 --count 20000
"""

from __future__ import annotations

import argparse
import statistics
import time

from platereader.generation import PlateGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--height", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    generator = PlateGenerator(seed=0, out_size=(args.width, args.height))
    rates, readable_share = [], 0.0
    for _ in range(args.repeat):
        rate, readable_share = one_run(generator, args)
        rates.append(rate)
    print("| workers | crops per run | size | runs | median crops/s | range | readable |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.workers} | {args.count} | {args.width}x{args.height} | {args.repeat} | {statistics.median(rates):.0f} "
        f"| {min(rates):.0f}-{max(rates):.0f} | {readable_share:.1%} |"
    )


def one_run(generator: PlateGenerator, args: argparse.Namespace) -> tuple[float, float]:
    stream = generator.stream(args.batch, count=args.count + args.batch * 2, workers=args.workers)
    next(stream), next(stream)  # warm-up: worker start and font loading are not throughput
    start = time.perf_counter()
    done = readable = 0
    for batch in stream:
        done += len(batch)
        readable += sum(s.readable for s in batch)
    return done / (time.perf_counter() - start), readable / done


if __name__ == "__main__":
    main()
