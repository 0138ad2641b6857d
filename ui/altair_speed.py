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
