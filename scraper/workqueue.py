"""Workers on a shared Redis: `forum-mirror worker`, and `scrape`/`update --queue URL`.

The queue is Dramatiq's Redis broker (docs/scheduling.md says why Dramatiq). A message holds
a few `runner.ThreadJob`s of one host (a piece of its lane, `LANE_PIECE` threads at most):
a worker runs them one after another with one client, with `runner.run_job`, exactly as a
local lane does, and pushes each `runner.Outcome` to the batch's list in the same Redis as
it finishes, where `--wait` reads it:

    forum-mirror:threads                  Dramatiq's queue of messages (and its bookkeeping)
    forum-mirror:batch:<id>:outcomes      the finished jobs of one `--queue` run (JSON)
    forum-mirror:batch:<id>:done          the ids of those jobs (a message run again skips them)
    forum-mirror:throttle:...             per-host politeness (fetch/redis_throttle.py)

Why pieces of lanes and not one message per thread: a worker thread holding a job of a host
whose turn another thread holds only waits, and each message cost a client of its own (its
robots.txt fetched again), an `update` run record and WARC file, and Dramatiq's round trips;
small threads paid that many times over (issue 13). Why not whole lanes: a piece is what one
worker thread holds, so pieces share a batch's CPU work between the workers, and a stopping
worker hands back only the rest of its piece.

A message is acknowledged only after the outcomes of its jobs are pushed. A worker that dies
(SIGKILL, a lost machine) stops sending heartbeats; once its lease (`--lease`) has passed,
any other worker moves its unacknowledged messages back to the queue and runs the jobs not
done yet again. That is safe: every archive file is written by rename and each thread is
written under its own lock (lock.py), so a thread done twice is still archived once.

Dramatiq and redis are imported here only: the local mode never loads them.
"""

from __future__ import annotations

import json
import logging
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .archive import ThreadArchive
from .errors import ForumMirrorError, QueueUnavailable
from .fetch import FetchSettings, PoliteClient
from .fetch.stop import StopRequest
from .runner import Outcome, RunFold, ThreadJob, lanes_of, run_job
from .runs import CheckRecorder, UpdateRun
from .scrape import new_run_id

try:
    import dramatiq
    import redis
    from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as missing:  # pragma: no cover - the queue extra is part of the test extra
    raise ForumMirrorError(
        f"--queue and `worker` need the queue extra ({missing.name} is missing): "
        "pip install 'forum-mirror[queue]'") from None

log = logging.getLogger(__name__)

NAMESPACE = "forum-mirror"
QUEUE_NAME = "threads"
ACTOR_NAME = "forum_mirror_thread"
OUTCOMES_TTL_SECONDS = 7 * 24 * 3600  # an unread batch's outcomes are dropped after a week
# Threads of one host per message. At a polite delay a piece is seconds of a host's time, so
# its per-message costs (Dramatiq's round trips, a client taken, an update's run record) are
# small beside it; a batch of one host still spreads over many messages.
LANE_PIECE = 10
# A worker keeps its clients by forum settings and host (robots.txt read once, not per
# thread) and makes a new one after this long, so a changed robots.txt is seen within the hour.
CLIENT_MAX_AGE_SECONDS = 3600.0
# How long a stopping worker waits for its threads in progress (a supervisor such as
# systemd's TimeoutStopSec usually ends it sooner, with a SIGKILL that loses nothing).
STOP_TIMEOUT_MS = 24 * 3600 * 1000
CONSUMER_POLL_MS = 100
# How long `--wait` blocks on Redis at a time: a stop signal is seen within it.
_WAIT_POLL_SECONDS = 0.5
_WAIT_TAKE = 100  # outcomes `--wait` takes at a time

T = TypeVar("T")


def shown_queue(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _reach(url: str, call: Callable[[], T]) -> T:
    """`call()`, with Redis's connection errors as QueueUnavailable (exit code 13)."""
    try:
        return call()
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise QueueUnavailable(f"the queue at {shown_queue(url)} cannot be reached ({error}); "
                               "check that its redis-server runs and answers") from None


def _redis_client(url: str) -> redis.Redis:
    # Timeouts and a single retry at once (a connection Redis closed while idle), so that a
    # Redis that went away is an error within seconds: redis-py's default retries with
    # backoff made each call, and a worker's stop, wait about 20 s more.
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10,
                                health_check_interval=30, retry=Retry(NoBackoff(), 1))


