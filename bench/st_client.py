"""A lightweight client of Streamlit's websocket protocol (what the browser's frontend speaks).

One `StSession` is one browser tab without the rendering: it connects to
ws://HOST:PORT/_stcore/stream (subprotocol "streamlit", as the frontend does), sends BackMsg
`rerun_script` with a ClientState {query_string, page_script_hash, widget_states,
cached_message_hashes} and reads the ForwardMsgs of the run (new_session, navigation, delta,
page_info_changed, script_finished, page_not_found, ...) until `script_finished`.

What it keeps, as the frontend does (streamlit 1.67, static/js/index.*.js `sendRerunBackMsg`,
`onPageChange`; runtime/app_session.py; runtime/forward_msg_cache.py):
- the pages from the `navigation` message (page_script_hash, url_pathname);
- the URL query string, updated from every `page_info_changed`;
- the widgets of the last run (sliders, checkboxes/toggles, buttons, stateful tab sets) with their
  current values (a tab set's value is the label of the tab shown; what sits in the other tabs is
  hidden, as in a collapsed expander):
  a widget's value is `value` when the server set it (`set_value`), else the value this client
  already holds for that id, else its `default`;
- the message cache: hashes of cacheable messages (big charts) go back in
  `cached_message_hashes`, and the server then sends `ref_hash` references instead of the charts.

A rerun sends the current value of every slider, checkbox and stateful tab set of the last run (the frontend
sends every widget; the other kinds -- selectbox, radio, number input, multiselect -- are left
out here and keep their server-side values, which is what Streamlit does with a widget missing
from `widget_states`). A page change sends only the frame's (sidebar's) widgets and the query
parameters bound to them, as `onPageChange` does. A button press is `trigger_value: true` for
that one button; a tab click is the tab set's `string_value` set to the tab's label.

Errors of a run: every `exception` element (st.exception, an uncaught exception's box),
`page_not_found`, a compile error, a dropped connection, a timeout.

Used by bench/load_test.py (--client protocol, the default) and tests/app/test_load_short.py.
Needs only what Streamlit itself depends on: `websockets` and `protobuf` (Streamlit 1.67 serves
through Starlette/uvicorn, streamlit/web/server/starlette/starlette_websocket.py; tornado is no
longer installed with it).
"""

from __future__ import annotations

import asyncio
import collections
import random
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider as SliderProto
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
MAIN, SIDEBAR = 0, 1  # root containers: delta_path[0]
CACHE_LIMIT = 2000  # cached message hashes kept per session (the frontend ages its cache too)


@dataclass
class Widget:
    """A widget of the last run as this client sees it."""

    id: str
    kind: str  # "slider", "checkbox", "button"
    label: str
    path: tuple[int, ...]
    value: object = None  # float for a slider, bool for a checkbox
    lo: float = 0.0
    hi: float = 0.0
    step: float = 1.0
    integer: bool = False
    disabled: bool = False
    query_key: str = ""
    hidden: bool = (
        False  # inside a collapsed expander or a tab not shown: a student would have to open it first
    )
    labels: tuple[str, ...] = ()  # tabs: the tab labels (value: the label shown)


@dataclass
class RunResult:
    """One script run as the client saw it: from sending the BackMsg to `script_finished`."""

    seconds: float
    status: str  # "ok", "timeout", "closed", "compile_error"
    errors: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0
    refs: int = 0  # ref_hash messages (charts the server did not resend)
    first_delta_s: float | None = None
    page_hash: str = ""


