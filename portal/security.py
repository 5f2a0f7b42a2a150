"""Security headers on every response, HTTPS awareness, and trusting proxies only as configured.

Every response (pages, errors, static files, feeds, JSON) gets the same headers from one
after-request hook; Flask runs it for error pages too. HTTPS is taken from the request:
directly, or from `X-Forwarded-Proto` when `PROXY_HOPS` says a proxy may be believed.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

# CSRF protection on every POST; a view that must go without it says so (`@csrf.exempt`).
csrf = CSRFProtect()

# No inline script or style anywhere (templates/ holds none); the edition page's JSON-LD
# `<script type="application/ld+json">` is a data block, which CSP does not govern.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
# Features the portal never uses; only names browsers recognise, so consoles stay quiet.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Same-origin requests keep the full Referer, which Flask-WTF checks on HTTPS form posts;
    # other sites see only the origin, and plain-HTTP links from HTTPS pages see nothing.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
# One year. No includeSubDomains or preload: other hosts of the domain are not ours to commit.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is `Secure` whenever the request came over HTTPS.

    Plain-HTTP development (`make run`) keeps a cookie the browser will send back;
    `SESSION_COOKIE_SECURE = True` in the config forces the flag on every response.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        """Return whether to mark the session cookie Secure for this request."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    """Trust PROXY_HOPS proxies, make session cookies follow HTTPS, and add the headers."""
    hops = int(app.config["PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    app.session_interface = HttpsAwareSessionInterface()
    if app.config["SESSION_COOKIE_SAMESITE"] is None:
        # Lax: the cookie still comes with same-site form posts and with links from emails.
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Add the security headers, and HSTS when the request came over HTTPS."""
    response.headers.update(SECURITY_HEADERS)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response
