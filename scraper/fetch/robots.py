"""robots.txt rules of one site, as RFC 9309 says to read them; no I/O (the client fetches)."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

from ..urls import origin_of
from .settings import USER_AGENT_TOKEN


def site_origin(url: str) -> str:
    """`scheme://host[:port]`: the scope one robots.txt governs (RFC 9309 section 2.3)."""
    return str(origin_of(url))


def robots_url(url: str) -> str:
    """Where the robots.txt governing `url` lives."""
    return f"{site_origin(url)}/robots.txt"


@dataclass(frozen=True)
class RobotsRules:
    """What one robots.txt allows our User-Agent token, and why."""

    robots_url: str
    summary: str  # how the rules came about, e.g. "answered 404: everything allowed"
    parser: Protego | None = None  # None when the whole site is allowed or refused
    allow_all: bool = False
    source: str | None = None  # "<warc file> <record id>" of the robots.txt response

    @classmethod
    def from_response(cls, robots_url: str, status: int, body: bytes) -> RobotsRules:
        """Rules from a robots.txt answer (after redirects)."""
        if 200 <= status < 300:
            # RFC 9309 section 2.2.1: robots.txt is UTF-8; a stray byte must not void the rules.
            parser = Protego.parse(body.decode("utf-8", errors="replace"))
            return cls(robots_url, f"answered {status}: rules parsed", parser=parser)
        if 400 <= status < 500 and status != 429:
            # RFC 9309 section 2.3.1.3: "unavailable" means no restrictions. 429 is
            # overload, which section 2.3.1.4 treats like a server error.
            return cls(robots_url, f"answered {status}: everything allowed", allow_all=True)
        return cls.unreachable(robots_url, f"answered {status}")

    @classmethod
    def unreachable(cls, robots_url: str, reason: str) -> RobotsRules:
        """Rules when robots.txt cannot be read: RFC 9309 section 2.3.1.4 says disallow all."""
        return cls(
            robots_url,
            f"{reason}: unreachable robots.txt means everything is disallowed (RFC 9309)",
        )

    def with_source(self, source: str) -> RobotsRules:
        """The same rules, remembering which WARC record they were read from."""
        return RobotsRules(self.robots_url, self.summary, self.parser, self.allow_all, source)

    def allows(self, url: str) -> bool:
        """Whether our User-Agent token (or `*`) may fetch `url`."""
        if self.allow_all:
            return True
        if self.parser is None:
            return False
        return self.parser.can_fetch(url, USER_AGENT_TOKEN)

    def crawl_delay(self) -> float | None:
        """Seconds between requests the site asks for (Crawl-delay or Request-rate), if any."""
        if self.parser is None:
            return None
        delays = []
        crawl_delay = self.parser.crawl_delay(USER_AGENT_TOKEN)
        if crawl_delay is not None:
            delays.append(float(crawl_delay))
        rate = self.parser.request_rate(USER_AGENT_TOKEN)
        if rate is not None:
            delays.append(rate.seconds / rate.requests)
        return max(delays, default=None)

    def refusal(self, url: str) -> str:
        """The message for a `RobotsDisallowed` about `url`."""
        if self.parser is None:
            return (
                f"robots.txt at {self.robots_url} {self.summary}, so {url} is not fetched; "
                "try again later, or ask the site's owner"
            )
        return (
            f"robots.txt at {self.robots_url} disallows {url} for {USER_AGENT_TOKEN}; "
            "the site does not want this page archived (ask its owner, or pass "
            "--ignore-robots (obey_robots=False) only if you have permission)"
        )
