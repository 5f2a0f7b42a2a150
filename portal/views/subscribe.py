"""Signing up, confirming, and unsubscribing: thin views over portal.subscriptions."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from portal.limits import limit_per_client
from portal.security import csrf
from portal.subscriptions import outbox, service
from portal.subscriptions.forms import (
    CONSENT_VERSION,
    SignupForm,
    form_started_token,
)
from portal.subscriptions.tokens import (
    ExpiredToken,
    InvalidToken,
    TokenClaim,
    read_confirm_token,
    read_unsubscribe_token,
)

bp = Blueprint("subscribe", __name__)

# The compact form on cacheable pages POSTs its address to `signup_continue` (a GET would
# put it in URLs, access logs and browser history); more than an address can hold is cut,
# and the full form's validation says what is wrong with the rest.
MAX_PREFILL = 320


def init_app(app: Flask) -> None:
    """Register the pages and rate-limit sign-ups."""
    app.register_blueprint(bp)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Keep pages with CSRF tokens and signed links out of every cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/subscribe")
def signup_page() -> str:
    """Show the sign-up form."""
    return render_template("subscribe/subscribe.html", form=SignupForm())


# The compact form sits on cached pages, the same for everyone, so it has no token. Its
# POST changes nothing: it shows the full form, whose own POST checks the CSRF token.
@bp.post("/subscribe/continue")
@csrf.exempt  # type: ignore[untyped-decorator]  # Flask-WTF ships no type hints
def signup_continue() -> str:
    """Show the sign-up form filled in with the address the compact form sent."""
    typed = request.form.get("email", "").strip()[:MAX_PREFILL]
    form = SignupForm(formdata=None, data={"email": typed} if typed else None)
    if typed:  # typed on the page before: a shorter fill time (PREFILLED_MIN_SECONDS)
        form.started.data = form_started_token(prefilled=True)
    return render_template("subscribe/subscribe.html", form=form)


# Limited together, per client: sending the form, and asking for a new confirmation link.
@bp.post("/subscribe")
@limit_per_client("SIGNUP_RATE_LIMIT", scope="signup")
def sign_up() -> ResponseReturnValue:
    """Take a sign-up; every address, whatever its state, gets the same answer."""
    form = SignupForm()
    if form.looks_automated():
        return _check_your_inbox()  # silently: a bot learns nothing
    if not form.validate():
        form.started.data = form_started_token(prefilled=True)  # the old note may be spent
        return render_template("subscribe/subscribe.html", form=form), 422
    if not form.claim_note():
        return _check_your_inbox()  # a form sent again as it was: a replay, silently
    signup = service.SignupRequest(
        form.address(), form.name(), request.remote_addr or "", CONSENT_VERSION
    )
    try:
        mail = service.sign_up(signup)
    except Exception:
        form.release_note()  # nothing was recorded: the same form may be sent again
        raise
    outbox.deliver_after_response(mail)
    return _check_your_inbox()


@bp.get("/subscribe/check-your-inbox")
def check_inbox() -> str:
    """Tell the visitor what happens next, without saying whether the address was known."""
    return render_template("subscribe/check_inbox.html")


@bp.get("/subscribe/confirm/<token>")
def confirm_page(token: str) -> ResponseReturnValue:
    """Show a Confirm button; opening the link (as mail scanners do) confirms nothing."""
    claim = _confirm_claim(token)
    if not isinstance(claim, TokenClaim):
        return claim
    state = service.confirmable(claim).state
    if state != "confirmed":
        return _link_problem(state, token)
    return render_template("subscribe/confirm.html", token=token)


@bp.post("/subscribe/confirm/<token>")
def confirm(token: str) -> ResponseReturnValue:
    """Confirm a subscription; confirming again is harmless."""
    claim = _confirm_claim(token)
    if not isinstance(claim, TokenClaim):
        return claim
    outcome = service.confirm(claim, request.remote_addr or "")
    if outcome.state != "confirmed":
        return _link_problem(outcome.state, token)
    outbox.deliver_after_response(outcome.mail)
    return redirect(url_for(".confirmed"), 303)


@bp.get("/subscribe/confirmed")
def confirmed() -> str:
    """Say the subscription is confirmed."""
    return render_template("subscribe/confirmed.html")


@bp.post("/subscribe/confirm/<token>/resend")
@limit_per_client("SIGNUP_RATE_LIMIT", scope="signup")
def resend(token: str) -> ResponseReturnValue:
    """Send a fresh confirmation link in place of an expired one."""
    try:
        claim = read_confirm_token(current_app.config["SECRET_KEY"], token)
    except ExpiredToken as expired:
        claim = expired.claim
    except InvalidToken:
        return _link_problem("invalid", token)
    outbox.deliver_after_response(service.resend(claim))
    return _check_your_inbox()


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> ResponseReturnValue:
    """Show an Unsubscribe button; opening the link changes nothing."""
    try:
        read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    except InvalidToken:
        return _link_problem("invalid", token)
    return render_template("subscribe/unsubscribe.html", token=token)


# RFC 8058: a mail provider's one-click POST carries no cookie and no CSRF token.
@bp.post("/unsubscribe/<token>")
@csrf.exempt  # type: ignore[untyped-decorator]  # Flask-WTF ships no type hints
def unsubscribe(token: str) -> ResponseReturnValue:
    """Unsubscribe, from the button or from a mail client's RFC 8058 one-click POST."""
    try:
        claim = read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    except InvalidToken:
        return _link_problem("invalid", token)
    service.unsubscribe(claim)
    return render_template("subscribe/unsubscribed.html")


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> ResponseReturnValue:
    """Show the form again, with what was typed, when its CSRF token is missing or stale."""
    notice = "This form had expired. Nothing was sent: please check it and send it again."
    if request.endpoint == "subscribe.sign_up":
        form = SignupForm()
        form.started.data = form_started_token(prefilled=True)  # the old note may be too old
        return render_template("subscribe/subscribe.html", form=form, notice=notice), 400
    page = render_template("errors/error.html", code=400, name="Form expired", message=notice)
    return page, 400


def _check_your_inbox() -> ResponseReturnValue:
    return redirect(url_for(".check_inbox"), 303)


def _confirm_claim(token: str) -> TokenClaim | ResponseReturnValue:
    try:
        return read_confirm_token(current_app.config["SECRET_KEY"], token)
    except ExpiredToken:
        return _link_problem("expired", token)
    except InvalidToken:
        return _link_problem("invalid", token)


def _link_problem(state: str, token: str) -> ResponseReturnValue:
    if state == "expired":
        return render_template("subscribe/link_expired.html", token=token), 410
    return render_template("subscribe/link_invalid.html"), 400
