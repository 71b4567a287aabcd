"""The person accompanied (usager) and their identity."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel
from opendui.core.text import search_key
from opendui.organisations.models import ManagingOrganisation


class Sex(models.TextChoices):
    FEMALE = "F", _("Féminin")
    MALE = "M", _("Masculin")
    UNKNOWN = "I", _("Indéterminé")


class Person(VersionedModel):
    """A person accompanied by one or several facilities of an organisation."""

    organisation = models.ForeignKey(
        ManagingOrganisation, on_delete=models.PROTECT, related_name="persons"
    )
    local_id = models.CharField(_("identifiant local"), max_length=20)
    birth_name = models.CharField(_("nom de naissance"), max_length=100)
    first_name = models.CharField(_("premier prénom de naissance"), max_length=100)
    used_name = models.CharField(_("nom utilisé"), max_length=100, blank=True)
    used_first_name = models.CharField(_("prénom utilisé"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex)
    # Accent- and case-free copies of the names, kept in step by save(), for search.
    birth_name_key = models.CharField(max_length=100, editable=False, db_index=False)
    used_name_key = models.CharField(max_length=100, editable=False, blank=True)

    class Meta:
        ordering = ["birth_name_key", "first_name", "id"]
        verbose_name = _("personne accompagnée")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "local_id"], name="person_unique_local_id"
            )
        ]
        # Plain B-tree indexes: the name order serves both the list's ORDER BY and the
        # prefix search written as a range (persons.selectors); a pattern_ops class
        # would serve LIKE but not ORDER BY on PostgreSQL.
        indexes = [
            models.Index(fields=["birth_name_key", "first_name", "id"], name="person_name_order"),
            models.Index(fields=["used_name_key"], name="person_used_name"),
            models.Index(fields=["local_id"], name="person_local_id"),
            models.Index(fields=["birth_date"], name="person_birth_date"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs) -> None:
        self.refresh_search_keys()
        super().save(*args, **kwargs)

    def refresh_search_keys(self) -> None:
        self.birth_name_key = search_key(self.birth_name)
        self.used_name_key = search_key(self.used_name)

    @property
    def display_name(self) -> str:
        """Used name when there is one, else birth name; then used or first first name."""
        name = (self.used_name or self.birth_name).upper()
        return f"{name} {self.used_first_name or self.first_name}"
