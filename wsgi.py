"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

from app import create_app
from app.warmup import warm_up

app = create_app()
warm_up(app)  # each worker compiles templates when it starts, not for its first visitors
