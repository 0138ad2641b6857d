"""Record the Remedies lab's prepared comparisons into results/remedies/ (JSON, small).

Regenerate everything (a few minutes on 2 cores):

    python -m lessons.record_remedies --all

or one card / one success curve:

    python -m lessons.record_remedies --card clipping
    python -m lessons.record_remedies --success lstm

Each file is ``lessons.remedies.Lab.record()`` of the same Lab the page builds when a
reader presses "Run this comparison live" (``card_lab`` / ``success_lab``), so a live run
reproduces the recorded numbers bit for bit on the same code, NumPy and BLAS. The only
part that is not reproducible, the wall-clock time, is written in a separate
``<name>.timing.json`` beside it (the scoreboard shows it; tests ignore it).
tests/test_page_remedies.py regenerates a cheap card and compares it exactly.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lessons import remedies as R

OUT = Path(__file__).resolve().parent.parent / "results" / "remedies"


def dumps(rec: dict) -> str:
    """The exact text written (sorted keys, no NaN/inf: lessons.remedies._jsonable made them strings/null)."""
    return json.dumps(rec, indent=1, sort_keys=True, allow_nan=False) + "\n"


def card_record(key: str) -> tuple[dict, dict]:
    card = next(c for c in R.CARDS if c.key == key)
    lab = R.card_lab(card).run_to_end()
    rec = lab.record()
    rec["command"] = f"python -m lessons.record_remedies --card {key}"
    return rec, lab.timing()


def success_record(method: str) -> tuple[dict, dict]:
    lab = R.success_lab(method, R.SUCCESS_LENGTHS, R.SUCCESS_SEEDS).run_to_end()
    rec = lab.record()
    rec["command"] = f"python -m lessons.record_remedies --success {method}"
    rec["method"] = method
    return rec, lab.timing()


def write(name: str, rec: dict, timing: dict, out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    p = out / f"{name}.json"
    p.write_text(dumps(rec))
    (out / f"{name}.timing.json").write_text(json.dumps(R._jsonable(timing), indent=1, sort_keys=True) + "\n")
    return p


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lessons.record_remedies", description=__doc__.splitlines()[0])
    ap.add_argument("--card", action="append", default=[], help="card key (repeatable): "
                    + ", ".join(c.key for c in R.CARDS))
    ap.add_argument("--success", action="append", default=[], help="method key (repeatable): "
                    + ", ".join(R.SUCCESS_METHODS))
    ap.add_argument("--all", action="store_true", help="every card and the recorded success curves")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    cards = [c.key for c in R.CARDS] if a.all else a.card
    succ = list(R.SUCCESS_RECORDED) if a.all else a.success
    if not cards and not succ:
        ap.print_help()
        return 2
    out = Path(a.out)
    for k in cards:
        rec, tm = card_record(k)
        print("wrote", write(f"card_{k}", rec, tm, out), f"({tm['compute_seconds']:.1f} s)", flush=True)
    for m in succ:
        rec, tm = success_record(m)
        print("wrote", write(f"success_{m}", rec, tm, out), f"({tm['compute_seconds']:.1f} s)", flush=True)
    return 0


def load(name: str, out: Path = OUT) -> tuple[dict | None, dict | None]:
    """(record, timing) of results/remedies/<name>.json, (None, None) if absent or unreadable."""
    try:
        rec = json.loads((out / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None, None
    try:
        tm = json.loads((out / f"{name}.timing.json").read_text())
    except (OSError, ValueError):
        tm = None
    return rec, tm


if __name__ == "__main__":
    sys.exit(main())
