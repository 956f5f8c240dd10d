"""Prometheus metrics: what the app counts, what the database says, and who may read them.

Counters and histograms live in the process that counts them. Under gunicorn every worker
is a process of its own, so ``PROMETHEUS_MULTIPROC_DIR`` (set by deploy/gunicorn.conf.py
before anything imports ``prometheus_client``) makes each worker write its values to files
in that folder, and ``/metrics`` adds up the files of every worker, the dead ones' included
(a counter must not go down when a worker is replaced). The folder is emptied when
gunicorn starts: values of a previous run would be added to this one's.

What the database already knows (the outbox, open offers, bookings by status) is not
counted by any process: it is read at scrape time (``DatabaseCollector``), so every host
answers the same figures and no gauge has to be kept right in several processes.

``/metrics`` is an internal address: it answers only a request made straight to gunicorn
from ``METRICS_ALLOW_FROM`` (loopback by default) without ``X-Forwarded-For``, i.e. one that
did not come through nginx. Everyone else gets a 404, as if there were nothing there.
"""

from __future__ import annotations

import ipaddress
import os
from collections import Counter as TallyCounter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session as SASession

from .timeutil import utcnow

REQUEST_SECONDS = Histogram(
    "minerales_http_request_duration_seconds",
    "Time from the request reaching the app to its answer being ready.",
    ["method", "route", "status"],
    # The live poll's 304 takes milliseconds, a booking in a rush up to a second or two.
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0),
)
BOOKINGS = Counter(
    "minerales_bookings_total",
    "Bookings and waiting-list entries written, by the status they were created with.",
    ["status"],
)
REFUSALS = Counter(
    "minerales_refusals_total",
    "Actions a rule refused, by the refusal's code (DomainError.code).",
    ["reason"],
)


def count_refusal(error: Any) -> None:
    """Count a refusal shown to someone, under its domain error's code."""
    REFUSALS.labels(reason=str(getattr(error, "code", type(error).__name__))).inc()


# The methods the app's routes answer. Any other a client makes up is counted as "other":
# a label value per invented method would add time series (and, with several worker
# processes, lines in every worker's file) for as long as the metrics are kept.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Each (method, route, status) histogram child, looked up once per process: ``labels()``
# checks and joins its arguments under a lock on every call, for the same few children.
# Routes are the app's rules, statuses the codes it answers: the cache stays small.
_REQUEST_CHILDREN: dict[tuple[str, str, int], Any] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Add one answered request to the latency histogram."""
    if method not in KNOWN_METHODS:
        method = "other"
    key = (method, route, status)
    child = _REQUEST_CHILDREN.get(key)
    if child is None:
        child = REQUEST_SECONDS.labels(method=method, route=route, status=str(status))
        _REQUEST_CHILDREN[key] = child
    child.observe(seconds)


# ----------------------------------------------------------------------- bookings


def _remember_new_bookings(session: SASession, _context: Any) -> None:
    """After a flush: note the bookings it inserted, to count them once they are committed."""
    from .models import Booking

    statuses = [str(obj.status) for obj in session.new if isinstance(obj, Booking)]
    if statuses:
        session.info.setdefault("minerales_new_bookings", []).extend(statuses)


def _count_committed_bookings(session: SASession) -> None:
    """After a commit: the bookings noted since the last one really exist now."""
    noted: list[str] = session.info.pop("minerales_new_bookings", [])
    for status, number in TallyCounter(noted).items():
        BOOKINGS.labels(status=status).inc(number)


def _forget_rolled_back_bookings(session: SASession, _previous: Any = None) -> None:
    """After a rollback: the bookings noted were never written."""
    session.info.pop("minerales_new_bookings", None)


# Listening on the Session class: every session of every app, as the models are shared.
event.listen(SASession, "after_flush", _remember_new_bookings)
event.listen(SASession, "after_commit", _count_committed_bookings)
event.listen(SASession, "after_rollback", _forget_rolled_back_bookings)


# ----------------------------------------------------------------------- database


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time (needs an app context)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The outbox backlog and its oldest message, open offers, bookings by status."""
        from .extensions import db
        from .models import Booking, BookingStatus, OutboxMessage, OutboxStatus

        now = utcnow()
        pending, oldest = db.session.execute(
            select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
            )
        ).one()
        yield GaugeMetricFamily(
            "minerales_outbox_backlog_messages",
            "Mail waiting in the outbox (pending or being sent).",
            value=pending,
        )
        yield GaugeMetricFamily(
            "minerales_outbox_oldest_pending_age_seconds",
            "Age of the oldest mail still waiting in the outbox (0 when none waits).",
            value=_age_seconds(oldest, now),
        )
        offers = db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.status == BookingStatus.OFFERED, Booking.offer_expires_at > now
            )
        )
        yield GaugeMetricFamily(
            "minerales_waitlist_offers_open",
            "Waiting-list offers sent and not yet accepted, declined or lapsed.",
            value=offers or 0,
        )
        by_status = GaugeMetricFamily(
            "minerales_bookings", "Bookings in the database, by status.", labels=["status"]
        )
        counts: dict[BookingStatus, int] = {
            row[0]: row[1]
            for row in db.session.execute(
                select(Booking.status, func.count(Booking.id)).group_by(Booking.status)
            )
        }
        for status in BookingStatus:
            by_status.add_metric([status.value], counts.get(status, 0))
        yield by_status


def _age_seconds(moment: datetime | None, now: datetime) -> float:
    """Seconds from ``moment`` to ``now`` (0 when there is no moment)."""
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


# ----------------------------------------------------------------------- endpoint


def direct_peer() -> str:
    """The address of the machine that opened the connection, before ProxyFix rewrote it."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return str(original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or "")


def allowed_to_scrape() -> bool:
    """A request straight to gunicorn from an allowed network, not through the proxy."""
    if request.headers.get("X-Forwarded-For") is not None:
        return False
    try:
        peer = ipaddress.ip_address(direct_peer())
    except ValueError:
        return False
    networks = current_app.config.get("METRICS_ALLOW_FROM") or []
    return any(peer in ipaddress.ip_network(network, strict=False) for network in networks)


def metrics_view() -> Response:
    """Every metric of this host's workers, then the database's figures."""
    if not allowed_to_scrape():
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector())
    body = counted + generate_latest(from_database)
    response = Response(body, content_type=CONTENT_TYPE_LATEST)
    response.cache_control.no_store = True
    return response


def init_metrics(app: Flask) -> None:
    """Mount ``/metrics`` (see the module's docstring for who may read it)."""
    app.add_url_rule("/metrics", endpoint="metrics", view_func=metrics_view)