class StSession:
    """One simulated browser tab on a Streamlit app."""

    def __init__(self, base_ws: str, origin: str | None = None, name: str = ""):
        self.url = base_ws.rstrip("/") + "/_stcore/stream"
        self.origin = origin
        self.name = name
        self.ws = None
        self.pages: list[tuple[str, str, str]] = []  # (page_script_hash, title, url_pathname)
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, Widget] = {}
        self.values: dict[str, object] = {}  # widget id -> the value this client holds
        self.cache: collections.OrderedDict[str, ForwardMsg] = collections.OrderedDict()
        self.errors: list[str] = []  # errors outside a run (connection)
        self._reader: asyncio.Task | None = None
        self._run: dict | None = None  # the run being waited for
        self._collapsed: list[tuple[int, ...]] = []
        self._tabsets: dict[tuple[int, ...], dict] = {}  # container path -> {"id", "index", "labels", ...}
        self._run_widgets: dict[str, Widget] = {}
        self.closed = asyncio.Event()
        self.auto_reruns: dict[
            str, float
        ] = {}  # fragment id -> interval (st.fragment(run_every=...)), as sent
        self.url_changes: list[
            tuple[float, str]
        ] = []  # (perf_counter, query string) of every page_info_changed
        self.finishes: list[float] = []  # perf_counter of every script run that finished (not cut short)

    # ------------------------------------------------------------------ connection
    async def connect(self, open_timeout: float = 60) -> None:
        headers = {"Origin": self.origin} if self.origin else None
        # NB: no client pings (a browser sends none); the server's pings are answered by the library.
        self.ws = await connect(
            self.url,
            subprotocols=["streamlit"],
            max_size=None,
            ping_interval=None,
            open_timeout=open_timeout,
            additional_headers=headers,
        )
        self._reader = asyncio.create_task(self._read(), name=f"st-read-{self.name}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._reader.cancel()

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg, len(raw))
        except Exception as e:  # a dropped connection ends every run waiting on it
            if self._run is not None or not self._closing():
                self.errors.append(f"connection: {type(e).__name__}: {e}")
        finally:
            self.closed.set()
            if self._run is not None and not self._run["done"].done():
                self._run["status"] = "closed"
                self._run["done"].set_result(None)

    def _closing(self) -> bool:
        return self.ws is not None and self.ws.state.name in ("CLOSING", "CLOSED")

    # ------------------------------------------------------------------ messages
    def _handle(self, msg: ForwardMsg, size: int) -> None:
        run = self._run
        if run is not None:
            run["messages"] += 1
            run["bytes"] += size
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            if run is not None:
                run["refs"] += 1
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                if run is not None:
                    run["errors"].append(f"ref_hash {msg.ref_hash} not in the client cache")
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
            self.cache.move_to_end(msg.hash)
            while len(self.cache) > CACHE_LIMIT:
                self.cache.popitem(last=False)

        if kind == "new_session":
            # a script run starts: what the previous run drew is replaced by what this one draws
            self._run_widgets = {}
            self._collapsed = []
            self._tabsets = {}
            if msg.new_session.page_script_hash:
                self.page_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            nav = msg.navigation
            self.pages = [(p.page_script_hash, p.page_name, p.url_pathname) for p in nav.app_pages]
            if nav.page_script_hash:
                self.page_hash = nav.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
            self.url_changes.append((time.perf_counter(), self.query_string))
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.auto_reruns.pop(msg.stop_auto_rerun.fragment_id, None)
        elif kind == "page_not_found":
            if run is not None:
                run["errors"].append(f"page_not_found: {msg.page_not_found.page_name!r}")
        elif kind == "session_event":
            ev = msg.session_event
            if ev.HasField("script_compilation_exception") and run is not None:
                run["errors"].append(f"compile error: {ev.script_compilation_exception.message[:300]}")
        elif kind == "delta":
            self._delta(msg, run)
        elif kind == "script_finished":
            if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.finishes.append(time.perf_counter())
            if run is not None and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                # NB: FINISHED_EARLY_FOR_RERUN is a run cut short by the next one (st.rerun in the
                # frame's first run on a fresh server, or this client's own newer request): wait on
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run["status"] = "compile_error"
                self._finish_run()

    def _delta(self, msg: ForwardMsg, run: dict | None) -> None:
        d = msg.delta
        path = tuple(msg.metadata.delta_path)
        if run is not None and run["first_delta"] is None:
            run["first_delta"] = time.perf_counter()
        which = d.WhichOneof("type")
        if which == "add_block":
            kind = d.add_block.WhichOneof("type")
            if kind == "expandable" and not d.add_block.expandable.expanded:
                self._collapsed.append(path)
            elif kind == "tab_container":
                tc = d.add_block.tab_container
                self._tabsets[path] = {
                    "id": tc.id,
                    "index": tc.default_tab_index,
                    "labels": [],
                    "hidden": self._hidden(path),
                }
                if tc.id:  # a stateful tab set (on_change / bind): a widget the client can switch
                    self._run_widgets[tc.id] = Widget(
                        tc.id, "tabs", "", path, None, query_key=tc.query_param_key, hidden=self._hidden(path)
                    )
            elif kind == "tab" and path[:-1] in self._tabsets:
                ts = self._tabsets[path[:-1]]
                ts["labels"].append(d.add_block.tab.label)
                if ts["id"] in self._run_widgets:
                    w = self._run_widgets[ts["id"]]
                    w.labels = tuple(ts["labels"])
                    w.value = w.labels[ts["index"]] if ts["index"] < len(w.labels) else None
                    self.values[w.id] = w.value
                if path[-1] != ts["index"]:
                    self._collapsed.append(path)  # a tab not shown: what is in it cannot be touched
            return
        if which != "new_element":
            return
        el = d.new_element
        et = el.WhichOneof("type")
        if et == "exception":
            if run is not None:
                ex = el.exception
                where = "warning" if ex.is_warning else "exception"
                run["errors"].append(f"{where} on {self.page_title()}: {ex.type}: {ex.message[:300]}")
            return
        hidden = self._hidden(path)
        if et == "slider":
            s = el.slider
            numeric = s.data_type in (SliderProto.INT, SliderProto.FLOAT)
            if s.type != SliderProto.SLIDER or not numeric or len(s.default) != 1:
                return  # select_slider, dates, ranges: not used by this app's controls
            value = s.value[0] if s.set_value and len(s.value) else self.values.get(s.id, s.default[0])
            self.values[s.id] = value
            self._run_widgets[s.id] = Widget(
                s.id,
                "slider",
                s.label,
                path,
                value,
                s.min,
                s.max,
                s.step or 1.0,
                s.data_type == SliderProto.INT,
                s.disabled,
                s.query_param_key,
                hidden,
            )
        elif et == "checkbox":
            c = el.checkbox
            value = c.value if c.set_value else self.values.get(c.id, c.default)
            self.values[c.id] = value
            self._run_widgets[c.id] = Widget(
                c.id,
                "checkbox",
                c.label,
                path,
                bool(value),
                disabled=c.disabled,
                query_key=c.query_param_key,
                hidden=hidden,
            )
        elif et == "button":
            b = el.button
            self._run_widgets[b.id] = Widget(
                b.id, "button", b.label, path, False, disabled=b.disabled, hidden=hidden
            )

    def _hidden(self, path: tuple[int, ...]) -> bool:
        return any(path[: len(c)] == c for c in self._collapsed)

    def _finish_run(self) -> None:
        run = self._run
        if run is None or run["done"].done():
            return
        self.widgets = dict(self._run_widgets)
        run["done"].set_result(None)

    # ------------------------------------------------------------------ requests
    def page_title(self, page_hash: str | None = None) -> str:
        h = page_hash or self.page_hash
        return next((t for ph, t, _ in self.pages if ph == h), h[:8] or "?")

    def page_by_path(self, url_pathname: str) -> str:
        """page_script_hash of the page served at /<url_pathname> ("" for the default page)."""
        for ph, _, up in self.pages:
            if up == url_pathname:
                return ph
        raise KeyError(f"no page at /{url_pathname}: {self.pages}")

    def _state(self, which: str) -> list[WidgetState]:
        """Widget states to send: 'all' (a rerun on this page) or 'frame' (a page change)."""
        out = []
        for w in self.widgets.values():
            if which == "frame" and w.path[:1] != (SIDEBAR,):
                continue
            if w.kind == "slider":
                ws = WidgetState(id=w.id)
                ws.double_array_value.data.append(float(self.values.get(w.id, w.value)))
                out.append(ws)
            elif w.kind == "checkbox":
                out.append(WidgetState(id=w.id, bool_value=bool(self.values.get(w.id, w.value))))
            elif w.kind == "tabs" and self.values.get(w.id, w.value) is not None:
                out.append(WidgetState(id=w.id, string_value=str(self.values.get(w.id, w.value))))
        return out

    async def rerun(
        self,
        *,
        page_hash: str | None = None,
        query_string: str | None = None,
        page_name: str = "",
        set_values: dict[str, object] | None = None,
        trigger: str | None = None,
        timeout: float = 300,
        fragment_id: str = "",
    ) -> RunResult:
        """Send one rerun_script and wait for its script_finished (the time between is the result)."""
        changing_page = page_hash is not None and page_hash != self.page_hash and self.page_hash != ""
        for wid, v in (set_values or {}).items():
            self.values[wid] = v
        states = self._state("frame" if changing_page else "all")
        if trigger:
            states.append(WidgetState(id=trigger, trigger_value=True))
        if query_string is None:
            if changing_page:  # onPageChange keeps only the parameters of the frame's widgets
                keep = {
                    w.query_key for w in self.widgets.values() if w.path[:1] == (SIDEBAR,) and w.query_key
                }
                query_string = "&".join(
                    p for p in self.query_string.split("&") if p and p.split("=", 1)[0] in keep
                )
            else:
                query_string = self.query_string
        bm = BackMsg()
        cs = bm.rerun_script
        cs.query_string = query_string.lstrip("?")
        cs.page_script_hash = page_hash if page_hash is not None else self.page_hash
        cs.page_name = page_name
        cs.widget_states.widgets.extend(states)
        cs.cached_message_hashes.extend(self.cache.keys())
        if fragment_id:  # what the frontend sends for st.fragment(run_every=...): the fragment alone reruns
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = True
        loop = asyncio.get_running_loop()
        self._run = run = {
            "done": loop.create_future(),
            "errors": [],
            "messages": 0,
            "bytes": 0,
            "refs": 0,
            "first_delta": None,
            "status": "ok",
        }
        t0 = time.perf_counter()
        try:
            await self.ws.send(bm.SerializeToString())
            await asyncio.wait_for(asyncio.shield(run["done"]), timeout)
        except asyncio.TimeoutError:
            run["status"] = "timeout"
        except Exception as e:  # the connection went away while sending
            run["status"] = "closed"
            run["errors"].append(f"send: {type(e).__name__}: {e}")
        t1 = time.perf_counter()
        self._run = None
        errors = list(run["errors"])
        if run["status"] == "timeout":
            errors.append(f"timeout after {timeout:.0f} s on {self.page_title()}")
        elif run["status"] == "closed":
            errors.append(f"connection closed during a run on {self.page_title()}: {self.errors[-1:]}")
        elif run["status"] == "compile_error":
            errors.append(f"compile error on {self.page_title()}")
        return RunResult(
            t1 - t0,
            run["status"],
            errors,
            run["messages"],
            run["bytes"],
            run["refs"],
            None if run["first_delta"] is None else run["first_delta"] - t0,
            self.page_hash,
        )

    # ------------------------------------------------------------------ student actions
    def movable_sliders(self) -> list[Widget]:
        """Sliders of the current page a student can move: in the main area, shown, enabled, non-empty."""
        return [
            w
            for w in self.widgets.values()
            if w.kind == "slider"
            and w.path[:1] == (MAIN,)
            and not w.hidden
            and not w.disabled
            and w.hi > w.lo
        ]

    @staticmethod
    def nudge(w: Widget, rng: random.Random, max_steps: int = 3) -> float:
        """A new value 1..max_steps steps away from the current one, inside [lo, hi] (like arrow keys / a short drag)."""
        cur = float(w.value)
        k = rng.randint(1, max_steps)
        direction = rng.choice((-1, 1))
        new = cur + direction * k * w.step
        if new > w.hi or new < w.lo:
            new = cur - direction * k * w.step
        new = min(w.hi, max(w.lo, new))
        if new == cur:  # a range narrower than the nudge: go to the other end
            new = w.lo if cur != w.lo else w.hi
        # snap to the slider's grid from its minimum (what the frontend's slider produces)
        n = round((new - w.lo) / w.step)
        new = min(w.hi, max(w.lo, w.lo + n * w.step))
        return float(round(new)) if w.integer else round(new, 10)

    def tab_sets(self) -> list[Widget]:
        """Stateful tab sets of the current page a student can switch (shown, in the main area)."""
        return [
            w
            for w in self.widgets.values()
            if w.kind == "tabs" and w.path[:1] == (MAIN,) and not w.hidden and len(w.labels) > 1
        ]

    def button(self, label: str) -> Widget | None:
        return next((w for w in self.widgets.values() if w.kind == "button" and w.label == label), None)
