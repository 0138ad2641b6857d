"""Controls bound to the URL: every widget has key=<query param name>, bind="query-params".

Streamlit silently drops a URL value it cannot use (`?T=abc`, out of range, unknown
option) and falls back to the default. We read the raw value from st.query_params before
the widget is made and compare it with what the widget returned; if they differ, one
caption under the widget says so: "URL value for T ('abc') was invalid; using default 50."

Controls: slider, number, select, radio, toggle, multiselect. Every call records
(key -> default) for the reset button in the frame. Keys are the URL parameter names: keep
them short. Streamlit carries a key's value from one page's widget to the next page's widget
of the same key, so a key may be used on two pages only if it means the same thing on both
(SHARED_KEYS below; tests/app/test_app_pages.py checks it). A control that means something else
gets a page prefix: lstm_scale, cliff_lr, start_T, ...
"""

from __future__ import annotations

import math
import re

import streamlit as st

LECTURE_KEY = "lecture"

# URL keys that several pages use, each with the one meaning it has on all of them. A value set on
# one page reaches the others (ranges and options are checked, see _keep_if).
SHARED_KEYS = {
    "T": "sequence length: steps of the unrolled network (or of the task's sequences)",
    "H": "hidden size of the recurrent network",
    "act": "activation f of the vanilla RNN",
    "init": "how W_hh of the vanilla RNN is drawn; scale sets its size",
    "scale": "spectral radius / norm (or the factor on Q or I) of the vanilla RNN's W_hh, as init says",
    "xscale": "input scale: x_t ~ xscale * N(0, I)",
    "seed": "seed of the page's random draw",
}
_REGISTRY = "_ui_bound_defaults"  # session_state: key -> default of every bound control this run
_CSV_COUNTS = "_ui_csv_counts"  # session_state: download-button slug -> uses this run (unique keys)
SECTION_KEYS = "_ui_section_keys"  # session_state: URL keys of the tab sets drawn this run (ui.lazy.SEEN)
_URL_SEEN = "_ui_url_seen"  # session_state: key -> (URL string, widget value, stale) of the last run
_PENDING = "_ui_url_notices"  # session_state: key -> notice shown by a run that a later st.rerun cut short
_DROPPED = "_ui_url_dropped"  # session_state: key -> URL string taken out of the URL before a rerun
_NORMALISED = "_ui_url_normalised"  # session_state: key -> URL value(s) rewritten to the canonical option
_ALIASES = "_ui_url_aliases"  # session_state: key -> the URL key its value came from (ui.controls.alias)
_LAST_KEYS = "_ui_last_page_keys"  # session_state: control and tab keys of the last run that completed


def begin_run() -> None:
    """Forget the controls of the previous run and drop infinite URL values (the frame calls this first)."""
    _drop_infinite_values()
    st.session_state[_REGISTRY] = {}
    st.session_state[_CSV_COUNTS] = {}
    st.session_state[SECTION_KEYS] = {}  # the tab sets of this run (ui.lazy.sections fills it)


def end_run() -> None:
    """The page's run completed: forget what this URL's notices needed across reruns (the frame calls this last):
    the infinite values dropped, the notices shown, the aliased keys.

    NB: not in begin_run, and url_value does not pop them: a run that a later control cuts short with st.rerun
    (normalise_url, alias) would otherwise lose the dropped value's notice (?H=1e999&act=relu+ on the exploding
    page showed none; tests/app/test_fuzz_urls.py). A run that raises or reruns never gets here."""
    st.session_state.pop(_DROPPED, None)
    st.session_state.pop(_PENDING, None)
    st.session_state.pop(_ALIASES, None)
    st.session_state[_LAST_KEYS] = {
        **st.session_state.get(_REGISTRY, {}),
        **{key: "" for key in st.session_state.get(SECTION_KEYS, {})},
    }


def page_controls() -> dict:
    """URL key -> default of the controls and tab sets (a tab set's default: "") of the last run that completed
    and of this run so far. Every one is bound to the URL: a lecture step that opens a page sets these through
    st.session_state (Streamlit refuses st.switch_page(query_params=...) for a bound key) and clears the rest,
    so the step shows its settings and the defaults."""
    out = dict(st.session_state.get(_LAST_KEYS, {}))
    out.update(st.session_state.get(_REGISTRY, {}))
    out.update({key: "" for key in st.session_state.get(SECTION_KEYS, {})})
    return out


