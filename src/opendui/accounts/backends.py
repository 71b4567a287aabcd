"""E-mail and password authentication (Pro Santé Connect will be another way in)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from .models import User


class EmailBackend(BaseBackend):
    def authenticate(self, request, email: str | None = None, password: str | None = None, **kw):
        if not email or not password:
            return None
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            User().set_password(password)  # same work factor whether or not the account exists
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
