"""Record a named experiment: ``python -m lessons.experiments NAME --out results/NAME.json``.

The experiments themselves are gradcore.experiments (pure, fixed settings and seeds). This command
runs one with the pinned float32 kernels (serve/kernels.py: started again pinned if NumPy is
already loaded), so a record made here replays bit for bit on any x86-64 CPU with AVX2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gradcore import experiments
from serve import kernels


def main(argv=None) -> int:
    if argv is None:
        kernels.reexec_pinned()  # a command line run, not a call from the tests
    ap = argparse.ArgumentParser(prog="python -m lessons.experiments", description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="?")
    ap.add_argument("--out", help="JSON path (a CSV with the same stem is written beside it)")
    ap.add_argument("--steps", type=int, help="override the experiment's step budget")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args(argv)
    if a.list or not a.name:
        for n, (_, d) in experiments.EXPERIMENTS.items():
            print(f"{n:22s} {d}")
        return 0
    kw = {"steps": a.steps} if a.steps else {}
    rec = experiments.run(a.name, **kw)
    if a.out:
        experiments.write(rec, Path(a.out))
        print(f"wrote {a.out} and {Path(a.out).with_suffix('.csv')}")
    else:
        print(json.dumps(rec, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
