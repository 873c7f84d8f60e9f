"""Visma Connect client-credentials tokens, cached and renewed before they expire."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from vismasync.connectors.http import (
    Action,
    AuthError,
    ConfigError,
    ErrorClass,
    RequestKind,
    RetryPolicy,
    call_with_retries,
    decode_json,
    error_for,
    error_for_transport,
    expect_shape,
    malformed_answer,
    resolve_status,
    retry_after_seconds,
)

DEFAULT_SCOPES = (
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:update",
    # SalesOrders V3 (its own service, the same Visma Connect client and token).
    "visma.net.erp.salesorder:read",
    "visma.net.erp.salesorder:write",
)
# Renew this long before expiry (clients in the field renew 1-5 minutes early), but never more
# than half the lifetime, so short-lived tokens are still reused.
RENEW_BEFORE = 300.0
CONFIG_OAUTH_ERRORS = {"invalid_scope", "invalid_tenant", "unauthorized_client"}


class ClientCredentialsAuth:
    """One cached access token for (client, tenant, scopes); thread-safe.

    ``token()`` returns the cached token, fetching a new one only when none is cached or it is
    within the renewal margin of its expiry; ``invalidate()`` drops it after a 401.
    """

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        client_id: str,
        client_secret: str,
        tenant_id: str,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        *,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.tenant_id = tenant_id
        self.scopes = tuple(scopes)
        self._policy = retry_policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()
        self.requests_made = 0  # token requests so far (observability and tests)

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"tenant_id={self.tenant_id!r}, scopes={self.scopes!r})"
        )

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                # A client-credentials grant spends nothing: repeating it is a read.
                self._token, lifetime = call_with_retries(
                    self._fetch, self._policy, kind=RequestKind.READ, sleep=self._sleep
                )
                margin = min(RENEW_BEFORE, lifetime / 2)
                self._renew_at = self._clock() + lifetime - margin
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "scope": " ".join(self.scopes),
            "tenant_id": self.tenant_id,
        }
        self.requests_made += 1
        try:
            response = self._http.post(self.token_url, data=form)
        except httpx.TransportError as exc:
            raise error_for_transport(exc, "POST", self.token_url) from exc
        if response.status_code == 200:
            body = expect_shape(decode_json(response, "POST"), dict, f"POST {self.token_url}")
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise malformed_answer(response, "POST", "a token answer without an access token")
            try:
                return token, float(body.get("expires_in", 3600))
            except (TypeError, ValueError):
                bad = "a token answer with a bad expires_in"
                raise malformed_answer(response, "POST", bad) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        error = str(body.get("error") or "")
        message = str(body.get("error_description") or error or response.reason_phrase)
        kwargs = {"status_code": response.status_code, "code": error or None,
                  "method": "POST", "url": self.token_url}  # fmt: skip
        resolution = resolve_status(response.status_code)
        if resolution.action in (Action.RETRY, Action.WAIT_AND_RETRY):
            # The server failed or throttled: not a verdict on the credentials.
            wait = retry_after_seconds(response, message)
            raise error_for(resolution, message, retry_after=wait, **kwargs)
        if error in CONFIG_OAUTH_ERRORS:
            raise ConfigError(f"token request refused: {message}", error_class=ErrorClass.CONFIG,
                              **kwargs)  # fmt: skip
        raise AuthError(f"token request refused: {message}", error_class=ErrorClass.AUTH, **kwargs)
