"""Settings read from the environment, with safe defaults for development.

Every setting can also be passed to ``create_app(config)`` directly, which is what the
tests do. Nothing here imports Flask, so the bench scripts and the CLI can reuse it.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
# Where `make run` serves the app: links in mail point there when BASE_URL is unset.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


def env_flag(name: str, default: bool) -> bool:
    """Read a boolean setting such as ``RATELIMIT_ENABLED=false``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    """Read an integer setting, falling back to ``default`` when unset."""
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def env_list(name: str) -> list[str] | None:
    """Read a comma-separated setting such as ``TRUSTED_HOSTS=a.example, b.example``."""
    raw = os.environ.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    return items or None


def check_public_address(config: dict[str, Any]) -> None:
    """Check ``BASE_URL`` and, in production, answer only to its host (and TRUSTED_HOSTS).

    Run on the final settings (environment and ``create_app``'s overrides together).
    Production refuses to start without a public address, as it does without a key:
    links in e-mails would otherwise have nowhere trustworthy to point.
    """
    base_url = config.get("BASE_URL") or ""
    production = config.get("APP_ENV") == "production"
    if not base_url:
        if production:
            raise RuntimeError(
                "BASE_URL must be set when APP_ENV=production (e.g. https://minerales.example)"
            )
        config["BASE_URL"] = DEVELOPMENT_BASE_URL
        base_url = DEVELOPMENT_BASE_URL
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuntimeError(f"BASE_URL must be an absolute http(s) address, not {base_url!r}")
    if production:
        extra = list(config.get("TRUSTED_HOSTS") or [])
        config["TRUSTED_HOSTS"] = list(dict.fromkeys([parts.hostname, *extra]))


