"""Minér'Alès booking: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import check_public_address, from_environment, normalise_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the app; ``config`` overrides the environment (tests do this)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(from_environment(app.instance_path))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "translations")
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    check_public_address(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    """Bind the extensions and the cross-cutting hooks to ``app``."""
    from . import models  # noqa: F401  (every table must be known to Alembic)
    from .assets import init_assets
    from .database import engine_options, init_database
    from .errors import busy_response, register_error_handlers
    from .extensions import csrf, db, login_manager, mail, migrate
    from .i18n import init_i18n
    from .observability import init_observability
    from .ratelimits import init_rate_limits
    from .security import SignedCookieSessions, init_input_guards, init_security_headers
    from .templating import init_templating

    init_observability(app)  # first: its after-request hook then sees the final answer
    app.session_interface = SignedCookieSessions()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    init_rate_limits(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page itself says what to do
    login_manager.session_protection = "basic"  # a tablet's Wi-Fi may change its address
    init_i18n(app)
    init_assets(app)
    init_templating(app)
    init_input_guards(app)
    init_security_headers(app)
    register_error_handlers(app)
    init_database(app, busy_response)  # last: its commit hook must run before the header hook


def _register_blueprints(app: Flask) -> None:
    """Mount one blueprint per area."""
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .checkin import bp as checkin_bp
    from .embed import bp as embed_bp
    from .gallery import bp as gallery_bp
    from .public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(gallery_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(checkin_bp)
    if app.config["BENCH_ROUTES"]:
        from .bench_routes import bp as bench_bp

        app.register_blueprint(bench_bp)
