"""Single sign-on through an OpenID Connect provider (issue 12 item 9), with Authlib's Starlette
client: the authorization code flow with PKCE, its state and nonce checked, the ID token
verified against the provider's keys. The person gets the ordinary headcount session; their
role comes from the provider's groups (the project's `sso:` settings) at each log-in.

Authlib keeps what the round trip needs (state, nonce, PKCE verifier) in Starlette's signed
session cookie, and the ID token for the log-out; headcount's own session stays in its table."""

from __future__ import annotations

import contextlib
import secrets
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from headcount.config.sso import SingleSignOn
from headcount.errors import HeadcountError
from headcount.repository import runs, sso, users
from headcount.repository.database import begin_write
from headcount.repository.deployments import NothingDeployed
from headcount.web.auth import app_state
from headcount.web.rendering import render
from headcount.web.signin import safe_next, signed_in

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "headcount_sso"
_NEXT = "sso_next"
_ID_TOKEN = "sso_id_token"


class ProviderError(HeadcountError):
    """The provider answered something headcount cannot trust, or did not answer."""


class Clients:
    """One Authlib client per `sso:` settings in force: a `headcount reload` that changes them
    is followed without a restart, and the provider's metadata and keys are read once."""

    def __init__(self) -> None:
        self._oauth = OAuth()
        self._apps: dict[tuple[str, ...], StarletteOAuth2App] = {}

    def app_for(self, settings: SingleSignOn, secret: str) -> StarletteOAuth2App:
        key = (settings.issuer, settings.client_id, secret, " ".join(settings.scopes))
        if key not in self._apps:
            name = f"oidc{len(self._apps)}"
            self._apps[key] = cast(StarletteOAuth2App, self._oauth.register(
                name, client_id=settings.client_id, client_secret=secret,
                server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": " ".join(settings.scopes),
                               "code_challenge_method": "S256", "timeout": 10}))
        return self._apps[key]


def install(app: FastAPI) -> None:
    """Single sign-on's pages, and the signed cookie that holds a log-in's round trip."""
    app.state.sso = Clients()
    # A key per process: a restart during a log-in only sends the person back to the log-in
    # page; the cookie lives as long as a headcount session, for the log-out's ID token.
    app.add_middleware(SessionMiddleware, secret_key=secrets.token_urlsafe(32),
                       session_cookie=SESSION_COOKIE, same_site="lax",
                       max_age=int(users.SESSION_LIFETIME.total_seconds()))
    app.include_router(router)


def settings_of(request: Request) -> SingleSignOn | None:
    """The deployed `sso:` settings; None without them (or before any deployment)."""
    try:
        return app_state(request).project().sso
    except NothingDeployed:
        return None


def _client(request: Request) -> tuple[SingleSignOn, StarletteOAuth2App] | None:
    settings = settings_of(request)
    secret = settings.client_secret() if settings else None
    if settings is None or secret is None:
        return None
    clients: Clients = request.app.state.sso
    return settings, clients.app_for(settings, secret)


async def _metadata(settings: SingleSignOn, client: StarletteOAuth2App) -> dict[str, Any]:
    try:
        metadata = cast(dict[str, Any], await client.load_server_metadata())
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError(f"the provider {settings.issuer} did not answer: {exc}") from exc
    # The document must be the configured issuer's own (mix-up attacks): its tokens are checked
    # against this issuer.
    if str(metadata.get("issuer", "")).rstrip("/") != settings.issuer:
        raise ProviderError(f"the provider's metadata names issuer {metadata.get('issuer')!r}, "
                            f"not {settings.issuer}")
    return metadata


@router.get("/sso/login")
async def sso_login(request: Request, next: str | None = None) -> Response:
    found = _client(request)
    if found is None:
        return RedirectResponse("/login?error=sso-unavailable", status_code=303)
    settings, client = found
    try:
        await _metadata(settings, client)
        request.session[_NEXT] = safe_next(next)
        redirect: Response = await client.authorize_redirect(
            request, str(request.url_for("sso_callback")))
    except ProviderError as exc:
        return _refused(request, "unavailable", 503, str(exc))
    return redirect


