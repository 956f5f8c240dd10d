"""Small helpers for reading pages the way a browser would."""

from __future__ import annotations

from html.parser import HTMLParser


class _InputCollector(HTMLParser):
    """Collect ``name -> value`` of the inputs of one form on a page."""

    def __init__(self, action: str | None) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._wanted = action
        self._inside = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter the wanted form; record its inputs."""
        values = dict(attrs)
        if tag == "form" and not self._done:
            self._inside = self._wanted is None or self._wanted in (values.get("action") or "")
        if tag == "input" and self._inside and values.get("name"):
            self.fields.setdefault(values["name"] or "", values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        """Stop after the wanted form."""
        if tag == "form" and self._inside:
            self._inside = False
            self._done = True


def form_fields(html: str, action: str | None = None) -> dict[str, str]:
    """Input values of the first form (or the first whose action contains ``action``)."""
    parser = _InputCollector(action)
    parser.feed(html)
    return parser.fields
