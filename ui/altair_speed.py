"""Build Altair's schema-to-class table once per process instead of once per encoding channel.

NB: Altair 5.4-6.x turns every encoding channel given as a string or a dict (x="k:Q",
detail="run:N", alt.value(0)) into its class through SchemaBase.from_dict, which constructs a
new _FromDict: a table keyed by a JSON hash of every schema class's schema, several hundred
json.dumps calls per channel. With thirty students' reruns that table-building was 8 % of the
server's time (py-spy, bench/load_test.py --py-spy); one log_line chart with its spec took 23 ms
before and 10 ms after. The table depends only on the classes, so
it is built once per set of classes and shared; lookups do not change it except for
defaultdict's empty lists. If Altair's internals differ from what this expects, nothing is
patched and Altair runs as shipped.
"""
from __future__ import annotations

import threading

_MAX_TABLES = 16  # distinct class sets seen (one per SchemaBase family in practice)


def install() -> bool:
    """Patch altair.utils.schemapi._FromDict.__init__ to reuse its table; True if patched."""
    try:
        from altair.utils import schemapi
    except ImportError:  # pragma: no cover - altair is a runtime dependency
        return False
    cls = getattr(schemapi, "_FromDict", None)
    if cls is None or not callable(getattr(cls, "hash_schema", None)):
        return False
    if getattr(cls, "_tables_shared", False):
        return True
    original = cls.__init__
    tables: dict[tuple, object] = {}
    lock = threading.Lock()

    def __init__(self, wrapper_classes, /) -> None:
        classes = tuple(wrapper_classes)
        table = tables.get(classes)
        if table is None:
            original(self, classes)
            if not hasattr(self, "class_dict"):  # not the Altair this was written for: leave it be
                return
            with lock:
                if len(tables) >= _MAX_TABLES:
                    tables.clear()
                tables[classes] = self.class_dict
        else:
            self.class_dict = table

    cls.__init__ = __init__
    cls._tables_shared = True
    return True


# ----------------------------------------------------------------------------- layers without params
# NB: alt.LayerChart(...) (alt.layer, a + b) deep-copies every layer twice on the way in, in
# _remove_duplicate_params and _combine_subchart_params, so that selection parameters can be
# merged and renamed without touching the caller's charts. Our charts carry no parameters, and
# without parameters both functions only return the copies: two recursive copies of every
# encoding, 16 of the 26 ms that one log_line chart took (cProfile, bench/bench_charts.py).
# Where no chart in the layer (nor in its sub-charts) has params or a view name, the copies are
# shallow (the caller's layer objects are still never modified); otherwise Altair runs as shipped.

_SUB = ("layer", "concat", "hconcat", "vconcat")


def _plain(chart, depth: int = 0) -> bool:
    """True if chart and its sub-charts carry no params and no view name (nothing to merge)."""
    from altair.utils.schemapi import Undefined

    if depth > 20:
        return False
    for attr in ("params", "name"):
        if getattr(chart, attr, Undefined) is not Undefined:
            return False
    spec = getattr(chart, "spec", Undefined)
    if spec is not Undefined and not isinstance(spec, dict) and not _plain(spec, depth + 1):
        return False
    for attr in _SUB:
        subs = getattr(chart, attr, Undefined)
        if subs is not Undefined and any(not _plain(c, depth + 1) for c in subs):
            return False
    return True


def install_layer_fast_path() -> bool:
    """Patch altair's _remove_duplicate_params / _combine_subchart_params for charts without params."""
    try:
        from altair.utils.schemapi import Undefined
        from altair.vegalite.v6 import api
    except ImportError:  # pragma: no cover - another Altair major version: leave it as shipped
        return False
    remove, combine = getattr(api, "_remove_duplicate_params", None), getattr(api, "_combine_subchart_params", None)
    if remove is None or combine is None:
        return False
    if getattr(remove, "_fast_path", False):
        return True

    def _remove_duplicate_params(layer):
        if all(_plain(c) for c in layer):
            return [c.copy(deep=False) for c in layer]
        return remove(layer)

    def _combine_subchart_params(params, subcharts):
        if (params is Undefined or not params) and all(_plain(c) for c in subcharts):
            return Undefined, [c.copy(deep=False) for c in subcharts]
        return combine(params, subcharts)

    _remove_duplicate_params._fast_path = True
    _combine_subchart_params._fast_path = True
    api._remove_duplicate_params = _remove_duplicate_params
    api._combine_subchart_params = _combine_subchart_params
    return True


# ----------------------------------------------------------------------------- .properties()
# NB: chart.properties(height=..., title=...) validates each value against the Vega-Lite JSON
# schema even with Altair's debug mode off (about 1.3 ms a call, two or three calls a chart).
# The app turns debug mode off together with spec validation (ui/show.py VALIDATE_SPECS); with
# it off, this check is skipped as well. The tests keep debug mode on, so there every property
# is still validated, and every finished spec too.


def install_property_check_follows_debug_mode() -> bool:
    """Make SchemaBase.validate_property a no-op while Altair's debug mode is off."""
    try:
        from altair.utils import schemapi
    except ImportError:  # pragma: no cover
        return False
    base = getattr(schemapi, "SchemaBase", None)
    original = getattr(base, "validate_property", None)
    if original is None:
        return False
    if getattr(original, "_follows_debug_mode", False):
        return True
    func = original.__func__

    def validate_property(cls, name, value, schema=None):
        if not schemapi.DEBUG_MODE:
            return None
        return func(cls, name, value, schema)

    validate_property._follows_debug_mode = True
    base.validate_property = classmethod(validate_property)
    return True
