"""The administrative file's section of the record export (documents.record_export):
administrative data (`person.view_administrative`, as the Administratif tab). Contact
points (current and past), profile, health insurance, complementary cover, rights and
benefits; the photo consents. Every row, history included.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opendui.persons.sections import (
    ExportSection,
    ExportTable,
    Fact,
    RecordReading,
    export_date,
    export_period,
)

from .models import (
    Address,
    ComplementaryCover,
    Coverage,
    Email,
    Phone,
    PhotoConsent,
    Profile,
    Right,
)

VIEW = "person.view_administrative"


def _contacts(person):
    """(type, value, period, end reason) of every address, phone and e-mail."""
    for model in (Address, Phone, Email):
        for row in model.objects.filter(person=person).order_by("kind", "created_at", "id"):
            yield (
                f"{model._meta.verbose_name} – {row.get_kind_display()}",
                str(row),
                export_period(row.valid_from, row.valid_until)
                if row.valid_from
                else (f"jusqu'au {export_date(row.valid_until)}" if row.valid_until else "–"),
                row.end_reason or "–",
            )


def administrative_section(reading: RecordReading) -> ExportSection | None:
    if not reading.allowed(VIEW):
        return None
    person = reading.person
    profile = Profile.objects.filter(person=person).first()
    facts = ()
    if profile is not None:
        facts = (
            Fact(_("Situation familiale"), str(profile.get_family_situation_display()) or "–"),
            Fact(_("Nationalité"), profile.nationality or "–"),
            Fact(_("Langue préférée"), profile.preferred_language or "–"),
            Fact(_("Besoin d'un interprète"), _("oui") if profile.interpreter_needed else _("non")),
        )
    return ExportSection(
        _("Dossier administratif"),
        facts=facts,
        tables=(
            ExportTable(
                _("Coordonnées"),
                (_("Type"), _("Valeur"), _("Validité"), _("Motif de fin")),
                _contacts(person),
                empty=_("Aucune coordonnée."),
            ),
            ExportTable(
                _("Assurance maladie obligatoire"),
                (_("Assuré(e)"), _("NIR du bénéficiaire"), _("Régime"), _("Droits")),
                (
                    (
                        _("la personne")
                        if c.insured_is_person
                        else f"{c.insured_last_name} {c.insured_first_name}".strip(),
                        c.beneficiary_nir or c.insured_nir or "–",
                        f"{c.regime} {c.organisation_code}".strip(),
                        export_period(c.start_date, c.end_date),
                    )
                    for c in Coverage.objects.filter(person=person).order_by("start_date", "pk")
                ),
                empty=_("Aucune couverture enregistrée."),
            ),
            ExportTable(
                _("Couverture complémentaire"),
                (_("Nature"), _("Organisme"), _("Contrat"), _("Validité")),
                (
                    (
                        str(c.get_kind_display()),
                        c.organisation_name or "–",
                        c.contract_number or "–",
                        export_period(c.start_date, c.end_date),
                    )
                    for c in ComplementaryCover.objects.filter(person=person).order_by(
                        "start_date", "pk"
                    )
                ),
                empty=_("Aucune couverture complémentaire."),
            ),
            ExportTable(
                _("Droits et prestations"),
                (_("Droit"), _("Décision"), _("Validité"), _("Précisions")),
                (
                    (
                        str(r.get_kind_display()),
                        " du ".join(
                            x for x in (r.decision_reference, export_date(r.decision_date)) if x
                        ),
                        export_period(r.start_date, r.end_date),
                        r.notes or "–",
                    )
                    for r in Right.objects.filter(person=person).order_by("start_date", "pk")
                ),
                empty=_("Aucun droit enregistré."),
            ),
            ExportTable(
                _("Consentements à la photo"),
                (_("Recueilli le"), _("Exprimé par"), _("Retiré le")),
                (
                    (
                        export_date(c.given_on),
                        str(c.get_given_by_display()),
                        export_date(c.withdrawn_on),
                    )
                    for c in PhotoConsent.objects.filter(person=person).order_by("given_on", "pk")
                ),
                empty=_("Aucun consentement à la photo."),
            ),
        ),
    )