def _broker(client: redis.Redis, lease_seconds: float | None = None) -> RedisBroker:
    """The broker on `client`; a worker's (`lease_seconds` given) also takes back the jobs
    of workers silent for longer than that."""
    # No middleware: Dramatiq's defaults would retry a failed thread 20 times (a failure is an
    # outcome, reported like a local run's), kill a thread after 10 minutes (a big thread
    # takes hours at a polite delay) and drop messages older than their age limit.
    if lease_seconds is None:
        return RedisBroker(client=client, namespace=NAMESPACE,  # type: ignore[no-untyped-call]
                           middleware=[], maintenance_chance=0)
    # Workers look for dead workers' messages on every call (a cheap sorted-set range), so a
    # lost job waits for its lease, not for luck.
    return RedisBroker(client=client, namespace=NAMESPACE,  # type: ignore[no-untyped-call]
                       middleware=[], heartbeat_timeout=round(lease_seconds * 1000),
                       maintenance_chance=MAINTENANCE_SCALE)


def _declare(broker: RedisBroker, perform: Callable[[str, str, dict[str, Any]], None]
             ) -> dramatiq.Actor[[str, str, dict[str, Any]], None]:
    return dramatiq.Actor(perform, broker=broker, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME,
                          priority=0, options={})


def _outcomes_key(batch_id: str) -> str:
    return f"{NAMESPACE}:batch:{batch_id}:outcomes"


def _done_key(batch_id: str) -> str:
    return f"{NAMESPACE}:batch:{batch_id}:done"


def pieces(jobs: Sequence[ThreadJob], size: int = LANE_PIECE) -> list[list[ThreadJob]]:
    """The jobs as messages: each host's lane (runner.lanes_of) cut into pieces of at most
    `size`, the hosts' first pieces first, then their second ones, ...: the workers start on
    every host at once, and a host's pieces are seldom run side by side (they would only
    wait for each other's turns)."""
    cut = [[lane[n:n + size] for n in range(0, len(lane), size)] for lane in lanes_of(jobs)]
    return [lane[n] for n in range(max(map(len, cut), default=0)) for lane in cut
            if n < len(lane)]


def _message(entries: Sequence[tuple[str, ThreadJob]]) -> dict[str, Any]:
    return {"jobs": [[job_id, job.to_dict()] for job_id, job in entries]}


def _entries(job_id: str, data: dict[str, Any]) -> list[tuple[str, ThreadJob]]:
    """The (job id, job) pairs of a message; a message of one job (as queued before pieces,
    by an older `--queue` run) is one pair."""
    if "jobs" not in data:
        return [(job_id, ThreadJob.from_dict(data))]
    return [(entry_id, ThreadJob.from_dict(job)) for entry_id, job in data["jobs"]]


@dataclass(frozen=True)
class Batch:
    """The jobs one `--queue` run handed to the workers."""

    batch_id: str
    jobs: dict[str, ThreadJob]  # by job id: the outcomes name their job by its id only