def normalise_database_url(url: str) -> str:
    """Make a ``postgres://`` or ``postgresql://`` URL use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def development_secret_key(instance_dir: Path) -> str:
    """Return a random key kept in ``instance/secret_key``.

    Every gunicorn worker must sign sessions and CSRF tokens with the same key, and a
    restart should not log everybody out, so the key is generated once and stored.
    """
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker may be writing it right now: wait for its content.
        for _ in range(50):
            key = key_file.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{key_file} is empty; delete it and restart") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the configuration mapping from ``os.environ``.

    ``APP_ENV=production`` turns on the production defaults: secure cookies, HSTS,
    htmx from the CDN, and a refusal to start without a real ``SECRET_KEY`` or without
    ``BASE_URL`` (see ``check_public_address``).
    """
    app_env = os.environ.get("APP_ENV", "development")
    production = app_env == "production"
    default_db = "sqlite:///" + str(Path(instance_path) / "minerales.sqlite3")
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
        secret_key = development_secret_key(Path(instance_path))

    return {
        "APP_ENV": app_env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        # How long a writer waits for a lock before the request gets the 503 page.
        "DB_LOCK_TIMEOUT_MS": env_int("DB_LOCK_TIMEOUT_MS", 10_000),
        # Booking rules.
        "BOOKING_MAX_SEATS": env_int("BOOKING_MAX_SEATS", 6),
        "BOOKING_CLOSE_MINUTES": env_int("BOOKING_CLOSE_MINUTES", 60),
        # Waiting list (see app/services/waitlist.py for the rule).
        "WAITLIST_OFFER_HOURS": float(os.environ.get("WAITLIST_OFFER_HOURS", "24")),
        "WAITLIST_MAX_PASSES": env_int("WAITLIST_MAX_PASSES", 2),
        # Door: from how long before the start absent parties' seats may be released.
        "DOOR_RELEASE_MINUTES": env_int("DOOR_RELEASE_MINUTES", 10),
        # Staff stay signed in for a whole day at the door (a browser session otherwise).
        "PERMANENT_SESSION_LIFETIME": env_int("STAFF_SESSION_HOURS", 16) * 3600,
        # Live seat counts: how often an open programme page asks for changes.
        # 4 s between polls plus at most 1 s of a worker's cached counter: 5 s stale at most.
        "LIVE_POLL_SECONDS": env_int("LIVE_POLL_SECONDS", 4),
        "LIVE_COUNTER_CACHE_SECONDS": float(os.environ.get("LIVE_COUNTER_CACHE_SECONDS", "1")),
        # Shared parts of public pages rendered once per version, per process (app/fragments.py);
        # how many to keep, 0 to render every time.
        "FRAGMENT_CACHE_SIZE": env_int("FRAGMENT_CACHE_SIZE", 256),
        # htmx: "cdn" (with Subresource Integrity) or "local" (the npm copy, for tests and
        # a tablet without Internet access).
        "HTMX_SOURCE": os.environ.get("HTMX_SOURCE", "cdn" if production else "local"),
        # Mail.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": env_flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": env_flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Minér'Alès <minerales@mines-ales.fr>"
        ),
        # Outbox: send right after the commit that wrote the mail (cron drains the rest).
        "MAIL_SEND_AFTER_COMMIT": env_flag("MAIL_SEND_AFTER_COMMIT", True),
        "MAIL_TIMEOUT": env_int("MAIL_TIMEOUT", 10),
        "MAIL_BACKOFF_SECONDS": env_int("MAIL_BACKOFF_SECONDS", 30),
        # A claim older than this is taken to be a dead sender's and is given back (resent
        # with the same Message-ID). Keep it well above MAIL_TIMEOUT.
        "MAIL_STALE_CLAIM_SECONDS": env_int("MAIL_STALE_CLAIM_SECONDS", 600),
        # The public address of the site: every link in an e-mail starts with it. Never
        # the request's Host header, which the visitor chooses, while the mail it causes
        # may go to someone else (the next party on a waiting list, with its secret link).
        "BASE_URL": os.environ.get("BASE_URL") or ("" if production else DEVELOPMENT_BASE_URL),
        # Host names the app answers to (Flask checks the Host header; others get 400).
        # In production BASE_URL's host is always one of them; list others here.
        "TRUSTED_HOSTS": env_list("TRUSTED_HOSTS"),
        # Rate limits (Flask-Limiter), per client address; Redis when REDIS_URL is set, so
        # that every worker counts together (in memory, each worker counts on its own).
        # Each value is one or more limits separated by ";" ("10/minute;50/hour").
        "RATELIMIT_ENABLED": env_flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL", "memory://"),
        # Booking and waiting-list form submissions.
        "RATELIMIT_BOOKING": os.environ.get("RATELIMIT_BOOKING", "10/minute;50/hour"),
        # Every request that carries a group code (the link's ?code=, the form's group_code).
        "RATELIMIT_GROUP_CODE": os.environ.get("RATELIMIT_GROUP_CODE", "10/minute;30/hour"),
        # Staff sign-in attempts (on top of the per-account throttle).
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10/minute;60/hour"),
        # Booking pages and what hangs off them (/b/<token>/…: calendar, cancel, offers).
        "RATELIMIT_LOOKUP": os.environ.get("RATELIMIT_LOOKUP", "60/minute;600/hour"),
        # The JSON API.
        "RATELIMIT_API": os.environ.get("RATELIMIT_API", "120/minute"),
        # Behind a reverse proxy: how many proxies set X-Forwarded-For / X-Forwarded-Proto
        # (0 = trust neither header; a visitor could otherwise pick their own address).
        "PROXY_FIX_X_FOR": env_int("PROXY_FIX_X_FOR", 0),
        "PROXY_FIX_X_PROTO": env_int("PROXY_FIX_X_PROTO", 0),
        # Observability (app/observability.py, app/metrics.py): one JSON line per request
        # on standard error, and who may read /metrics straight from gunicorn.
        "REQUEST_LOG": env_flag("REQUEST_LOG", True),
        "METRICS_ALLOW_FROM": env_list("METRICS_ALLOW_FROM") or ["127.0.0.1/8", "::1/128"],
        # At most this many seats per e-mail address and session (bookings and waiting list).
        "BOOKING_MAX_SEATS_PER_EMAIL": env_int("BOOKING_MAX_SEATS_PER_EMAIL", 6),
        # GDPR: people's details are anonymised this many days after their session.
        "PERSONAL_DATA_RETENTION_DAYS": env_int("PERSONAL_DATA_RETENTION_DAYS", 30),
        # Who answers questions about personal data (the school's data protection officer).
        "PRIVACY_CONTACT": os.environ.get("PRIVACY_CONTACT", "dpo@mines-ales.fr"),
        # Gallery pictures: what an upload may weigh, and how many pixels it may decode to.
        "SPECIMEN_IMAGE_MAX_BYTES": env_int("SPECIMEN_IMAGE_MAX_BYTES", 5 * 1024 * 1024),
        "SPECIMEN_IMAGE_MAX_PIXELS": env_int("SPECIMEN_IMAGE_MAX_PIXELS", 50_000_000),
        # i18n: French first.
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        # Cookies. In production the session cookie (which also holds the CSRF token) is
        # Secure and named with the __Host- prefix: browsers then refuse it unless it is
        # Secure, has Path=/ and no Domain, so no subdomain can plant or read it.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_PATH": "/",
        # Flask-Login's "remember me" cookie (sign-in does not ask for it; kept safe anyway).
        "REMEMBER_COOKIE_NAME": "__Host-remember" if production else "remember_token",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_PATH": "/",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "HSTS": production,
        # A door tablet stays open all day: tie CSRF tokens to the session, not to a clock.
        "WTF_CSRF_TIME_LIMIT": None,
        # Every validator carries our own (translated) message: WTForms' catalogue, which
        # Flask-WTF would parse again on every request, is not needed.
        "WTF_I18N_ENABLED": False,
        "MAX_CONTENT_LENGTH": env_int("MAX_CONTENT_LENGTH", 1024 * 1024),
        # Sites allowed to frame the widget's pages (/embed/), as origins: comma-separated
        # "https://www.mines-ales.fr, https://www.imt.fr". Every other page frames nowhere.
        "EMBED_ORIGINS": env_list("EMBED_ORIGINS") or [],
        # Routes used only by bench/ (a bare "hello" to compare the live poll against).
        "BENCH_ROUTES": env_flag("BENCH_ROUTES", False),
    }
