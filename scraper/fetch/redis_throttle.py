"""`RedisThrottle`: the per-host throttle of throttle.py, kept in Redis for every worker.

The rule is the same as `HostThrottle`'s: one request in flight per host, and the next one
starts at least the host's gap after the previous one ENDED. Two keys per host hold it:

    <prefix>:lease:<host>   a random token, SET NX PX while one request is in flight, and
                            renewed while it lasts; it expires on its own when the worker
                            holding it dies mid-request
    <prefix>:next:<host>    the Redis time (ms) before which no request may start: set when a
                            request ends (its end + the gap) and by a backoff (429/503)
    <prefix>:block:<host>   why the host is blocked (a Retry-After too long to wait), for as
                            long as it asked

Each step is one Lua script, so checking the block and taking the turn is atomic across
workers, and every timestamp comes from the Redis server's clock, the one clock all machines
share.
The floor (`delay`, Crawl-delay) and the adaptive interval stay in each worker: every worker
reads the same config and the same robots.txt, and the gap a request leaves behind is the
one its own worker computed.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import redis

from ..errors import FetchFailed, QueueUnavailable

log = logging.getLogger(__name__)

# While another worker holds the host's turn, we do not know when its request ends: look again
# this often (its end then sets the exact time of the next start).
_POLL_SECONDS = 0.02

T = TypeVar("T")

# KEYS: lease, next, block. ARGV: token, lease ms. Returns 0 when the turn is ours (the lease
# is set), the block's message when the host is blocked, else the milliseconds to wait before
# asking again.
_ACQUIRE = """
local blocked = redis.call('GET', KEYS[3])
if blocked then
    return blocked
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then
    return next_start - now
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return 0
end
return -1
"""

# KEYS: lease, next. ARGV: token (or '' for a backoff), gap ms. The next start becomes at
# least now + gap; the lease is dropped if it is still ours.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[2])
local next_start = now + gap
if next_start > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], next_start, 'PX', gap + 1000)
end
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
end
return next_start
"""

# KEYS: lease. ARGV: token, lease ms. The lease lasts on while it is still ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class LocalTurns:
    """What the throttles of one worker process share per host: one of its threads at a time
    waits for and holds the host's turn (the others queue here, not by asking Redis every
    few milliseconds), and when the last request of this process to the host lets the next
    one start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.Lock] = {}
        self._not_before: dict[str, float] = {}  # host -> monotonic time

    def lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._hosts.setdefault(host, threading.Lock())

    def wait_before(self, host: str) -> float:
        """How long before this process's own last request to `host` lets another start."""
        with self._lock:
            return self._not_before.get(host, 0.0) - time.monotonic()

    def ended(self, host: str, gap_seconds: float) -> None:
        with self._lock:
            self._not_before[host] = time.monotonic() + gap_seconds