class JobQueue:
    """The submitting side: hands jobs to the workers and, for `--wait`, reads their outcomes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis = _redis_client(url)
        self._actor = _declare(_broker(self._redis), _not_here)

    def submit(self, jobs: Sequence[ThreadJob], batch_id: str) -> Batch:
        """Queue the jobs, a piece of a host's lane per message (`pieces`); QueueUnavailable
        if Redis cannot be reached (before any job is queued, unless it went away in the
        middle: the message says how many)."""
        _reach(self.url, self._redis.ping)
        queued: dict[str, ThreadJob] = {}
        for piece in pieces(jobs):
            entries = [(secrets.token_hex(8), job) for job in piece]
            data = _message(entries)
            try:
                _reach(self.url, lambda: self._actor.send(
                    batch_id, entries[0][0], data))  # noqa: B023
            except QueueUnavailable as lost:
                raise QueueUnavailable(f"{lost} after queueing {len(queued)} of {len(jobs)} "
                                       "thread(s); the workers do those") from None
            queued.update(entries)
        return Batch(batch_id, queued)

    def outcomes(self, batch: Batch, stop: StopRequest) -> Iterator[Outcome]:
        """Each job's outcome as a worker finishes it, until all are in; `Interrupted` on a
        stop request (the jobs stay queued), QueueUnavailable if Redis goes away."""
        key = _outcomes_key(batch.batch_id)
        pending = set(batch.jobs)
        while pending:
            stop.check()
            item = _reach(self.url, lambda: self._redis.blpop([key], timeout=_WAIT_POLL_SECONDS))
            if item is None:
                continue
            # With the first, those pushed meanwhile, in one round trip (not one each).
            more = _reach(self.url, lambda: self._redis.lpop(key, _WAIT_TAKE)) or []
            for raw in [item[1], *more]:
                data = json.loads(raw)
                # A worker lost after pushing but before acknowledging is run again: its
                # second outcome is only the re-check of a thread already done.
                if data["job_id"] in pending:
                    pending.discard(data["job_id"])
                    yield Outcome.from_dict(data["outcome"], batch.jobs[data["job_id"]])
        _reach(self.url, lambda: self._redis.delete(key, _done_key(batch.batch_id)))

    def close(self) -> None:
        self._redis.close()


def _not_here(batch_id: str, job_id: str, job: dict[str, Any]) -> None:
    raise RuntimeError("thread jobs run in `forum-mirror worker`, not where they are queued")


class _ClientPool:
    """Idle PoliteClients by fetch settings and host: a message takes one (or a new one) and
    gives it back, so each client serves one job at a time (its request counts are the
    job's) and keeps robots.txt between the jobs of one host."""

    def __init__(self, make: Callable[[FetchSettings], PoliteClient]) -> None:
        self._make = make
        self._idle: dict[str, list[tuple[float, PoliteClient]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(job: ThreadJob) -> str:
        return f"{job.origin} {job.settings!r}"

    def take(self, job: ThreadJob) -> tuple[float, PoliteClient]:
        """A client for `job`'s host and settings."""
        with self._lock:
            idle = self._idle.get(self._key(job), [])
            while idle:
                made, client = idle.pop()
                if time.monotonic() - made < CLIENT_MAX_AGE_SECONDS:
                    return made, client
                client.close()
        return time.monotonic(), self._make(job.settings)

    def give_back(self, job: ThreadJob, made: float, client: PoliteClient) -> None:
        with self._lock:
            self._idle.setdefault(self._key(job), []).append((made, client))

    def close(self) -> None:
        with self._lock:
            for idle in self._idle.values():
                for _, client in idle:
                    client.close()
            self._idle.clear()


_run_id_lock = threading.Lock()
_last_run_id = ""


def attempt_run_id() -> str:
    """A run id no other job of this process has: each attempt at a job is its own run
    (its WARC files and record, runs.py), so a job done again never meets a killed
    attempt's files."""
    global _last_run_id
    with _run_id_lock:
        run_id = new_run_id()
        while run_id <= _last_run_id:
            time.sleep(0.000_001)
            run_id = new_run_id()
        _last_run_id = run_id
        return run_id


class QueueWorker:
    """`forum-mirror worker`: runs thread jobs from the queue until told to stop."""

    def __init__(self, url: str, archive: ThreadArchive, *, concurrency: int,
                 lease_seconds: float, stop: StopRequest,
                 finished: Callable[[Outcome], None] = lambda outcome: None) -> None:
        """`finished` is called with each job's outcome once it is handed back (from the
        worker's threads, one call at a time)."""
        from .fetch.redis_throttle import LocalTurns, RedisThrottle

        self.url = url
        self.archive = archive
        self.stop = stop
        self._finished = finished
        self._finished_lock = threading.Lock()
        self.lost: QueueUnavailable | None = None
        self._redis = _redis_client(url)
        self._broker = _broker(self._redis, lease_seconds)
        self._actor = _declare(self._broker, self._perform)

        turns = LocalTurns()  # this worker's threads take a host's turns in order

        def make_client(settings: FetchSettings) -> PoliteClient:
            # A dead worker's turn at a host is free once its lease has passed, as its jobs.
            throttle = RedisThrottle(self._redis, settings.delay, sleep=stop.sleep,
                                     lease_seconds=lease_seconds, on_lost=self._on_lost,
                                     turns=turns)
            return PoliteClient(settings, stop=stop, throttle=throttle)

        self._clients = _ClientPool(make_client)
        self._worker = dramatiq.Worker(
            self._broker, worker_threads=concurrency,
            # A consumer with every thread busy, or an empty queue, looks again after at most
            # this long (each look is a heartbeat too): Dramatiq's 1 s default left a thread
            # idle for up to a second after each job, which small threads pay many times.
            worker_timeout=max(10, min(CONSUMER_POLL_MS, round(lease_seconds * 1000 / 4))))
        # Take no more jobs than there are threads to run them: a job held here waits while
        # another worker may be idle.
        self._worker.queue_prefetch = concurrency
        self._draining = threading.Event()
        self._active = 0  # jobs in progress
        self._active_lock = threading.Lock()
        self.jobs_done = 0

    def _on_lost(self, error: Exception) -> QueueUnavailable:
        lost = QueueUnavailable(f"lost the queue at {shown_queue(self.url)} ({error}); the "
                                "threads in progress stopped and keep their earlier archive")
        if self.lost is None:
            self.lost = lost
        return lost

    def _perform(self, batch_id: str, job_id: str, data: dict[str, Any]) -> None:
        """One message: run its job and push the outcome (the message is acknowledged after)."""
        with self._active_lock:
            self._active += 1
        try:
            self._run_message(batch_id, job_id, data)
        finally:
            with self._active_lock:
                self._active -= 1

    def _run_message(self, batch_id: str, message_id: str, data: dict[str, Any]) -> None:
        """Run the message's jobs not done yet (by an earlier attempt at it), in order, with
        one client; push each outcome as it comes. Draining, the jobs after the one in
        progress go back to the queue, as do the rest of a job stopped mid-thread."""
        entries = _entries(message_id, data)
        done = self._done_before(batch_id, [job_id for job_id, _ in entries])
        if done is None:
            return  # Redis went away: the message stays with this worker (its lease passes)
        entries = [(job_id, job) for job_id, job in entries if job_id not in done]
        if not entries:
            return
        run = (UpdateRun(self.archive, attempt_run_id())
               if any(job.command == "update" for _, job in entries) else None)
        fold = RunFold("update", len(entries), run=run) if run is not None else None
        # The jobs of a message share their host's settings (runner.lanes_of): one recorder.
        recorder = run.forum(entries[0][1].settings) if run is not None else None
        made, client, failure = 0.0, None, None
        try:
            made, client = self._clients.take(entries[0][1])
        except ForumMirrorError as error:  # its cookies file, say: the threads fail, not the job
            failure = error
        try:
            for n, (job_id, job) in enumerate(entries):
                if n and self._draining.is_set():  # a stopping worker hands back the rest
                    self._actor.send(batch_id, job_id, _message(entries[n:]))
                    return
                outcome = self._outcome(job, client, failure, run, recorder)
                if fold is not None:
                    fold.add(outcome)
                if outcome.status == "interrupted":  # by a signal, or by the loss of Redis
                    if self.lost is None:
                        # Stopped at once (a second signal): the thread is not done; another
                        # worker does it, and the rest.
                        self._actor.send(batch_id, job_id, _message(entries[n:]))
                        log.warning("%s: stopped mid-thread; queued again for another worker",
                                    job.url)
                    return  # lost: nothing can be pushed or acknowledged; it stays with us
                if not self._push(batch_id, job_id, outcome):
                    return
        finally:
            if client is not None:
                self._clients.give_back(entries[0][1], made, client)
            if run is not None and fold is not None:  # this attempt's run record
                run.finish(fold.exit_code(), fold.summary_fields())

    def _outcome(self, job: ThreadJob, client: PoliteClient | None,
                 failure: ForumMirrorError | None, run: UpdateRun | None,
                 recorder: CheckRecorder | None) -> Outcome:
        """One job's outcome (a client that could not be made fails it)."""
        if run is not None and job.command == "update":
            job = replace(job, run_id=run.run_id)
        if client is None:
            assert failure is not None
            return Outcome(job, "failed", error=str(failure), error_type=type(failure).__name__,
                           exit_code=failure.exit_code)
        try:
            return run_job(job, self.archive, client, recorder, stop=self.stop)
        except Exception as unexpected:  # a bug: say so to the waiting run, not only here
            log.exception("internal error on %s", job.url)
            return Outcome(job, "failed", error=f"internal error: "
                                                f"{type(unexpected).__name__}: {unexpected}",
                           error_type=type(unexpected).__name__, exit_code=1)

    def _done_before(self, batch_id: str, job_ids: list[str]) -> set[str] | None:
        """Which of `job_ids` an earlier attempt at their message finished; None when Redis
        cannot be reached."""
        try:
            found = self._redis.smismember(_done_key(batch_id), job_ids)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            self._on_lost(error)
            return None
        return {job_id for job_id, is_done in zip(job_ids, found, strict=True) if is_done}

    def _push(self, batch_id: str, job_id: str, outcome: Outcome) -> bool:
        """Hand the outcome to the waiting run; False when Redis went away."""
        message = json.dumps({"job_id": job_id, "outcome": outcome.to_dict(with_job=False)})
        key, done = _outcomes_key(batch_id), _done_key(batch_id)
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, message)
                pipe.sadd(done, job_id)
                pipe.expire(key, OUTCOMES_TTL_SECONDS)
                pipe.expire(done, OUTCOMES_TTL_SECONDS)
                pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            self._on_lost(error)
            return False
        with self._finished_lock:
            self.jobs_done += 1
            self._finished(outcome)
        return True

    def drain(self) -> None:
        """Take no new job; the run ends when the jobs in progress are done (signal-safe)."""
        self._draining.set()

    def _redis_answers(self) -> bool:
        try:
            self._redis.ping()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            self._on_lost(error)
        return self.lost is None

    def run(self, *, health_every: float = 1.0) -> None:
        """Work until `drain()` (or a stop request), then finish the jobs in progress and
        return; QueueUnavailable if Redis went away (the jobs in progress stop first)."""
        _reach(self.url, self._redis.ping)
        self._worker.start()
        try:
            while (not self._draining.wait(health_every) and not self.stop.requested
                   and self._redis_answers()):
                pass
            # Dramatiq's stop waits for the jobs in progress, then hands back the jobs taken
            # but not started; Redis is watched meanwhile.
            stopper = threading.Thread(target=self._worker.stop, name="stopping",
                                       kwargs={"timeout": STOP_TIMEOUT_MS}, daemon=True)
            if self.lost is None:
                stopper.start()
                while stopper.is_alive() and self._redis_answers():
                    stopper.join(health_every)
        finally:
            if self.lost is not None:
                # Dramatiq retries an acknowledgement until Redis is back, so it cannot stop
                # now: the jobs in progress end at their next request, and this process with
                # them (Dramatiq's threads are daemons); their messages come back once this
                # worker's lease has passed.
                self.stop.request(signal.SIGTERM)
                while self._active:
                    time.sleep(0.05)
            self._clients.close()
            self._redis.close()
        if self.lost is not None:
            raise self.lost


def worker_signals(worker: QueueWorker) -> Callable[[int, object], None]:
    """The worker's SIGTERM/SIGINT handler: the first lets the threads in progress finish,
    the second stops them at their next request (they are queued again), a third exits."""

    def on_signal(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if worker.stop.requested:
            import os

            os.write(2, b"\nstopped at once\n")
            os._exit(128 + signum)
        if worker._draining.is_set():
            worker.stop.request(signum)
            log.warning("%s again: stopping the threads in progress at their next request; "
                        "they go back to the queue", name)
            return
        worker.drain()
        log.warning("%s: finishing the thread(s) in progress, then stopping; send it again "
                    "to stop them at their next request", name)

    return on_signal