def _register(key: str, default) -> None:
    """Remember key -> default so reset() can restore it."""
    st.session_state.setdefault(_REGISTRY, {})[key] = default


def reset(keep=(LECTURE_KEY,)) -> None:
    """Callback: set every bound control of the last run back to its default (clears the URL)."""
    for key, default in dict(st.session_state.get(_REGISTRY, {})).items():
        if key not in keep:
            st.session_state[key] = default


def lecture_mode() -> bool:
    """True when the frame's lecture-mode toggle is on (also ?lecture=true in the URL)."""
    return bool(st.session_state.get(LECTURE_KEY, False))


def url_value(key: str) -> str | None:
    """The URL's value for key before the widget runs (None if absent), or the infinite value the frame
    dropped from this URL (_drop_infinite_values), so its control can still say it was invalid."""
    try:
        raw = st.query_params.get(key)
        if raw is None:
            raw = st.session_state.get(_DROPPED, {}).get(key)
        return raw
    except Exception:  # NB: never let a malformed URL break a page
        return None


def _keep_if(key: str, ok, default) -> None:
    """Put the default back when the session holds a value this control cannot take.

    NB: URL keys are shared across pages (T, H, act, init, scale, ...), and Streamlit carries a
    key's value from one page's widget to the next page's widget of the same key. A value that
    is valid there can be out of range here: H=200 from the RNN page (H up to 256) on the
    exploding page (H up to 128) raised StreamlitValueAboveMaxError, and init=identity (an RNN
    page option) reached a page without it (tests/app/test_shared_keys.py).
    """
    try:
        if key in st.session_state and not ok(st.session_state[key]):
            st.session_state[key] = default
    except Exception:  # NB: never let a stale state break a page
        pass


def _in_range(lo, hi, integer: bool):
    """Predicate: a finite number in [lo, hi] (integral for an int control)."""

    def ok(v) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        if integer and not float(v).is_integer():
            return False
        return (lo is None or v >= lo) and (hi is None or v <= hi)

    return ok


def _same_number(raw: str, value, integer: bool) -> bool:
    """Does the URL string mean exactly this number?"""
    try:
        f = float(raw)
    except (TypeError, ValueError):
        return False
    if not math.isfinite(f) or (integer and not f.is_integer()):
        return False
    return math.isclose(f, float(value), rel_tol=1e-9, abs_tol=1e-12)


def _overflows(raw: str | None) -> bool:
    """True for a URL number beyond float64 (?seed=1e999, ?seed=inf), which no range admits."""
    try:
        return raw is not None and math.isinf(float(raw))
    except (TypeError, ValueError):
        return False


def _drop_infinite_values() -> None:
    """Take every URL value beyond float64 (?seed=1e999, ?lr=-inf) out of the URL and rerun once.

    NB: no control takes an infinite value, and Streamlit 1.67 seeds a URL-bound int st.number_input
    with int(float(raw)), catching only ValueError/TypeError/IndexError: ?seed=inf raised
    OverflowError out of the page (found by tests/app/test_fuzz_urls.py). A widget is seeded from the URL
    its run started with, so the frame removes such values through the public st.query_params before
    any widget is built and reruns (st.rerun) with that URL; url_value() still reports what was
    dropped, so the control's one-line notice names it. Once per URL string, so it cannot loop.
    """
    try:
        bad = {k: st.query_params.get(k) for k in st.query_params if _overflows(st.query_params.get(k))}
    except Exception:  # NB: never let a malformed URL break a page
        return
    dropped = st.session_state.setdefault(_DROPPED, {})
    removed = False
    for k, v in bad.items():
        if dropped.get(k) == v:
            continue
        try:
            del st.query_params[k]
        except Exception:  # NB: a key bound to a widget already on screen cannot be deleted; it is not
            continue  # seeded again unless the browser navigates its history (upstream: int(float(raw)))
        dropped[k] = v
        removed = True
    if removed:
        st.rerun()


def _url_is_stale(key: str, raw: str | None, value) -> bool:
    """True when the widget moved away from the value it took from this same URL string.

    NB: the URL value is what seeded the widget; once the user (or the reset button) changes the
    widget, a URL that still holds the old string is stale, not invalid. Streamlit's AppTest never
    rewrites its query params, and a server may lag the browser's URL by a run, so comparing the
    stale string with the new value gave a false "URL value ... was invalid" after
    at.slider(...).set_value(...).run(). Per key we remember (raw, value, stale) of the last run:
    same raw string and a different value -> stale until the URL string changes.
    """
    try:
        seen = st.session_state.setdefault(_URL_SEEN, {})
        last = seen.get(key)
        stale = False
        if raw is not None and last is not None and last[0] == raw:
            stale = bool(last[2]) or last[1] != value
        seen[key] = (raw, value, stale)
        return stale
    except Exception:  # NB: never let the notice bookkeeping break a page
        return False


