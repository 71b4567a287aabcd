"""Forms of the accounts app (login, second factor, administration)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TotpForm(forms.Form):
    code = forms.CharField(
        label=_("Code à 6 chiffres de votre application d'authentification"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class TotpReplaceForm(TotpForm):
    """Replacing a second factor: the new application's code and the current one's."""

    current_code = forms.CharField(
        label=_("Code à 6 chiffres de votre second facteur actuel"),
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    field_order = ["current_code", "code"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Code à 6 chiffres affiché par la nouvelle configuration")
        self.fields["code"].widget.attrs.pop("autofocus", None)
        self.fields["current_code"].widget.attrs["autofocus"] = True


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, sending through a background job (accounts.tasks) and also to
    accounts whose password an administrator made unusable (reset by link)."""

    email = forms.EmailField(
        label=_("Adresse e-mail de votre compte"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email: str):
        from .models import LinkedPersonsAssignment, User

        # External professionals log in with Pro Santé Connect only: no password to reset.
        return (
            User.objects.filter(email__iexact=email.strip(), is_active=True)
            .exclude(has_linked_access=True)
            .exclude(pk__in=LinkedPersonsAssignment.objects.not_ended().values("user_id"))
        )

    def save(self, *, origin: str, **kwargs) -> int:  # type: ignore[override]
        """Enqueue one mail per matching account; the number enqueued (never shown)."""
        from .tasks import send_password_link

        count = 0
        for user in self.get_users(self.cleaned_data["email"]):
            send_password_link.enqueue(user.pk, origin, "reset")
            count += 1
        return count


class AdminPasswordResetForm(forms.Form):
    """An administrator's choice: a temporary password shown once, or a link sent by mail.

    Without `temporary_allowed` (an account with sensitive access) only the link is shown.
    Both modes stay valid input: the service decides, so that a forged request for a
    temporary password is refused there and recorded, not lost as a form error."""

    MODES = [
        ("link", _("Envoyer au professionnel un lien à usage unique par e-mail")),
        ("temporary", _("Afficher un mot de passe temporaire, à lui remettre par un canal sûr")),
    ]
    mode = forms.ChoiceField(label=_("Méthode"), choices=MODES, widget=forms.RadioSelect)
    expected_version = bounded.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, temporary_allowed: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not temporary_allowed:
            self.fields["mode"].widget.choices = [self.MODES[0]]
            self.fields["mode"].initial = "link"
