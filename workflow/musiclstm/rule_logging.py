"""Logging for rule scripts: everything to the rule's log file, and progress to the terminal."""

from __future__ import annotations

import logging
import sys


def log_to(path: str) -> None:
    """Send log records and any traceback to ``path``; copy the records to the console."""
    console = sys.stderr
    sys.stderr = open(path, "w", buffering=1)
    form = logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S")
    to_file = logging.StreamHandler(sys.stderr)
    to_console = logging.StreamHandler(console)
    for handler in (to_file, to_console):
        handler.setFormatter(form)
    logging.basicConfig(level=logging.INFO, handlers=[to_file, to_console], force=True)
