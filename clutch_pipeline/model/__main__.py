"""``python -m clutch_pipeline.model FILE.csv [--draws N --tune N --no-holdout]``: fit from a CSV and print
the report as JSON, with the process's own import time (what a fresh ``clutch model fit`` pays)."""

import time

_STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402

from clutch_pipeline.model.fit import FitConfig  # noqa: E402
from clutch_pipeline.model.report import fit_csv  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m clutch_pipeline.model")
    parser.add_argument("csv")
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--sampler", default="auto", choices=["auto", "nutpie", "pymc"])
    parser.add_argument("--no-holdout", action="store_true")
    args = parser.parse_args()
    imported = time.perf_counter()
    config = FitConfig(draws=args.draws, tune=args.tune, sampler=args.sampler, holdout=not args.no_holdout)
    out = fit_csv(args.csv, config)
    out["timings"]["imports_seconds"] = round(imported - _STARTED, 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
