"""forum-mirror: preserve forum threads with provenance and publish them as a static mirror."""

__version__ = "0.1.0"

PROJECT_URL = "https://github.com/forum-mirror/forum-mirror"
