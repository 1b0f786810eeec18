"""The errors forum-mirror raises; each message tells the user what to do next."""

import signal


class ForumMirrorError(Exception):
    """Base class: the CLI prints the message on one line and exits non-zero."""

    exit_code = 1


class UnsupportedUrl(ForumMirrorError, ValueError):
    """The URL is not a thread of any supported forum engine (or not one this engine can
    name without its page: a post permalink)."""

    exit_code = 2


class RobotsDisallowed(ForumMirrorError):
    """robots.txt forbids our User-Agent to fetch the URL."""

    exit_code = 3


class FetchFailed(ForumMirrorError):
    """A request failed for good (unreachable host, retries exhausted, bad status)."""

    exit_code = 4


class HttpStatusError(FetchFailed):
    """The server answered with an error status (after any retries)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class LayoutChanged(ForumMirrorError):
    """The page does not look like the engine expects: no posts where posts should be."""

    exit_code = 5


class ThreadIncomplete(ForumMirrorError):
    """A page after the first failed: the pages before it are archived, the thread is marked
    incomplete, and the exit code is that of the page's own error (4 fetch, 5 layout, ...)."""

    def __init__(self, message: str, cause: ForumMirrorError) -> None:
        super().__init__(message)
        self.cause = cause
        self.exit_code = cause.exit_code


class ArchiveError(ForumMirrorError):
    """The archive on disk is missing, unreadable or of an unknown format version."""

    exit_code = 6


class VerifyFailed(ForumMirrorError):
    """`verify` found the archive altered, incomplete or unreadable."""

    exit_code = 8


class ArchiveLocked(ForumMirrorError):
    """Another run holds the archive's lock."""

    exit_code = 9


class AccessBlocked(ForumMirrorError):
    """The board answered with a login wall, an error page or an anti-bot challenge."""

    exit_code = 7


class CookiesFileError(ForumMirrorError):
    """The cookies file is missing, unreadable or not in Netscape cookies.txt format."""


class ConfigError(ForumMirrorError):
    """The config file (forum-mirror.toml) is unreadable, not TOML, or has a bad key or value."""

    exit_code = 12


class Interrupted(ForumMirrorError):
    """A stop signal (Ctrl-C, SIGTERM) arrived: no new request is sent, what was complete stays.

    The exit code is the shell's for a death by that signal (128 + its number): 130 for
    SIGINT, 143 for SIGTERM.
    """

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")
        self.exit_code = 128 + signum


class QueueUnavailable(Interrupted):
    """The Redis server of `--queue` cannot be reached, or went away.

    An `Interrupted`, so that a thread in progress stops as at a stop signal: no new request,
    its earlier archive kept untouched; its job stays in the queue for a worker to do again.
    """

    exit_code = 13

    def __init__(self, message: str) -> None:
        ForumMirrorError.__init__(self, message)
        self.signal_name = ""
