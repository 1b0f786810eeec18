"""The theme's templates, compiled once and kept for the next build.

Compiling the theme took most of a second of every build. Each of Pelican's generators has
a Jinja environment of its own: those Pelican's own generators compiled (the author and
period pages) were 60-70 ms of a rebuild that writes three pages (measured), until
build_site gave them this cache too. Jinja's own file cache keeps each compiled template
beside the output, in the build's cache folder (build.cache_folder); it checks an entry
against the template's source and the Python version, and writes it to a temporary file
first. An entry that cannot be read (cut short, or not Jinja's) is compiled again, as a
missing one is.

Compiled code depends on the environment as much as on the source: autoescaping, for one,
is decided when a template is compiled. Our generator escapes (scraped text is hostile),
Pelican's do not, and they compile the same theme: each entry is kept under its template
and the options of the environment that compiled it, so that one never runs code compiled
for the other.
"""

from __future__ import annotations

import logging
import pickle
from hashlib import sha256
from pathlib import Path

from jinja2 import Environment
from jinja2.bccache import Bucket, FileSystemBytecodeCache

log = logging.getLogger(__name__)

TEMPLATES_DIR = "templates"  # in the build's cache folder


def compile_options(environment: Environment, name: str) -> str:
    """What of `environment` its compiled code for template `name` depends on."""
    autoescape = environment.autoescape
    options = (
        autoescape(name) if callable(autoescape) else bool(autoescape),
        environment.block_start_string, environment.block_end_string,
        environment.variable_start_string, environment.variable_end_string,
        environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix,
        environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
        environment.keep_trailing_newline, environment.optimized, environment.is_async,
        environment.finalize is not None, sorted(environment.extensions),
    )
    return sha256(repr(options).encode()).hexdigest()[:16]


class TemplateCache(FileSystemBytecodeCache):
    def __init__(self, cache_folder: Path) -> None:
        folder = cache_folder / TEMPLATES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(str(folder))

    def get_bucket(self, environment: Environment, name: str, filename: str | None,
                   source: str) -> Bucket:  # fmt: skip
        key = self.get_cache_key(f"{name}|{compile_options(environment, name)}", filename)
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
            log.debug("compiled template %s unreadable (%s): compiling it again",
                      bucket.key, error)  # fmt: skip
            bucket.reset()
