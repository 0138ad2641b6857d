"""Remedies lab: the page's computation (NumPy + gradcore only; no streamlit, no pandas).

    specs      what a comparison is: TASKS, MODELS, REMEDIES, Knobs, RunSpec, and the engine
               configs a spec becomes (train_config, hf_config) or why it cannot run (why_not)
    runtime    Lab: every run of a comparison trained a time slice at a time; Lab.record()
    cards      the prepared comparisons: one Card per remedy, the success-vs-length sweep
    analysis   the T x T map, the scoreboard and the papers' figures, success tables,
               "what to notice"
    jsonable   the numbers of a record: to JSON (jsonable) and back (recorded_float)
    records    results/remedies/*.json: the record command (python -m lessons.remedies.records)
               and reading them back

Import from the module a name lives in (nothing is re-exported here).
"""
