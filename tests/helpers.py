"""Small helpers for reading pages the way a browser would."""

from __future__ import annotations

from html.parser import HTMLParser


class _InputCollector(HTMLParser):
    """Collect ``name -> value`` of the inputs of the first form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._forms_seen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record inputs while inside the first form."""
        values = dict(attrs)
        if tag == "form":
            self._forms_seen += 1
        if tag == "input" and self._forms_seen == 1 and values.get("name"):
            self.fields.setdefault(values["name"] or "", values.get("value") or "")


def form_fields(html: str) -> dict[str, str]:
    """Return the input values of the first form in ``html`` (hidden ones included)."""
    parser = _InputCollector()
    parser.feed(html)
    return parser.fields
