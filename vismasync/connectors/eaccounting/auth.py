"""eAccounting OAuth: the authorization-code helper and rotating, single-use refresh tokens.

Tokens are persisted through a :class:`TokenStore` (the product's PostgreSQL store implements it
with a row lock). Every refresh goes through :meth:`TokenStore.rotate`, so two workers never burn
the same refresh token: the second one finds a newer version and uses it instead of refreshing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from vismasync.connectors.http import (
    DEFAULT_TIMEOUT,
    Action,
    ApiError,
    AuthError,
    ErrorClass,
    decode_json,
    error_for,
    error_for_transport,
    expect_shape,
    malformed_answer,
    resolve_status,
    retry_after_seconds,
)

DEFAULT_SCOPES = ("ea:api", "offline_access", "ea:sales", "ea:accounting")
REFRESH_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class StoredTokens:
    tokens: TokenSet
    version: int  # increments on every rotation


class TokenStore(Protocol):
    def load(self) -> StoredTokens | None: ...

    def save(self, tokens: TokenSet) -> StoredTokens: ...

    def rotate(self, seen_version: int, refresh: Callable[[TokenSet], TokenSet]) -> StoredTokens:
        """Under a lock: if the stored version != ``seen_version`` another worker already
        rotated, so return the stored pair without calling ``refresh``; else store and return
        ``refresh(current)``."""
        ...


class InMemoryTokenStore:
    """A :class:`TokenStore` in process memory (tests, one-off scripts). Thread-safe."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        self._lock = threading.Lock()
        self._stored = StoredTokens(tokens, 1) if tokens else None

    def load(self) -> StoredTokens | None:
        with self._lock:
            return self._stored

    def save(self, tokens: TokenSet) -> StoredTokens:
        with self._lock:
            version = self._stored.version + 1 if self._stored else 1
            self._stored = StoredTokens(tokens, version)
            return self._stored

    def rotate(self, seen_version: int, refresh: Callable[[TokenSet], TokenSet]) -> StoredTokens:
        with self._lock:
            if self._stored is None:
                raise AuthError("no tokens stored: authorize first", error_class=ErrorClass.AUTH)
            if self._stored.version != seen_version:
                return self._stored
            self._stored = StoredTokens(refresh(self._stored.tokens), self._stored.version + 1)
            return self._stored


class EAccountingOAuth:
    """The identity server's endpoints: authorize URL, code exchange and refresh.

    The client secret is held as a ``SecretStr`` and sent only as HTTP Basic credentials.
    """

    def __init__(
        self,
        identity_base: str,
        client_id: str,
        client_secret: str | SecretStr,
        redirect_uri: str,
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.identity_base = identity_base.rstrip("/")
        self.client_id = client_id
        self.client_secret = (
            client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        )
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scopes)
        self.http = http or httpx.Client(timeout=DEFAULT_TIMEOUT)
        self.clock = clock

    def __repr__(self) -> str:
        return (
            f"EAccountingOAuth(identity_base={self.identity_base!r}, client_id={self.client_id!r})"
        )

    def authorize_url(
        self,
        state: str,
        *,
        prompt: str | None = None,
        acr_values: str | None = None,
        code_challenge: str | None = None,
    ) -> str:
        """Where to send the user to connect a company (step 1 of the code flow)."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": state,
        }
        if prompt:
            params["prompt"] = prompt
        if acr_values:
            params["acr_values"] = acr_values
        if code_challenge:
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        return f"{self.identity_base}/connect/authorize?{urlencode(params)}"

    def exchange_code(self, code: str, code_verifier: str | None = None) -> TokenSet:
        """Trade the code from the redirect for the first token pair (step 2)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token_request(form)

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """One refresh grant. Never retried here: it spends the single-use refresh token, so a
        lost answer is reported (``TransientError``) rather than repeated blindly."""
        return self._token_request(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        )

    def _token_request(self, form: dict[str, str]) -> TokenSet:
        url = f"{self.identity_base}/connect/token"
        try:
            response = self.http.post(
                url,
                data=form,
                auth=(self.client_id, self.client_secret.get_secret_value()),
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise error_for_transport(exc, "POST", url) from None
        if response.status_code >= 400:
            raise _token_error(response, form["grant_type"], url)
        body = expect_shape(decode_json(response, "POST"), dict, f"POST {url}")
        if not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise malformed_answer(response, "POST", "a token answer without an access token")
        refresh = body.get("refresh_token")
        if not refresh:
            raise AuthError(
                "the token answer has no refresh token: request the offline_access scope",
                error_class=ErrorClass.AUTH,
                method="POST",
                url=url,
            )
        try:
            expires_in = int(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            bad = "a token answer with a bad expires_in"
            raise malformed_answer(response, "POST", bad) from None
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=refresh,
            expires_at=self.clock() + timedelta(seconds=expires_in),
        )


def _token_error(response: httpx.Response, grant_type: str, url: str) -> ApiError:
    try:
        error = str(response.json().get("error", "unknown_error"))
    except (ValueError, AttributeError):
        error = response.reason_phrase
    resolution = resolve_status(response.status_code)
    if resolution.action in (Action.RETRY, Action.WAIT_AND_RETRY):
        # The server failed or throttled: not a verdict on the credentials.
        return error_for(
            resolution,
            f"token endpoint failed ({error})",
            status_code=response.status_code,
            retry_after=retry_after_seconds(response),
            method="POST",
            url=url,
        )
    hint = {
        "invalid_grant": "the code or refresh token was rejected (used, expired or revoked): "
        "authorize the connection again",
        "invalid_client": "the client id or secret was rejected",
    }.get(error, f"the {grant_type} grant was refused")
    return AuthError(
        f"{error}: {hint}",
        error_class=ErrorClass.AUTH,
        status_code=response.status_code,
        code=error,
        method="POST",
        url=url,
    )


class TokenManager:
    """Hands out a valid access token: refreshes proactively shortly before expiry, and on
    demand after a 401, always through the store's ``rotate``.

    A refresh token the identity server refused stays refused: until the store holds another
    pair (someone authorized again), the refusal is raised again without a request, so a run
    reports it instead of spending a token request on every record.
    """

    def __init__(
        self,
        store: TokenStore,
        oauth: EAccountingOAuth,
        margin: timedelta = REFRESH_MARGIN,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.oauth = oauth
        self.margin = margin
        self.clock = clock
        self._refused: tuple[int, AuthError] | None = None  # (stored version, the refusal)

    def _rotate(self, seen_version: int) -> StoredTokens:
        if self._refused is not None and self._refused[0] == seen_version:
            raise self._refused[1]
        try:
            return self.store.rotate(seen_version, self.oauth.refresh)
        except AuthError as exc:
            self._refused = (seen_version, exc)
            raise

    def current(self) -> StoredTokens:
        stored = self.store.load()
        if stored is None:
            raise AuthError(
                "no eAccounting tokens stored: run the authorization first",
                error_class=ErrorClass.AUTH,
            )
        if stored.tokens.expires_at - self.margin <= self.clock():
            stored = self._rotate(stored.version)
        return stored

    def after_unauthorized(self, seen_version: int) -> StoredTokens:
        """A 401 with the token of ``seen_version``: rotate (or pick up another worker's)."""
        return self._rotate(seen_version)
