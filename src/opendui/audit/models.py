"""The audit trail: append-only, hash-chained events.

One table holds both streams: *access* events (a person's data was displayed
or exported) and *change* events (a row was created or updated, with its
before/after values), plus security events (logins, lockouts). The model layer
refuses updates and deletes; database triggers (migration 0002) refuse them too.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Le journal d'audit ne peut pas être modifié.")

    def delete(self):
        raise AppendOnlyError("Le journal d'audit ne peut pas être effacé.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("Le journal d'audit ne peut pas être modifié.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Le journal d'audit ne peut pas être modifié.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Le journal d'audit ne peut pas être effacé.")


class EventKind(models.TextChoices):
    ACCESS = "access", _("Consultation")
    CHANGE = "change", _("Modification")
    SECURITY = "security", _("Sécurité")
    SYSTEM = "system", _("Système")


class AuditEvent(AppendOnlyModel):
    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=10, choices=EventKind)
    action = models.CharField(max_length=60)
    # Snapshots, not foreign keys: the trail outlives accounts and records.
    user_id = models.BigIntegerField(null=True)
    user_label = models.CharField(max_length=254, blank=True)
    address = models.GenericIPAddressField(null=True)
    organisation_id = models.BigIntegerField(null=True)
    facility_id = models.BigIntegerField(null=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    person_ids = models.JSONField(default=list)
    details = models.JSONField(default=dict)
    break_glass = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["user_id", "seq"], name="audit_user_seq"),
            models.Index(fields=["action", "seq"], name="audit_action_seq"),
            models.Index(fields=["organisation_id", "seq"], name="audit_organisation_seq"),
            # The DPO's "break-the-glass only" filter: a small, partial index.
            models.Index(
                fields=["seq"], condition=models.Q(break_glass=True), name="audit_break_glass_seq"
            ),
        ]

    def chain_content(self) -> dict:
        """What the hash covers: every field except the hashes themselves."""
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(),
            "kind": self.kind,
            "action": self.action,
            "user_id": self.user_id,
            "user_label": self.user_label,
            "address": self.address,
            "organisation_id": self.organisation_id,
            "facility_id": self.facility_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "person_ids": list(self.person_ids),
            "details": self.details,
            "break_glass": self.break_glass,
            "reason": self.reason,
        }


class AuditEventPerson(AppendOnlyModel):
    """Index of the persons an event concerns, for 'who consulted this record?'."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+")
    person_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["person_id", "event"], name="audit_person_event")]


class AuditChainHead(models.Model):
    """The single row that serialises writers and remembers the newest event."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
