"""A server process prepares itself before its first visitors (wsgi.py calls warm_up)."""

from __future__ import annotations

from pathlib import Path

from app.warmup import warm_up

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_template_is_compiled_before_the_first_request(app):
    files = {str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*") if path.is_file()}

    names = warm_up(app)

    assert set(names) == files
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert files <= compiled
