"""The audit trail: append-only events, sealed into a keyed chain.

One table holds both streams: *access* events (a person's data was displayed
or exported) and *change* events (a row was created or updated, with its
before/after values), plus security events (logins, lockouts). The model layer
refuses updates and deletes; database triggers (migrations 0002, 0004) refuse them too.

Writers insert events without any lock (`services.record`); the sealer
(`sealing.seal_pending`) links them afterwards, in batches, into a chain of
`AuditSeal` rows keyed with a secret kept outside the database. Events written
before keyed sealing carry their own sha256 link (`prev_hash`, `hash`) and
form the legacy chain, ending at `AuditChainHead`, where the keyed chain starts.
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


class CurrentTransactionId(models.Func):
    """The writing transaction's 64-bit id on PostgreSQL (NULL elsewhere), as a column default.

    The sealer only seals events of transactions older than every running one
    (`sealing`): ids are allocated before commit, so "id below the newest sealed"
    could skip a row committed late; a finished transaction can gain no row."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


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
    # The legacy chain's link; blank for events sealed by the keyed chain (AuditSeal).
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The writing transaction (PostgreSQL), for the sealer's "finished transactions" rule.
    txid = models.BigIntegerField(null=True, db_default=CurrentTransactionId(), editable=False)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            # No index on user_id: no query filters on it (the DPO's "professional" filter
            # reads user_label, the organisation scope is a filter on the seq order).
            models.Index(fields=["action", "seq"], name="audit_action_seq"),
            models.Index(fields=["organisation_id", "seq"], name="audit_organisation_seq"),
            # The DPO's "break-the-glass only" filter: a small, partial index.
            models.Index(
                fields=["seq"], condition=models.Q(break_glass=True), name="audit_break_glass_seq"
            ),
            # The sealer's candidates: events of recent transactions.
            models.Index(fields=["txid"], name="audit_event_txid"),
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
    """Index of the persons an event concerns, for 'who consulted this record?'.

    One row per (person, event), and nothing else: the primary key (person_id, event_id)
    is the index that the person lookups read (`selectors`), in the order of the
    person's events. A list page writes 51 of these rows with its event, so each costs:
    no surrogate id, no other index, and no database foreign key constraint. The
    constraint would only guard against removing an event, which the append-only
    triggers (triggers.py) already refuse; `audit verify` reports index rows whose
    event is missing, and rows that do not match their event's `person_ids`.
    """

    pk = models.CompositePrimaryKey("person_id", "event")
    person_id = models.BigIntegerField()
    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class AuditChainHead(models.Model):
    """The end of the legacy chain: the newest event written before keyed sealing.

    It serialised writers until keyed sealing; nothing moves it any more. The
    first seal links to its hash, so the legacy chain is held by the keyed one.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)


class AuditSeal(AppendOnlyModel):
    """One event linked into the keyed chain, in sealing order (`seq`, without gaps).

    `hash` is an HMAC (key named by `key_id`, kept outside the database) over the
    previous seal's hash and `chain_content()`, which includes the digest of the
    event's content: a changed event no longer matches its digest, and a changed,
    removed, inserted or reordered seal breaks the chain, which only the key holder
    can recompute. The event is referenced without a database foreign key, so that a
    seal outlives the removal of its event and `audit verify` can name it.
    """

    seq = models.BigIntegerField(unique=True)
    event = models.OneToOneField(
        AuditEvent,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="seal",
    )
    event_seq = models.BigIntegerField()
    event_digest = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def chain_content(self) -> dict:
        """What the keyed hash covers: every field except the hashes themselves."""
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "event_seq": self.event_seq,
            "event_digest": self.event_digest,
            "sealed_at": self.sealed_at.isoformat(),
            "key_id": self.key_id,
        }


class AuditSealHead(models.Model):
    """The sealer's own row: the newest seal, and where to look for the next events.

    Locked by the sealer only (one sealer at a time); request writers never touch it.
    `low_txid` (PostgreSQL): every event of a transaction below it is sealed;
    `last_event_id` (SQLite, where ids follow commit order): the newest event sealed.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    low_txid = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)
