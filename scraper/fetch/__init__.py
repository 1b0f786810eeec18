"""The fetch layer: the only code that does HTTP (politely, and keeping evidence)."""

from .client import Fetched, PoliteClient, Validators
from .settings import FetchSettings
from .warc import WarcRecorder

__all__ = ["FetchSettings", "Fetched", "PoliteClient", "Validators", "WarcRecorder"]
