"""Record the Remedies lab's prepared comparisons into results/remedies/ (JSON, small), and read them.

Regenerate everything (a few minutes on 2 cores):

    python -m lessons.remedies.records --all

or one card / one success curve:

    python -m lessons.remedies.records --card clipping
    python -m lessons.remedies.records --success lstm

Each file is ``Lab.record()`` of the same Lab the page builds when a reader presses "Run live"
(``cards.card_lab`` / ``cards.success_lab``), so a live run reproduces the recorded numbers bit
for bit on the same code, NumPy and BLAS; the command runs with the pinned kernels
(serve/kernels.py). The only part that is not reproducible, the wall-clock time, is written in a
separate ``<name>.timing.json`` beside it (the scoreboard shows it; tests ignore it).
tests/pages/test_remedies_lab.py regenerates a cheap card and compares it exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lessons.remedies.cards import (
    CARDS,
    SUCCESS_LENGTHS,
    SUCCESS_METHODS,
    SUCCESS_RECORDED,
    SUCCESS_SEEDS,
    card_lab,
    success_lab,
)
from lessons.remedies.jsonable import jsonable
from serve import kernels

OUT = Path(__file__).resolve().parents[2] / "results" / "remedies"


def dumps(rec: dict) -> str:
    """The exact text written (sorted keys, no NaN/inf: jsonable made them strings/null)."""
    return json.dumps(rec, indent=1, sort_keys=True, allow_nan=False) + "\n"


def card_record(key: str) -> tuple[dict, dict]:
    card = next(c for c in CARDS if c.key == key)
    lab = card_lab(card).run_to_end()
    rec = lab.record()
    rec["command"] = f"python -m lessons.remedies.records --card {key}"
    return rec, lab.timing()


def success_record(method: str) -> tuple[dict, dict]:
    lab = success_lab(method, SUCCESS_LENGTHS, SUCCESS_SEEDS).run_to_end()
    rec = lab.record()
    rec["command"] = f"python -m lessons.remedies.records --success {method}"
    rec["method"] = method
    return rec, lab.timing()


def made_with() -> dict:
    """What a record's exact replay depends on: NumPy's version and whether the kernels were pinned."""
    import platform

    import numpy as np

    return {"numpy": np.__version__, "machine": platform.machine(), "pinned_kernels": kernels.in_effect()}


def write(name: str, rec: dict, timing: dict, out: Path = OUT) -> Path:
    timing = {**timing, "made_with": made_with()}
    out.mkdir(parents=True, exist_ok=True)
    p = out / f"{name}.json"
    p.write_text(dumps(rec))
    (out / f"{name}.timing.json").write_text(json.dumps(jsonable(timing), indent=1, sort_keys=True) + "\n")
    return p


def main(argv=None) -> int:
    if argv is None:
        kernels.reexec_pinned()  # a command line run, not a call from the tests
    ap = argparse.ArgumentParser(
        prog="python -m lessons.remedies.records", description=__doc__.splitlines()[0]
    )
    ap.add_argument(
        "--card",
        action="append",
        default=[],
        help="card key (repeatable): " + ", ".join(c.key for c in CARDS),
    )
    ap.add_argument(
        "--success",
        action="append",
        default=[],
        help="method key (repeatable): " + ", ".join(SUCCESS_METHODS),
    )
    ap.add_argument("--all", action="store_true", help="every card and the recorded success curves")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    cards = [c.key for c in CARDS] if a.all else a.card
    succ = list(SUCCESS_RECORDED) if a.all else a.success
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
    rec = _read_json(out / f"{name}.json")
    if rec is None:
        return None, None
    return rec, _read_json(out / f"{name}.timing.json")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


_SHARED: dict = {}  # path -> ((mtime_ns, size), parsed JSON)


def _read_json_shared(path: Path):
    """_read_json, parsed once per version of the file (its mtime and size) and shared by every caller."""
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _SHARED.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = _read_json(path)
    if len(_SHARED) > 256:  # results/remedies holds a few dozen files; never grow without bound
        _SHARED.clear()
    _SHARED[path] = (stamp, value)
    return value


def version(name: str, out: Path = OUT) -> tuple | None:
    """(mtime_ns, size) of results/remedies/<name>.json: changes whenever the record is rewritten."""
    try:
        st = (out / f"{name}.json").stat()
    except OSError:
        return None
    return (name, st.st_mtime_ns, st.st_size)


def load_shared(name: str, out: Path = OUT) -> tuple[dict | None, dict | None]:
    """load(), with each file parsed once per version and the result shared: read it, never change it.

    NB: the Remedies lab reads a dozen of these on every rerun (the cards' "what to notice", the
    success curves); parsing them each time was most of the page's own work at rest.
    """
    rec = _read_json_shared(out / f"{name}.json")
    if rec is None:
        return None, None
    return rec, _read_json_shared(out / f"{name}.timing.json")


if __name__ == "__main__":
    sys.exit(main())
