"""Page parts rendered once and reused while what they show stays the same.

A session page is the same for every visitor but for its booking form: the event's
description, the venue, the other dates, the specimens shown. When a crowd presses
« Réserver » on a session that has just filled up, hundreds of refusals send that page
back within a few seconds; rendering its shared parts once per version, instead of once
per visitor, is most of what a refusal costs.

Each process keeps its own copies, so nothing has to be invalidated across gunicorn
workers: the key says which version a copy shows, the same ``live_version`` as the live
poll's ETag (app/live.py: change counter, scope, language, minute). A copy is therefore
never older than the counter a process has last read, which is at most
``LIVE_COUNTER_CACHE_SECONDS`` behind the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import LRUCache
from flask import current_app, render_template
from markupsafe import Markup

_EXTENSION = "minerales_fragments"
Rendered = TypeVar("Rendered", bound=Markup | tuple[Markup, ...])


class FragmentStore:
    """A bounded map of rendered fragments, safe to share between a worker's threads."""

    def __init__(self, size: int) -> None:
        self._cache: LRUCache[tuple[Hashable, ...], Any] = LRUCache(maxsize=max(size, 1))
        self._lock = threading.Lock()
        self.enabled = size > 0

    def get(self, key: tuple[Hashable, ...]) -> Any:
        """What is kept under ``key``, or None."""
        with self._lock:
            return self._cache.get(key)

    def put(self, key: tuple[Hashable, ...], rendered: Any) -> None:
        """Keep ``rendered`` under ``key``, forgetting the least recently used beyond the size."""
        if self.enabled:
            with self._lock:
                self._cache[key] = rendered


def fragment_store() -> FragmentStore:
    """This app's store (each app, and so each test's app, has its own)."""
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = FragmentStore(int(current_app.config["FRAGMENT_CACHE_SIZE"]))
        current_app.extensions[_EXTENSION] = store
    return store


def cached(key: tuple[Hashable, ...], render: Callable[[], Rendered]) -> Rendered:
    """The fragment (or fragments) kept under ``key``, rendered by ``render()`` the first time."""
    store = fragment_store()
    rendered: Rendered | None = store.get(key)
    if rendered is None:
        rendered = render()
        store.put(key, rendered)
    return rendered


def render(template_name: str, **context: Any) -> Markup:
    """Render a fragment template, to be inserted as is into a page.

    Jinja has already escaped every value in it (autoescaping is on for .html templates).
    """
    return Markup(render_template(template_name, **context))  # noqa: S704