class RedisThrottle:
    """Spaces requests to each host across every process that shares `client`'s Redis."""

    def __init__(
        self,
        client: redis.Redis,
        delay: float,
        *,
        lease_seconds: float,
        prefix: str = "forum-mirror:throttle",
        sleep: Callable[[float], None],
        on_lost: Callable[[Exception], QueueUnavailable] | None = None,
        turns: LocalTurns | None = None,
    ) -> None:
        """A request holds its host's turn for `lease_seconds` at a time, renewed while it
        lasts: a dead worker's turn is free again after that. `sleep` must end early on a
        stop request. When Redis
        cannot be reached, the error `on_lost` makes of it is raised: no request is sent
        without the shared state that makes it polite. `turns`: shared by the throttles of
        one process (its clients), so its threads take their turns at a host in order."""
        self._on_lost = on_lost or (lambda error: QueueUnavailable(
            f"lost the Redis server that keeps the per-host delays ({error})"))
        self._redis = client
        self._prefix = prefix
        self._default_delay = delay
        self._lease_ms = max(1, round(lease_seconds * 1000))
        self._sleep = sleep
        self._delays: dict[str, float] = {}
        self._adaptive: dict[str, float] = {}
        self._lock = threading.Lock()
        self._held: dict[str, str] = {}  # token -> lease key, of the requests in flight
        # The time before which this process's own last request to a host lets no other
        # start is waited for here, so that asking Redis is not spent on learning it (small
        # threads made that one round trip in three).
        self._turns = turns or LocalTurns()
        self._blocks: dict[str, tuple[float, str]] = {}  # host -> (monotonic end, message)
        self._renewer: threading.Thread | None = None
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    def _call(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise self._on_lost(error) from None

    def _keys(self, host: str) -> list[str]:
        return [f"{self._prefix}:lease:{host}", f"{self._prefix}:next:{host}",
                self._block_key(host)]

    def _block_key(self, host: str) -> str:
        return f"{self._prefix}:block:{host}"

    def delay_for(self, host: str) -> float:
        """The floor of the gap between requests to `host`."""
        with self._lock:
            return self._delays.get(host, self._default_delay)

    def adapt(self, host: str, interval: float) -> None:
        """Set the adaptive interval for `host`; the floor still holds when it is lower."""
        with self._lock:
            self._adaptive[host] = interval

    def raise_delay(self, host: str, delay: float) -> None:
        """Make the gap for `host` at least `delay` (a site's Crawl-delay); never lowers it."""
        with self._lock:
            if delay > self._delays.get(host, self._default_delay):
                log.info("%s asks for %.1f s between requests; using it", host, delay)
                self._delays[host] = delay

    def _gap_ms(self, host: str) -> int:
        with self._lock:
            gap = max(self._delays.get(host, self._default_delay), self._adaptive.get(host, 0.0))
        return round(gap * 1000)

    @contextmanager
    def request_slot(self, host: str) -> Iterator[None]:
        """Wait for the host's turn across all workers, then hold it until the request is over;
        FetchFailed when the host is blocked (`block`, by any worker)."""
        with self._turns.lock(host):
            yield from self._turn(host)

    def _turn(self, host: str) -> Iterator[None]:
        keys = self._keys(host)
        token = secrets.token_hex(8)
        early = self._turns.wait_before(host)
        if early > 0:
            self._sleep(early)
        while True:
            answer = self._call(lambda: self._acquire(keys=keys, args=[token, self._lease_ms]))
            if isinstance(answer, bytes):  # the block's message
                raise FetchFailed(answer.decode("utf-8", "replace"))
            wait_ms = int(answer)
            if wait_ms == 0:
                break
            self._sleep(wait_ms / 1000 if wait_ms > 0 else _POLL_SECONDS)
        try:
            with self._renewed(keys[0], token):
                yield
        finally:
            # From the end of this request, as HostThrottle counts it.
            gap = self._gap_ms(host)
            self._call(lambda: self._release(keys=keys[:2], args=[token, gap]))
            # Counted from after the release's answer, so never earlier than Redis's own
            # next start (Redis still has the last word: another worker may push it later).
            self._turns.ended(host, gap / 1000)

    @contextmanager
    def _renewed(self, key: str, token: str) -> Iterator[None]:
        """Keep the lease `key` renewed (every third of its length) until the block ends."""
        with self._lock:
            self._held[token] = key
            if self._renewer is None:
                # One thread for every lease this throttle holds, not one per request (small
                # pages made starting it a good part of a request's cost); it ends once no
                # lease is held.
                self._renewer = threading.Thread(target=self._renew_held, name="lease renewer",
                                                 daemon=True)
                self._renewer.start()
        try:
            yield
        finally:
            with self._lock:
                del self._held[token]

    def _renew_held(self) -> None:
        while True:
            time.sleep(self._lease_ms / 3000)
            with self._lock:
                held = list(self._held.items())
                if not held:
                    self._renewer = None
                    return
            for token, key in held:
                # A lease given back meanwhile is not ours any more: the script leaves it. A
                # lost Redis: the request in flight finds out by itself.
                with contextlib.suppress(redis.RedisError):
                    self._renew(keys=[key], args=[token, self._lease_ms])

    def hold_off(self, host: str, seconds: float) -> None:
        """Send nothing to `host` for `seconds` from now, from any worker (429/503 backoff)."""
        keys, gap = self._keys(host)[:2], round(seconds * 1000)
        self._call(lambda: self._release(keys=keys, args=["", gap]))

    def block(self, host: str, seconds: float, message: str) -> None:
        """Refuse every request to `host` for `seconds` in every worker, saying `message`."""
        key, ttl = self._block_key(host), max(1, round(seconds * 1000))
        self._call(lambda: self._redis.set(key, message, px=ttl))
        with self._lock:
            self._blocks[host] = (time.monotonic() + seconds, message)

    def blocked(self, host: str) -> str | None:
        """Why `host` is blocked now, as far as this worker knows (its own `block`), or None.
        A block set by another worker stops the request at its turn, in the same script that
        gives turns (`request_slot` raises FetchFailed with its message): no request is sent
        to a blocked host, and no round trip is spent asking before every request."""
        with self._lock:
            until, message = self._blocks.get(host, (0.0, ""))
        return message if time.monotonic() < until else None
