"""HTTP hardening: security headers with a per-request CSP nonce, trusted proxies,
and rate limits (counted in the database by sipas.services.rate_limits)."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable

from flask import Flask, current_app, g, request, session
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

#: Sources are this site only; scripts also by the request's nonce. Inline style
#: attributes are refused too: the pages and the SVG charts use classes only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # the phone address names the unit; nothing of it goes to other sites (and
    # Flask-WTF's HTTPS referrer check still gets the same-site referrer)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # features Chromium knows only: an unknown name is reported on every page
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
#: Areas behind a login: never kept by a browser or a shared computer.
PRIVATE_BLUEPRINTS = frozenset({"admin", "entry", "auth"})
#: Anonymous pages that carry a citizen's answers or a device's data: the phone
#: questionnaire and its receipt, and the kiosk API, never kept (a shared phone, a
#: proxy); the kiosk's own pages only by the kiosk (its service worker keeps them).
ANONYMOUS_CACHE_POLICIES = (
    ("/s/", "no-store"),
    ("/api/", "no-store"),
    ("/kiosk/", "private, no-cache"),
)


def configure_security(app: Flask) -> None:
    """Proxy headers, security headers, the nonce for templates, 429 pages."""
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops > 0:
        # Flask's documented way to wrap its WSGI app, which mypy sees as a method
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # before CSRFProtect's check, which reads the body (configure_extensions)
    app.before_request(_raise_body_limit)
    app.after_request(_add_security_headers)
    app.register_error_handler(TooManyRequests, _too_many_requests)


def csp_nonce() -> str:
    """This request's nonce, for ``<script nonce="{{ csp_nonce() }}">``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
        nonce=csp_nonce()
    )
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    if _is_private_page():
        response.headers["Cache-Control"] = "no-store"
    else:
        policy = _anonymous_cache_policy()
        if policy is not None:
            response.headers["Cache-Control"] = policy
    return response


def _anonymous_cache_policy() -> str | None:
    """The Cache-Control of an anonymous page that must not be shared, if it is one."""
    return next(
        (
            policy
            for prefix, policy in ANONYMOUS_CACHE_POLICIES
            if request.path.startswith(prefix)
        ),
        None,
    )


def _is_private_page() -> bool:
    """A back-office page, or any page but the static files for a logged-in user."""
    if request.blueprint in PRIVATE_BLUEPRINTS:
        return True
    return request.endpoint != "static" and "_user_id" in session


# ---- larger bodies for uploads ----


def body_limit(max_bytes: int):
    """Accept bodies up to ``max_bytes`` (not MAX_CONTENT_LENGTH) on this upload
    view, from logged-in users only; larger ones get the friendly 413 page."""

    def decorator(view):
        view.sipas_body_limit = max_bytes
        return view

    return decorator


def _raise_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    max_bytes = getattr(view, "sipas_body_limit", None)
    if max_bytes and "_user_id" in session:
        request.max_content_length = max_bytes


# ---- rate limits ----

KeyFunction = Callable[[], str]


def client_address() -> str:
    """The client's address (the proxy's view of it behind TRUSTED_PROXIES)."""
    return request.remote_addr or "unknown"


def logged_in_user() -> str:
    """The logged-in user's id from the session cookie (no database query)."""
    user_id = session.get("_user_id")
    return f"user-{user_id}" if user_id else f"address-{client_address()}"


def rate_limited(
    name: str,
    setting: str,
    key: KeyFunction,
    *,
    window: int = 60,
    methods: tuple[str, ...] = ("POST",),
):
    """Refuse more than ``config[setting]`` requests per ``window`` seconds per key.

    Put it above the view's other decorators: the count is committed at once,
    before the view starts its own transaction.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs) -> ResponseReturnValue:
            limit = int(current_app.config[setting])
            enabled = current_app.config["RATE_LIMIT_ENABLED"] and limit > 0
            if enabled and request.method in methods:
                _enforce(f"{name}:{key()}", limit, window)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _enforce(key: str, limit: int, window: int) -> None:
    from sipas.extensions import db
    from sipas.services import rate_limits

    verdict = rate_limits.hit(key, limit, window)
    db.session.commit()
    if not verdict.allowed:
        log.warning("rate limit reached for %s (%s per %ss)", key, limit, window)
        raise TooManyRequests(retry_after=max(verdict.retry_after, 1))


def _too_many_requests(error: TooManyRequests) -> ResponseReturnValue:
    """JSON for the kiosk API, the friendly page elsewhere; both with Retry-After."""
    from flask import jsonify

    from sipas.errors import render_error

    if request.blueprint == "api":
        body = jsonify(error="Quá nhiều yêu cầu, vui lòng thử lại sau.")
        response = current_app.make_response((body, 429))
    else:
        response = current_app.make_response(render_error(429))
    response.headers["Retry-After"] = str(error.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response
