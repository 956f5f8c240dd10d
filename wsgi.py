"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

import gc

from app import create_app
from app.warmup import warm_up

app = create_app()
warm_up(app)  # each worker compiles templates when it starts, not for its first visitors
# What start-up built lives as long as the process: keep the garbage collector's full
# passes (a full pass over it took ~25 ms) for what requests allocate.
gc.freeze()