def notice(where, key: str, raw: str | None, value, default, ok: bool) -> None:
    """One caption when the URL held a value the widget could not use (not once the user moved it)."""
    pending = st.session_state.setdefault(_PENDING, {})
    if raw is None and key in pending:
        # NB: the run that showed this notice was cut short by a later control's st.rerun (normalise_url,
        # alias), and Streamlit took the unusable value out of the URL meanwhile: show it once more
        where.caption(pending[key])
        return
    if _url_is_stale(key, raw, value) or raw is None or ok:
        return
    name = st.session_state.get(_ALIASES, {}).get(key, key)  # ?T=abc on a page whose control is start_T
    shown = raw.replace("`", "")[:40]
    using = f"default {value}" if value == default else f"{value}"
    pending[key] = f"URL value for {name} (`{shown}`) was invalid; using {using}."
    where.caption(pending[key])


def alias(keys: dict[str, str]) -> None:
    """Read ?src=... as ?dst=... for src -> dst in keys (a page whose controls carry a prefix, such as the Start
    page's start_T, takes a link's T too): moves the value in the URL and reruns once, so the control validates
    it and gives its usual one-line notice naming src. A src that is not moved is taken out of the URL.

    Call it before the page's first control. NB: a widget is seeded from the URL its run started with, hence
    the rerun (as _drop_infinite_values)."""
    moved = False
    try:
        for src, dst in keys.items():
            raw = st.query_params.get(src)
            if raw is None:
                continue
            del st.query_params[src]
            moved = True
            if dst in st.query_params:
                continue  # the page's own key wins
            try:
                st.query_params[dst] = raw
                st.session_state.setdefault(_ALIASES, {})[dst] = src
            except Exception:  # NB: dst bound to a widget already on screen: its value stays
                pass
    except Exception:  # NB: never let a malformed URL break a page
        return
    if moved:
        st.rerun()


def _plain(text) -> str:
    """'Two_paths', 'two-paths', 'TWO PATHS' -> 'two paths': how a URL value is matched to an option."""
    return re.sub(r"[\s_\-+]+", " ", str(text)).strip().casefold()


def match_option(raw: str | None, options, labels: dict | None = None) -> str | None:
    """The option a URL string names: the option itself, or (case, spaces, '-' and '_' aside) an option or its
    label; None when it names none."""
    if raw is None:
        return None
    if raw in options:
        return raw
    want = _plain(raw)
    for o in options:
        if _plain(o) == want or (labels and o in labels and _plain(labels[o]) == want):
            return o
    return None


def normalise_url(key: str, raw, canonical) -> None:
    """A URL value that names an option by another spelling (?models=LSTM for the option lstm): put the option
    in the URL and rerun once, so the widget is seeded with it and the address bar holds one vocabulary.

    Once per URL value; where the URL cannot be rewritten (the key is bound to a widget already on screen),
    the session takes the option instead, which the widget then shows."""
    if raw is None or raw == canonical:
        return
    seen = st.session_state.setdefault(_NORMALISED, {})
    mark = tuple(raw) if isinstance(raw, list) else raw
    if seen.get(key) == mark:
        return
    seen[key] = mark
    try:
        st.query_params[key] = canonical
    except Exception:  # NB: bound already: the session value wins over an unusable URL value
        try:
            st.session_state[key] = canonical
        except Exception:
            pass
        return
    st.rerun()


def slider(
    label: str,
    key: str,
    min_value,
    max_value,
    default,
    step=None,
    help: str | None = None,
    format: str | None = None,
    where=None,
):
    """st.slider bound to ?key=...; ints if min/max/default are ints, floats otherwise."""
    return _bound_number("slider", label, key, min_value, max_value, default, step, help, format, where)


def number(
    label: str,
    key: str,
    min_value,
    max_value,
    default,
    step=None,
    help: str | None = None,
    format: str | None = None,
    where=None,
):
    """st.number_input bound to ?key=...; out-of-range or non-numeric URL values fall back to default."""
    return _bound_number("number_input", label, key, min_value, max_value, default, step, help, format, where)


