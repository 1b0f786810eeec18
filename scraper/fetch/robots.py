"""robots.txt (RFC 9309) via protego: what a host allows us, and how slowly."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

from .settings import ROBOTS_TOKEN


@dataclass
class RobotsRules:
    """The robots.txt verdict for one host."""

    robots_url: str
    parser: Protego | None  # None: no usable file
    allow_all: bool  # 404/410: no rules
    reason: str = ""  # why everything is refused, when the file could not be read

    def allowed(self, url: str) -> bool:
        if self.allow_all:
            return True
        if self.parser is None:
            return False
        return bool(self.parser.can_fetch(url, ROBOTS_TOKEN))

    def delay(self) -> float:
        """The slowest pace the file asks for (Crawl-delay, Request-rate), in seconds."""
        if self.parser is None:
            return 0.0
        delays = [float(self.parser.crawl_delay(ROBOTS_TOKEN) or 0)]
        rate = self.parser.request_rate(ROBOTS_TOKEN)
        if rate is not None and rate.requests:
            delays.append(rate.seconds / rate.requests)
        return max(delays)


def rules_from_response(robots_url: str, status: int | None, body: str) -> RobotsRules:
    """Interpret a robots.txt answer: 2xx parsed; 4xx allow all; 5xx or no answer refuse all."""
    if status is not None and 200 <= status < 300:
        return RobotsRules(robots_url, Protego.parse(body), allow_all=False)
    if status is not None and 400 <= status < 500:
        return RobotsRules(robots_url, None, allow_all=True)
    reason = f"HTTP {status}" if status is not None else "no answer"
    return RobotsRules(robots_url, None, allow_all=False,
                       reason=f"{robots_url} is unavailable ({reason}); RFC 9309 says to "
                              "fetch nothing until it can be read")
