"""One JSON line per request, under a request id that nginx, the app and the answer share.

nginx gives every request an id (``$request_id``) and passes it as ``X-Request-ID``; the
app keeps it (or makes one when the request came some other way), logs it, and sends it
back in the answer's ``X-Request-ID``, so that a visitor's "it failed" can be found in
nginx's log and in the app's. An id that is not a short run of letters, digits, ``.``,
``_`` or ``-`` is replaced: it goes into the log.

The line names the route (``/b/<token>``), never the path a visitor typed: booking links
carry their secret in the path, and the log must not become a list of them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request

from .metrics import init_metrics, observe_request

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")  # <string(length=64):token> -> <token>
log = logging.getLogger("minerales.requests")


class JsonLines(logging.Handler):
    """Write each record's message, already a JSON object, on a line of standard error.

    Standard error is looked up on each line (not kept at start), so a test that captures
    it sees the lines; under gunicorn and systemd it goes to the journal.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(record.getMessage() + "\n")
            sys.stderr.flush()
        except Exception:  # a log that cannot be written must not fail the request
            self.handleError(record)


def request_id() -> str:
    """The id of the request being answered (see the module's docstring)."""
    rid = g.get("request_id")
    if rid is None:
        given = request.environ.get("HTTP_X_REQUEST_ID", "")  # X-Request-ID
        rid = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_id = rid
    return str(rid)


# Each rule's name, made once per process: the rules are the app's, a fixed few.
_ROUTE_NAMES: dict[str, str] = {}


def route_name() -> str:
    """The rule that matched, its placeholders without converters, or a mark for none."""
    rule = request.url_rule
    if rule is None:
        return "<unmatched>"
    name = _ROUTE_NAMES.get(rule.rule)
    if name is None:
        name = _ROUTE_NAMES[rule.rule] = CONVERTER.sub(r"<\1>", rule.rule)
    return name


def _start() -> None:
    """Note when the request reached the app (its id is settled when first asked for)."""
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    """Return the id, count the latency, write the line."""
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = route_name()
    observe_request(request.method, route, response.status_code, seconds)
    if current_app.config.get("REQUEST_LOG"):
        line: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": rid,
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2),
            "client": request.remote_addr,
        }
        if log.isEnabledFor(logging.INFO):
            # The record made here, as Logger.info would, but without looking up the caller
            # in the stack: always this line, and most of the cost of a log call.
            text = json.dumps(line, ensure_ascii=False)
            log.handle(
                log.makeRecord(log.name, logging.INFO, __file__, 0, text, (), None, "_finish")
            )
    return response


def init_observability(app: Flask) -> None:
    """Hook the request id, the log line and the latency in, and mount ``/metrics``.

    Call it before every other hook: after-request hooks run in reverse order, so the line
    then sees the final answer (after the commit, compression and security headers).
    """
    if not any(isinstance(handler, JsonLines) for handler in log.handlers):
        log.addHandler(JsonLines())
    log.setLevel(logging.INFO)
    log.propagate = False  # the line is already complete; no other handler should reprint it
    app.before_request(_start)
    app.after_request(_finish)
    init_metrics(app)
