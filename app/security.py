"""Response headers that every page carries: CSP, framing, sniffing, referrer."""

from __future__ import annotations

from flask import Flask, Response, request

from .assets import HTMX_CDN_ORIGIN


def content_security_policy(app: Flask) -> str:
    """Build the strict CSP: no inline script or style, no eval, no framing."""
    script_src = ["'self'"]
    if app.config["HTMX_SOURCE"] == "cdn":
        script_src.append(HTMX_CDN_ORIGIN)
    directives = {
        "default-src": ["'self'"],
        "script-src": script_src,
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_security_headers(app: Flask) -> None:
    """Register the after-request hook that sets the security headers."""
    csp = content_security_policy(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        """Add the headers to every response, error pages included."""
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Booking pages carry a secret token in their URL: never send it to another site.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        camera = "(self)" if request.path.startswith("/checkin") else "()"
        headers.setdefault(
            "Permissions-Policy", f"camera={camera}, microphone=(), geolocation=(), payment=()"
        )
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