@router.get("/sso/callback", name="sso_callback")
async def sso_callback(request: Request) -> Response:
    found = _client(request)
    if found is None:
        return RedirectResponse("/login?error=sso-unavailable", status_code=303)
    settings, client = found
    try:
        await _metadata(settings, client)
        token = await client.authorize_access_token(request)  # type: ignore[no-untyped-call]
        who = await _subject(settings, client, token)
    except (OAuthError, ProviderError, httpx.HTTPError) as exc:
        # A forged or replayed answer, the person cancelling, a token that does not verify.
        reason = exc.description or exc.error if isinstance(exc, OAuthError) else str(exc)
        with begin_write(app_state(request).engine) as conn:
            runs.audit(conn, "-", "sso login failed", settings.issuer, str(reason)[:1000])
        return _refused(request, "unverified", 400, str(reason))
    # The new user's password hash is slow: off the event loop, like every other page.
    answer = await run_in_threadpool(_sign_on, request, settings, who,
                                     request.session.pop(_NEXT, "/"))
    if isinstance(answer, sso.SignOnRefused):
        return _refused(request, "disabled" if answer.disabled else "no-role", 403)
    if token.get("id_token"):
        request.session[_ID_TOKEN] = token["id_token"]
    return answer


def _sign_on(request: Request, settings: SingleSignOn, who: sso.Subject, target: str
             ) -> Response | sso.SignOnRefused:
    """The signed-in answer, or the refusal — whose audit entry is kept (committed)."""
    with begin_write(app_state(request).engine) as conn:
        try:
            user = sso.sign_on(conn, who, settings.role_of(list(who.groups)))
        except sso.SignOnRefused as refusal:
            return refusal
        return signed_in(request, conn, user, target)


async def _subject(settings: SingleSignOn, client: StarletteOAuth2App,
                   token: dict[str, Any]) -> sso.Subject:
    claims: dict[str, Any] = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise ProviderError("the provider sent no ID token with a subject")
    groups = claims.get(settings.groups_claim)
    metadata = await client.load_server_metadata()
    # Providers that keep the ID token small send the groups from the userinfo endpoint only.
    if groups is None and metadata.get("userinfo_endpoint"):
        info = dict(await client.userinfo(token=token))
        if info.get("sub") != claims["sub"]:
            raise ProviderError("the userinfo answer is about somebody else")
        claims = {**info, **claims}
        groups = info.get(settings.groups_claim)
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        groups = []
    name = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])
    return sso.Subject(settings.issuer, str(claims["sub"]), name,
                       tuple(str(g) for g in groups))


async def provider_logout(request: Request, issuer: str | None) -> Response | None:
    """The answer sending a single sign-on user to the provider's log-out (RP-initiated
    logout), which sends them back to /sso/logged-out; None when there is none to go to."""
    id_token = request.session.pop(_ID_TOKEN, None)
    found = _client(request)
    if found is None or issuer is None:
        return None
    settings, client = found
    if issuer != settings.issuer:
        return None
    try:
        metadata = await _metadata(settings, client)
    except ProviderError:
        return None  # the headcount session is over all the same
    if not metadata.get("end_session_endpoint"):
        return None
    redirect: Response = await client.logout_redirect(
        request, post_logout_redirect_uri=str(request.url_for("sso_logged_out")),
        id_token_hint=id_token, client_id=settings.client_id)
    target = redirect.headers["location"]
    # Not a redirect: browsers hold a form's redirects to the page's `form-action 'self'`, and
    # the log-out is a form. A page that goes on by itself (Refresh) is a navigation of its own.
    page = render(request, "sso_logout.html",
                  {"target": target, "provider": urlsplit(target).netloc}, None)
    page.headers["Refresh"] = f"0; url={target}"
    return page


@router.get("/sso/logged-out", name="sso_logged_out")
async def sso_logged_out(request: Request) -> Response:
    found = _client(request)
    if found is not None:
        # Only the state is checked: the headcount session ended before the trip.
        with contextlib.suppress(OAuthError):
            await found[1].validate_logout_response(request)  # type: ignore[no-untyped-call]
    return RedirectResponse("/login?error=signed-out", status_code=303)


def _refused(request: Request, reason: str, code: int, detail: str | None = None
             ) -> Response:
    """The page saying why single sign-on did not let the person in (its text is the page's,
    in the person's language; `detail` is the technical cause, in English)."""
    return render(request, "sso_refused.html",
                  {"reason": reason, "detail": detail,
                   "retry": f"/login?next={quote(request.session.pop(_NEXT, '/'))}"},
                  None, status_code=code)
