"""One BunceClient per call, for the key's own environment, over one shared connection pool."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

from bot.bunce.client import CREATE_TIMEOUT, READ_TIMEOUT, BunceClient
from bot.bunce.keys import environment_of
from bot.bunce.limiter import RateLimiter


class BunceClientFactory:
    """Builds a BunceClient for a key, choosing live or sandbox from its prefix; one shared pool."""

    def __init__(
        self,
        live_url: str,
        sandbox_url: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = CREATE_TIMEOUT,
        read_timeout: tuple[float, float] = READ_TIMEOUT,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._bases = {"live": live_url.rstrip("/"), "sandbox": sandbox_url.rstrip("/")}
        self._session = session or _pooled_session()
        self._timeout = timeout
        self._read_timeout = read_timeout
        self.limiter = limiter or RateLimiter()

    def for_key(self, key: str) -> BunceClient:
        """A client for the key's own environment; InvalidKeyError for an unknown prefix."""
        return BunceClient(
            key,
            base_url=self._bases[environment_of(key)],
            session=self._session,
            timeout=self._timeout,
            read_timeout=self._read_timeout,
            limiter=self.limiter,
        )

    def close(self) -> None:
        """Release pooled connections (at shutdown)."""
        self._session.close()


def _pooled_session() -> requests.Session:
    # Every workspace's calls share this pool; many worker threads may call Bunce at once.
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
