"""`opendui demo` says where the mails go when no SMTP server is configured."""

from __future__ import annotations

import io


def test_demo_shows_where_mails_are_written(settings, tmp_path):
    from opendui.core.management.commands.demo import Command

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "mails")},
        }
    }
    out = io.StringIO()
    Command(stdout=out)._show_mail_folder()
    assert str(tmp_path / "mails") in out.getvalue()
    assert (tmp_path / "mails").is_dir()
