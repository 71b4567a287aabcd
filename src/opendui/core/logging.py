"""Logging helpers that keep personal data out of application logs."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^\s\"]*")


class StripQueryStringFilter(logging.Filter):
    """Remove query strings from request lines: search terms are names and birth dates."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _QUERY.sub("?…", arg) if isinstance(arg, str) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub("?…", record.msg)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            record.request = None
        return True
