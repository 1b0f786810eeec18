"""A demo XenForo 2.2 board on 127.0.0.1 serving the seed thread, for tests and the demo.

    with DemoForum() as forum:
        httpx.get(forum.thread_url)

`serve_forever(port)` runs it in the foreground (`forum-mirror demo-forum`).
"""

from __future__ import annotations

from .seed import SEED_THREAD, SeedPost, build_thread
from .server import DemoForum, RequestLog, serve_forever

__all__ = ["SEED_THREAD", "DemoForum", "RequestLog", "SeedPost", "build_thread", "serve_forever"]
