"""WSGI entry point (gunicorn opendui.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opendui.settings")
application = get_wsgi_application()
