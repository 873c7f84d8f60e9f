"""The identity server's rules: registered clients, authorization codes, rotating tokens.

- ``/connect/authorize`` auto-approves (sandbox style) and issues a single-use code;
- ``/connect/token`` accepts ``authorization_code`` and ``refresh_token`` grants, with client
  authentication by HTTP Basic or form fields; refresh tokens are single-use and rotate on every
  use, and a reused one gets ``invalid_grant`` (Visma's API documentation);
- a refresh token is issued only when ``offline_access`` was granted.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from vismasync.emulators.eaccounting.errors import OAuthError

ALL_SCOPES = frozenset(
    {
        "ea:api", "offline_access", "ea:sales", "ea:sales_readonly", "ea:accounting",
        "ea:accounting_readonly", "ea:purchase", "ea:purchase_readonly",
    }
)  # fmt: skip
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()
    scopes: frozenset[str] = ALL_SCOPES
    # RFC 8252 §7.3: a loopback redirect URI may use any port; apps listen on a free one.
    allow_loopback_redirects: bool = True

    def accepts_redirect(self, uri: str) -> bool:
        if uri in self.redirect_uris:
            return True
        parts = urlsplit(uri)
        return (
            self.allow_loopback_redirects
            and parts.scheme == "http"
            and (parts.hostname or "") in {h.strip("[]") for h in LOOPBACK_HOSTS}
        )


DEMO_CLIENT = RegisteredClient(
    client_id="vismasync-demo",
    client_secret="vismasync-demo-secret",
    redirect_uris=("http://localhost:8765/callback",),
)


@dataclass(frozen=True)
class Grant:
    """What a token or code stands for."""

    client_id: str
    scopes: frozenset[str]
    expires_at: datetime


@dataclass(frozen=True)
class _Code:
    grant: Grant
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None


class IdentityServer:
    """Token state, without HTTP. Thread-safe."""

    def __init__(
        self,
        clients: list[RegisteredClient] | None = None,
        token_lifetime: int = 3600,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.clients = {c.client_id: c for c in (clients or [DEMO_CLIENT])}
        self.token_lifetime = token_lifetime
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._codes: dict[str, _Code] = {}
            self._access: dict[str, Grant] = {}
            self._refresh: dict[str, Grant] = {}

    def authorize(
        self,
        client_id: str | None,
        redirect_uri: str | None,
        response_type: str | None,
        scope: str | None,
        state: str | None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """The URL to redirect the browser to. An unknown client or redirect URI is not
        redirected to (``OAuthError``: the page shows the error), as OAuth requires."""
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError("unauthorized_client")
        if not redirect_uri or not client.accepts_redirect(redirect_uri):
            raise OAuthError("invalid_request")
        params: dict[str, str] = {}
        requested = frozenset((scope or "").split())
        if response_type != "code":
            params["error"] = "unsupported_response_type"
        elif not requested or not requested <= client.scopes:
            params["error"] = "invalid_scope"
        else:
            code = secrets.token_urlsafe(24)
            grant = Grant(client.client_id, requested, self.clock() + timedelta(minutes=5))
            with self._lock:
                self._codes[code] = _Code(
                    grant, redirect_uri, code_challenge, code_challenge_method
                )
            params["code"] = code
            params["scope"] = " ".join(sorted(requested))
        if state is not None:
            params["state"] = state
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return f"{redirect_uri}{separator}{urlencode(params)}"

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, object]:
        """The token endpoint's JSON answer for a form request, or ``OAuthError``."""
        client = self._authenticate(form, basic)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self._redeem_code(client, form)
        elif grant_type == "refresh_token":
            grant = self._redeem_refresh(client, form.get("refresh_token") or "")
        else:
            raise OAuthError("unsupported_grant_type")
        return self._issue(grant)

    def check(self, access_token: str) -> Grant | None:
        """The grant of a valid, unexpired access token."""
        with self._lock:
            grant = self._access.get(access_token)
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant

    def expire_all(self) -> None:
        """Every access token expires now (refresh tokens stay valid)."""
        with self._lock:
            self._access.clear()

    # --- internals ---------------------------------------------------------------------------
    def _authenticate(
        self, form: dict[str, str], basic: tuple[str, str] | None
    ) -> RegisteredClient:
        client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(client.client_secret, secret or ""):
            raise OAuthError("invalid_client")
        return client

    def _redeem_code(self, client: RegisteredClient, form: dict[str, str]) -> Grant:
        with self._lock:
            code = self._codes.pop(form.get("code") or "", None)  # single use
        if (
            code is None
            or code.grant.client_id != client.client_id
            or code.grant.expires_at <= self.clock()
            or code.redirect_uri != form.get("redirect_uri")
        ):
            raise OAuthError("invalid_grant")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier") or ""
            if code.code_challenge_method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not secrets.compare_digest(verifier, code.code_challenge):
                raise OAuthError("invalid_grant")
        return code.grant

    def _redeem_refresh(self, client: RegisteredClient, token: str) -> Grant:
        with self._lock:
            grant = self._refresh.get(token)
            if grant is None or grant.client_id != client.client_id:
                raise OAuthError("invalid_grant")
            del self._refresh[token]  # single use: a second redemption is invalid_grant
        return grant

    def _issue(self, grant: Grant) -> dict[str, object]:
        access = secrets.token_urlsafe(32)
        expires = self.clock() + timedelta(seconds=self.token_lifetime)
        answer: dict[str, object] = {
            "access_token": access,
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }
        with self._lock:
            self._access[access] = Grant(grant.client_id, grant.scopes, expires)
            if "offline_access" in grant.scopes:
                refresh = secrets.token_urlsafe(32)
                self._refresh[refresh] = grant
                answer["refresh_token"] = refresh
        return answer
