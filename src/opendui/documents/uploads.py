"""Stop an oversize upload while its body is read, before it reaches the disk in full.

Installed first in FILE_UPLOAD_HANDLERS. Django's parser feeds it every chunk of every
file; once the files of one request exceed OPENDUI_DOCUMENT_MAX_BYTES (plus 1 MB for the
multipart overhead of several camera images) it stops the parse (`StopUpload`: the rest
of the body is read and dropped, nothing is kept) and marks the request, so the view
answers with a French message (413) instead of Django's generic error. A declared
Content-Length already over the limit is refused the same way at the first file, so the
form's other fields (CSRF and form tokens, which come before the file inputs) are
still read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import UnreadablePostError

SLACK = 1024 * 1024
TOO_BIG_ATTR = "document_upload_too_big"


def upload_limit() -> int:
    return settings.DOCUMENT_MAX_BYTES + SLACK


def too_big(request) -> bool:
    """Whether the upload was stopped for its size (reads the body if not read yet)."""
    interrupted(request)
    return bool(getattr(request, TOO_BIG_ATTR, False))


def interrupted(request) -> bool:
    """Whether the body could not be read to its end (the client went away): Django then
    keeps empty POST and FILES, so nothing of it can be stored."""
    if request.method != "POST":
        return False
    try:
        request.FILES  # noqa: B018 - parses the body, which runs the handlers
    except UnreadablePostError:
        return True
    return False


class DocumentSizeLimitHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0
        self.over = bool(content_length and content_length > upload_limit() + SLACK)
        return None

    def _stop(self) -> None:
        if self.request is not None:
            setattr(self.request, TOO_BIG_ATTR, True)
        raise StopUpload(connection_reset=False)

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if getattr(self, "over", False):
            self._stop()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > upload_limit():
            self._stop()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
