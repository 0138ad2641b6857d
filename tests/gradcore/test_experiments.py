"""The experiment command line: every name runs, and a record is the same bit for bit."""

import json

import pytest

from gradcore import experiments
from lessons.experiments import main


def test_clipping_experiment_is_deterministic_and_written(tmp_path):
    a = experiments.run("clipping_thresholds", steps=60)
    b = experiments.run("clipping_thresholds", steps=60)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert set(a["series"]) == {"clip_0.1", "clip_1", "clip_10", "no_clip"}
    # the clipped runs never step with a norm above their threshold
    assert max(a["series"]["clip_0.1"]["clipped_norm"]) <= 0.1 * (1 + 1e-6)
    out = tmp_path / "clip.json"
    assert main(["clipping_thresholds", "--steps", "60", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(json.dumps(a))
    assert out.with_suffix(".csv").read_text().startswith("series,metric,index,value")


def test_esn_experiment_and_registry():
    rec = experiments.run("esn_memory")
    mc = rec["series"]["mc_vs_rho"]["mc"]
    assert 0.8 <= rec["summary"]["rho_at_mc_max"] <= 1.1 and max(mc) <= 50
    with pytest.raises(ValueError):
        experiments.run("nope")
    assert main(["--list"]) == 0
