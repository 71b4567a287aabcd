"""The persons app's sections of the record export (documents.record_export): identity
with its RNIV history, and the entourage (relatives, legal protection, consents).

Same permissions as the tabs: the identity with `person.view_identity`, the entourage
(administrative data) with `person.view_administrative`. Whole history, read with
`.iterator()`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import IdentityStatusChange
from .models_entourage import Consent, LegalProtection, RelatedPerson
from .sections import (
    IDENTITY,
    ExportSection,
    ExportTable,
    Fact,
    RecordReading,
    export_date,
    export_period,
)

ADMINISTRATIVE = "person.view_administrative"


def identity_section(reading: RecordReading) -> ExportSection | None:
    """The identity traits (INS matricule only when the identity is qualified) and the
    history of the identity status."""
    if not reading.allowed(IDENTITY):
        return None
    person = reading.person
    facts = [
        Fact(_("Nom de naissance"), person.birth_name.upper()),
        Fact(_("Prénoms de naissance"), person.birth_first_names or person.first_name),
        Fact(_("Nom utilisé"), person.used_name.upper() or "–"),
        Fact(_("Prénom utilisé"), person.used_first_name or "–"),
        Fact(_("Date de naissance"), export_date(person.birth_date)),
        Fact(_("Sexe"), str(person.get_sex_display())),
        Fact(_("Lieu de naissance (code INSEE)"), person.birth_place_code or "–"),
        Fact(_("Statut de l'identité"), str(person.identity_status.label)),
        Fact(_("Identifiant local"), person.local_id),
    ]
    if person.transmittable_ins:
        facts.insert(7, Fact(_("Matricule INS"), person.transmittable_ins))
    changes = (
        IdentityStatusChange.objects.filter(person=person)
        .select_related("by")
        .order_by("at", "id")
        .iterator(chunk_size=500)
    )
    return ExportSection(
        _("Identité"),
        facts=tuple(facts),
        tables=(
            ExportTable(
                _("Historique du statut de l'identité"),
                (_("Date"), _("Événement"), _("Statut avant"), _("Statut après"), _("Motif")),
                (
                    (export_date(c.at), c.event, c.from_status, c.to_status, c.reason)
                    for c in changes
                ),
            ),
        ),
    )


def entourage_section(reading: RecordReading) -> ExportSection | None:
    """Every relative (ended ones included), protection measure and consent."""
    if not reading.allowed(ADMINISTRATIVE):
        return None
    person = reading.person
    relatives = RelatedPerson.objects.filter(person=person).order_by("last_name", "id")
    measures = (
        LegalProtection.objects.filter(person=person)
        .select_related("representative")
        .order_by("start_date", "id")
    )
    consents = (
        Consent.objects.filter(person=person)
        .select_related("representative")
        .order_by("given_on", "id")
    )

    def roles(r: RelatedPerson) -> str:
        flags = [
            (r.is_trusted_person, _("personne de confiance")),
            (r.is_emergency_contact, _("personne à prévenir")),
            (r.is_legal_representative, _("représentant légal")),
        ]
        return ", ".join(label for on, label in flags if on) or "–"

    return ExportSection(
        _("Entourage, protection juridique et consentements"),
        tables=(
            ExportTable(
                _("Entourage"),
                (_("Nom"), _("Lien"), _("Rôles"), _("Coordonnées"), _("Fin de la relation")),
                (
                    (
                        f"{r.last_name.upper()} {r.first_name}".strip(),
                        str(r.get_relation_display()),
                        roles(r),
                        " – ".join(x for x in (r.phone, r.email, r.address) if x) or "–",
                        f"{export_date(r.end_date)} {r.end_reason}".strip()
                        if r.end_date
                        else ("–" if r.is_active else _("inactif")),
                    )
                    for r in relatives.iterator(chunk_size=500)
                ),
            ),
            ExportTable(
                _("Mesures de protection juridique"),
                (_("Mesure"), _("Période"), _("Jugement"), _("Représentant")),
                (
                    (
                        str(m.get_measure_display()),
                        export_period(m.start_date, m.end_date),
                        " – ".join(x for x in (m.judgment_reference, m.court) if x) or "–",
                        str(m.representative.last_name) if m.representative else "–",
                    )
                    for m in measures.iterator(chunk_size=500)
                ),
            ),
            ExportTable(
                _("Consentements et oppositions"),
                (_("Objet"), _("Nature"), _("Date"), _("Exprimé par"), _("Retrait")),
                (
                    (
                        str(c.get_scope_display()),
                        str(c.get_kind_display()),
                        export_date(c.given_on),
                        str(c.get_given_by_display()),
                        f"{export_date(c.withdrawn_on)} {c.withdrawal_reason}".strip()
                        if c.withdrawn_on
                        else "–",
                    )
                    for c in consents.iterator(chunk_size=500)
                ),
            ),
        ),
    )
