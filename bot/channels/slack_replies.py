"""Getting an answer to the person: response_url first, with retries, then a direct message.

A response_url answers where the person asked (the channel, privately). Slack sometimes
answers it with 500 or 429, and it expires after 30 minutes (404), so posting is retried
with backoff (honouring Retry-After, within a few seconds) and, when it still fails, the
answer goes by direct message instead. Every failure is logged with the request's user and
command (from the logging context), never the text. Only Slack's own hosts (and the host of
SLACK_API_URL, for GovSlack, proxies and tests) are ever posted to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
ATTEMPTS = 3
MAX_RETRY_AFTER_SECONDS = 5.0
MAX_POST_TIMEOUT_SECONDS = 5.0
_backoff = wait_exponential(multiplier=0.5, max=4)


class _Retryable(Exception):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.retry_after = retry_after


def _wait(state: RetryCallState) -> float:
    """Retry-After when Slack gives one (capped), else exponential backoff."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, _Retryable) and error.retry_after is not None:
        return min(error.retry_after, MAX_RETRY_AFTER_SECONDS)
    return float(_backoff(state))


def _retry_after(headers: Any) -> float | None:
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return None


def web_client(token: str, base_url: str, timeout: float) -> AsyncWebClient:
    """Slack's Web API client: 429s wait Retry-After, 500/503 and dropped connections retry."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=max(1, round(timeout)),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@asynccontextmanager
async def kept_connections(client: AsyncWebClient) -> AsyncIterator[None]:
    """While this runs, the client's calls share one HTTP session and reuse its connections.

    Without a session slack_sdk opens one per call: a new TCP and TLS handshake with Slack for
    every message, App Home and modal. Bolt gives each request a copy of the app's client,
    session included, so this must be entered before requests come. Nested, it does nothing.
    """
    if client.session is not None and not client.session.closed:
        yield
        return
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))
    client.session = session
    try:
        yield
    finally:
        client.session = None
        await session.close()
        await asyncio.sleep(0)  # let aiohttp close its connector cleanly


class ResponseUrls:
    """Posts to Slack response_urls; one HTTP session for the process."""

    def __init__(
        self, extra_hosts: Iterable[str] = (), timeout: float = MAX_POST_TIMEOUT_SECONDS
    ) -> None:
        self.hosts = SLACK_HOOK_HOSTS | {h for h in extra_hosts if h}
        self.timeout = min(timeout, MAX_POST_TIMEOUT_SECONDS)
        self._session: aiohttp.ClientSession | None = None

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("https", "http") and parts.hostname in self.hosts

    async def post(self, url: str, body: dict[str, Any]) -> str | None:
        """Post ``body``; None when Slack took it, else why not (for the log)."""
        if not self.allowed(url):
            return f"refused to post to host {urlsplit(url).hostname!r}"
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(ATTEMPTS),
                wait=_wait,
                retry=retry_if_exception_type((_Retryable, aiohttp.ClientError, TimeoutError)),
                reraise=True,
            ):
                with attempt:
                    status = await self._post_once(url, body)
        except _Retryable as exc:
            return f"{exc} after {ATTEMPTS} tries"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__} after {ATTEMPTS} tries"
        return None if status < 300 else f"HTTP {status}"

    async def _post_once(self, url: str, body: dict[str, Any]) -> int:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            self._session = aiohttp.ClientSession(timeout=timeout)
        async with self._session.post(url, json=body) as response:
            if response.status == 429 or response.status >= 500:
                raise _Retryable(response.status, _retry_after(response.headers))
            return response.status

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            await asyncio.sleep(0)  # let aiohttp close its connector cleanly


async def direct_message(
    client: AsyncWebClient, slack_user_id: str, payload: dict[str, Any]
) -> bool:
    """DM the person (the bot's DM channel with them); False, logged, when that fails too."""
    try:
        await client.chat_postMessage(channel=slack_user_id, **payload)
    except Exception as exc:
        log.error("could not answer by direct message either (%s)", type(exc).__name__)
        return False
    return True


async def answer(
    urls: ResponseUrls,
    client: AsyncWebClient,
    *,
    slack_user_id: str,
    response_url: str | None,
    payload: dict[str, Any],
    response_options: dict[str, Any] | None = None,
) -> bool:
    """Where the person asked (response_url), else by DM. Whether they got it."""
    if response_url:
        failure = await urls.post(response_url, {**payload, **(response_options or {})})
        if failure is None:
            return True
        log.warning("response_url failed (%s); answering by direct message", failure)
    return await direct_message(client, slack_user_id, payload)


async def open_modal(
    client: AsyncWebClient, trigger_id: str, modal: dict[str, Any], what: str
) -> str | None:
    """Open ``modal`` (``what`` it is, for the log); the reason when Slack did not let us."""
    try:
        await client.views_open(trigger_id=trigger_id, view=modal)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        reason = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("views.open failed for %s: %s", what, reason)
        return reason
    return None


def slack_error(exc: SlackApiError) -> str:
    """The `error` code of a failed Web API call (or its HTTP status when there is none)."""
    data = exc.response.data
    error = data.get("error") if isinstance(data, dict) else None
    return str(error) if error else f"HTTP {exc.response.status_code}"