def _bound_number(widget: str, label, key, min_value, max_value, default, step, help, format, where):
    """A numeric widget (st.slider or st.number_input) bound to ?key=...: a URL value out of
    range or not a number falls back to the default, with a one-line notice."""
    where = where or st
    raw = url_value(key)
    _register(key, default)
    integer = isinstance(default, int) and not isinstance(default, bool)
    _keep_if(key, _in_range(min_value, max_value, integer), default)
    value = getattr(where, widget)(
        label,
        min_value=min_value,
        max_value=max_value,
        value=default,
        step=step,
        help=help,
        format=format,
        key=key,
        bind="query-params",
    )
    ok = raw is not None and _same_number(raw, value, integer)
    notice(where, key, raw, value, default, ok)
    return value


def select(label: str, key: str, options, default, help: str | None = None, where=None, labels=None):
    """st.selectbox over string options bound to ?key=option; the URL may also name an option by its label
    (labels: option -> label) or in another case (?task=Adding): that is accepted and rewritten to the option.

    NB: no format_func on purpose: with one, Streamlit puts the formatted label in the URL,
    so keep the option strings short and readable (they are what a preset link holds).
    """
    where = where or st
    options = [str(o) for o in options]
    raw = url_value(key)
    named = match_option(raw, options, labels)
    if named is not None:
        normalise_url(key, raw, named)
    _register(key, str(default))
    _keep_if(key, lambda v: isinstance(v, str) and v in options, str(default))
    value = where.selectbox(
        label, options, index=options.index(str(default)), help=help, key=key, bind="query-params"
    )
    notice(where, key, raw, value, str(default), raw is not None and named == value)
    return value


def radio(
    label: str,
    key: str,
    options,
    default,
    help: str | None = None,
    horizontal: bool = True,
    where=None,
    labels=None,
):
    """st.radio over string options bound to ?key=option (for 2-4 choices); labels as in select."""
    where = where or st
    options = [str(o) for o in options]
    raw = url_value(key)
    named = match_option(raw, options, labels)
    if named is not None:
        normalise_url(key, raw, named)
    _register(key, str(default))
    _keep_if(key, lambda v: isinstance(v, str) and v in options, str(default))
    value = where.radio(
        label,
        options,
        index=options.index(str(default)),
        help=help,
        key=key,
        horizontal=horizontal,
        bind="query-params",
    )
    notice(where, key, raw, value, str(default), raw is not None and named == value)
    return value


def toggle(label: str, key: str, default: bool = False, help: str | None = None, where=None) -> bool:
    """st.toggle bound to ?key=true/false."""
    where = where or st
    raw = url_value(key)
    _register(key, bool(default))
    _keep_if(key, lambda v: isinstance(v, bool), bool(default))
    value = where.toggle(label, value=bool(default), help=help, key=key, bind="query-params")
    ok = (
        raw is not None
        and raw.strip().lower() in ("true", "false")
        and (raw.strip().lower() == "true") == value
    )
    notice(where, key, raw, value, bool(default), ok)
    return value


def multiselect(
    label: str, key: str, options, default=(), help: str | None = None, where=None, labels=None
) -> list[str]:
    """st.multiselect over string options bound to ?key=a&key=b (one URL entry per chosen option).

    NB: no format_func on purpose (as in select): Streamlit matches URL values against the
    formatted labels, so the options are the strings the URL holds. A URL value that names an option
    by its label (labels: option -> label) or in another case is rewritten to the option; values that
    name no option are dropped, with one caption naming them; the rest are kept.
    """
    where = where or st
    options = [str(o) for o in options]
    default = [str(d) for d in default]
    try:
        raw = st.query_params.get_all(key)
    except Exception:  # NB: never let a malformed URL break a page
        raw = []
    named = [match_option(r, options, labels) for r in raw]
    if raw and any(n is not None and n != r for n, r in zip(named, raw, strict=True)):
        normalise_url(key, list(raw), list(dict.fromkeys(n for n in named if n is not None)))
    _register(key, list(default))
    _keep_if(
        key,
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(o, str) and o in options for o in v),
        list(default),
    )
    value = where.multiselect(label, options, default=default, help=help, key=key, bind="query-params")
    bad = [r for r, n in zip(raw, named, strict=True) if n is None]
    if bad:
        shown = ", ".join(b.replace("`", "")[:20] for b in bad)[:60]
        where.caption(f"URL value for {key} (`{shown}`) was not an option; it was dropped.")
    return list(value)
