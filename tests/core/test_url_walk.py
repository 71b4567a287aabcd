"""Walk every URL pattern: anonymous users go to the login page, outsiders get 403.

A new URL must be declared here (public, self-service, scoped list, or with
the kwargs of an object outside the outsiders' scope); the test fails otherwise,
so no page can be added without saying who may open it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from opendui.persons.models_entourage import Consent
from tests.factories_external import external_professional, link_persons, rpps_of
from tests.incidents.helpers import action_of, incident_of
from tests.programme.helpers import grappe_of, member_of, milestone_of

PUBLIC = {"accounts:login", "accounts:totp", "accounts:totp_enrol", "core:health"}
# Forgotten password: asking for a link, and using it (the token is the credential).
PUBLIC |= {
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}
# Pro Santé Connect login: start, redirect URI, choice of the work situation (each refuses
# what the provider did not vouch for: tests/accounts/test_psc_login.py).
PUBLIC |= {"accounts:psc_start", "accounts:psc_callback", "accounts:psc_exercice"}
# Pages about the user's own session and account: any logged-in user.
SELF_SERVICE = {
    "core:home",
    "core:switch_facility",
    "accounts:logout",
    "accounts:security",
    "accounts:password_change",
}
# Lists that show each user their own scope (what they show is tested elsewhere).
# notes:liaison_home sends each user to the cahier of their own facility.
SCOPED_LISTS = {"incidents:home", "persons:list", "notes:liaison_home", "agenda:mine"}
SCOPED_LISTS |= {"accompaniment:home"}  # lists the user's own facilities
# The directory of external professionals of the user's own organisation.
SCOPED_LISTS |= {"directory:list", "directory:structures"}


def _merge_of_bruno_into_anne(w) -> int:
    """A pending merge proposal of world.bruno into world.anne (both in world.og)."""
    from django.utils import timezone

    from opendui.persons.models_merge import PersonMerge

    return PersonMerge.objects.create(
        source=w.bruno,
        target=w.anne,
        reason="Même personne, saisie en double",
        proposed_by=w.user("accueil", facility=w.ehpad),
        proposed_at=timezone.now(),
    ).pk


def _identity_alert_of_og(w) -> int:
    """An open alert of a possible duplicate of world.chloe, raised in world.ehpad."""
    from django.utils import timezone

    from opendui.persons.models_alerts import IdentityAlert

    alert = IdentityAlert.objects.create(
        organisation=w.og,
        facility=w.ehpad,
        raised_by=w.user("accueil", facility=w.ehpad),
        raised_at=timezone.now(),
        entered={"birth_name": "Petit", "birth_date": "2012-03-04"},
        entered_key="0" * 64,
    )
    alert.matches.set([w.chloe])
    return alert.pk


def _admission_request_of_anne(w) -> int:
    """An accepted admission request of world.anne to world.ehpad."""
    from opendui.stays.models import AdmissionRequest

    return AdmissionRequest.objects.create(
        person=w.anne, facility=w.ehpad, received_on=dt.date(2024, 1, 1), status="acceptee"
    ).pk


def _related_of_anne(w) -> dict:
    """A current contact of world.anne's entourage."""
    from opendui.persons.models_entourage import RelatedPerson

    related = RelatedPerson.objects.create(
        person=w.anne, last_name="Martin", first_name="Julie", relation="enfant"
    )
    return {"pk": w.anne.pk, "related_pk": related.pk}


def _professional_of_og(w) -> int:
    """A professional of world.og's directory of external professionals."""
    from opendui.directory.models import ExternalProfessional

    return ExternalProfessional.objects.create(
        organisation=w.og, last_name="Moreau", profession_code="10", profession_label="Médecin"
    ).pk


def _structure_of_og(w) -> int:
    """A pharmacy of world.og's directory."""
    from opendui.directory.models import ExternalStructure

    return ExternalStructure.objects.create(
        organisation=w.og, name="Pharmacie du Centre", kind="pharmacie"
    ).pk


def _link_of_anne(w) -> dict:
    """world.anne's current médecin traitant link."""
    from opendui.directory.models import PersonProfessional

    link = PersonProfessional.objects.create(
        person=w.anne,
        professional_id=_professional_of_og(w),
        role="medecin_traitant",
        start_date=dt.date(2024, 1, 1),
    )
    return {"pk": w.anne.pk, "link_pk": link.pk}


def _document_of_anne(w) -> int:
    """An administrative document of world.anne (rows only: outsiders never reach the file)."""
    from django.utils import timezone

    from opendui.documents.models import Document, DocumentVersion

    document = Document.objects.create(
        person=w.anne,
        facility=w.ehpad,
        data_category="administrative",
        type_system="LOCAL",
        type_code="COURRIER",
        type_label="Courrier",
        title="Courrier",
        act_date=dt.date(2026, 1, 5),
        author_kind="person",
    )
    version = DocumentVersion.objects.create(
        document=document,
        number=1,
        stored_name=f"documents/walk-{document.pk}",
        original_name="courrier.pdf",
        mime_type="application/pdf",
        size=10,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )
    Document.objects.filter(pk=document.pk).update(current=version, version_count=1)
    return document.pk


def _dmp_submission_of_anne(w):
    """A DMP share of world.anne's document with one failed submission (rows only)."""
    from django.utils import timezone

    from opendui.interop.dmp.models import DmpShare, DmpSubmission

    document_pk = _document_of_anne(w)
    share = DmpShare.objects.create(
        document_id=document_pk,
        person=w.anne,
        facility=w.ehpad,
        set_id=f"2.25.{document_pk}1",
        decided_at=timezone.now(),
    )
    return DmpSubmission.objects.create(
        share=share,
        document_version_id=share.document.current_id,
        person=w.anne,
        facility=w.ehpad,
        unique_id=f"2.25.{document_pk}2",
        set_id=share.set_id,
        version_number=1,
        status="failed",
        professional={},
    )


def _export_of_anne(w) -> dict:
    """A record export of world.anne, requested by a secretary of world.ehpad."""
    import uuid

    from django.utils import timezone

    from opendui.documents.models import RecordExport

    export = RecordExport.objects.create(
        public_id=uuid.uuid4(),
        person=w.anne,
        requested_by=w.user("accueil", facility=w.ehpad),
        reason="access_right",
        created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )
    return {"pk": w.anne.pk, "export_id": export.public_id}


def _note_of_anne(w) -> int:
    """A social-category transmission about world.anne, written in world.ehpad."""
    from django.utils import timezone

    from opendui.notes.models import Note

    return Note.objects.create(
        person=w.anne,
        facility=w.ehpad,
        unit=w.glycines,
        kind="transmission",
        category="social",
        target="Sommeil",
        data="Réveillée à 3 h",
        author=w.user("educateur", facility=w.ehpad),
        written_at=timezone.now(),
    ).pk


def _aggir_of_anne(w) -> int:
    """A draft AGGIR grid of world.anne in world.ehpad."""
    from opendui.evaluations.models import AggirEvaluation

    return AggirEvaluation.objects.create(
        person=w.anne,
        stay=w.anne.stays.get(),
        evaluated_on=dt.date(2024, 6, 1),
        evaluator=w.user("infirmier", facility=w.ehpad),
    ).pk


def _model_of_og(w) -> int:
    """The default SERAFIN-PH evaluation model of world.og (published)."""
    from opendui.evaluations.serafin_model import ensure_serafin_model

    return ensure_serafin_model(w.og)[0].pk


def _evaluation_of_anne(w) -> int:
    """A draft SERAFIN-PH evaluation of world.anne."""
    from opendui.evaluations.models import EvaluationModel, FilledEvaluation

    return FilledEvaluation.objects.create(
        person=w.anne,
        stay=w.anne.stays.get(),
        model=EvaluationModel.objects.get(pk=_model_of_og(w)),
        author=w.user("educateur", facility=w.ehpad),
        evaluated_on=dt.date(2024, 6, 1),
    ).pk


def _pp_of_anne(w) -> int:
    """A draft projet personnalisé of world.anne's stay."""
    from opendui.accompaniment.models import PersonalisedProject

    return PersonalisedProject.objects.create(
        stay=w.anne.stays.get(), person=w.anne, project_type="PP", title="Projet d'Anne"
    ).pk


def _pp_goal_of_anne(w) -> dict:
    from opendui.accompaniment.models import Goal

    pk = _pp_of_anne(w)
    return {"pk": pk, "goal_pk": Goal.objects.create(project_id=pk, title="Marcher").pk}


def _pp_expectation_of_anne(w) -> dict:
    from opendui.accompaniment.models import Expectation

    pk = _pp_of_anne(w)
    item = Expectation.objects.create(project_id=pk, origin="personne", text="Sortir")
    return {"pk": pk, "kind": "attente", "item_pk": item.pk}


def _event_of_anne(w) -> int:
    """A planned agenda event of world.anne in world.ehpad, with a professional."""
    from opendui.agenda.models import Event, EventParticipant, EventProfessional

    start = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    event = Event.objects.create(
        facility=w.ehpad,
        kind="activite",
        title="Atelier mémoire",
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    EventParticipant.objects.create(event=event, person=w.anne, start=start)
    EventProfessional.objects.create(
        event=event, user=w.user("educateur", facility=w.ehpad), start=start, end=event.end
    )
    return event.pk


def _grant_request_in_og(w) -> int:
    """A pending request by world.og's administrator: a physician's role in world.ehpad."""
    from opendui.accounts.models import Role
    from opendui.accounts.services_admin import create_assignment
    from opendui.core.actor import Actor

    assignment = create_assignment(
        Actor(user=w.user("admin")),
        w.user("accueil", facility=w.ehpad),
        {
            "role": Role.objects.get(code="medecin"),
            "organisation": w.og,
            "facility": w.ehpad,
            "start_date": dt.date(2024, 1, 1),
        },
    )
    return assignment.grant_request.pk


def _address_of_anne(w) -> dict:
    """A current address of world.anne's administrative file."""
    from opendui.administrative.models import Address

    row = Address.objects.create(
        person=w.anne, kind="domicile", line1="1 rue Haute", postal_code="75001", city="Paris"
    )
    return {"pk": w.anne.pk, "kind": "adresse", "item_pk": row.pk}


def _photo_consent_of_anne(w):
    from django.utils import timezone

    from opendui.administrative.models import PhotoConsent

    return PhotoConsent.objects.create(
        person=w.anne,
        given_on=timezone.localdate(),
        given_by="personne",
        form="oral",
        recorded_by=w.user("accueil", facility=w.ehpad),
    )


def _photo_of_anne(w) -> int:
    """A photo row of world.anne (the view refuses before reading any file)."""
    from opendui.administrative.models import Photo

    consent = _photo_consent_of_anne(w)
    return Photo.objects.create(
        person=w.anne,
        consent=consent,
        storage_name="photos/walk.jpg",
        width=1,
        height=1,
        byte_size=1,
        uploaded_by=consent.recorded_by,
    ).pk


# For URLs with parameters: objects inside world.og, outside the outsiders' scope.
KWARGS: dict[str, Callable] = {
    "agenda:person": lambda w: {"pk": w.anne.pk},
    "agenda:planning_week": lambda w: {"facility_pk": w.ehpad.pk},
    "agenda:planning_day": lambda w: {"facility_pk": w.ehpad.pk},
    "agenda:create": lambda w: {"facility_pk": w.ehpad.pk},
    "agenda:detail": lambda w: {"pk": _event_of_anne(w)},
    "agenda:edit": lambda w: {"pk": _event_of_anne(w)},
    "agenda:status": lambda w: {"pk": _event_of_anne(w)},
    "agenda:presence": lambda w: {"pk": _event_of_anne(w)},
    "agenda:report": lambda w: {"pk": _event_of_anne(w)},
    "accompaniment:facility": lambda w: {"facility_pk": w.ehpad.pk},
    "accompaniment:person": lambda w: {"pk": w.anne.pk},
    "accompaniment:create": lambda w: {"stay_pk": w.anne.stays.get().pk},
    "accompaniment:detail": lambda w: {"pk": _pp_of_anne(w)},
    "accompaniment:edit": lambda w: {"pk": _pp_of_anne(w)},
    "accompaniment:add": lambda w: {"pk": _pp_of_anne(w), "section": "attente"},
    "accompaniment:goal_edit": _pp_goal_of_anne,
    "accompaniment:action_add": _pp_goal_of_anne,
    "accompaniment:item_status": lambda w: {
        "kind": "objectif",
        "item_pk": (d := _pp_goal_of_anne(w))["goal_pk"],
        "pk": d["pk"],
    },
    "accompaniment:remove": _pp_expectation_of_anne,
    "accompaniment:item_edit": _pp_expectation_of_anne,
    "accompaniment:status": lambda w: {"pk": _pp_of_anne(w)},
    "accompaniment:new_version": lambda w: {"pk": _pp_of_anne(w)},
    "accompaniment:pdf": lambda w: {"pk": _pp_of_anne(w)},
    "incidents:declare": lambda w: {"facility_pk": w.ehpad.pk},
    "incidents:facility_list": lambda w: {"facility_pk": w.ehpad.pk},
    "incidents:detail": lambda w: {"pk": incident_of(w).pk},
    "incidents:status": lambda w: {"pk": incident_of(w).pk},
    "incidents:analysis": lambda w: {"pk": incident_of(w).pk},
    "incidents:action_add": lambda w: {"pk": incident_of(w).pk},
    "incidents:action_update": lambda w: {
        "pk": (i := incident_of(w)).pk,
        "action_pk": action_of(i, i.declared_by).pk,
    },
    "incidents:report": lambda w: {"pk": incident_of(w).pk},
    "incidents:ars_declaration": lambda w: {"pk": incident_of(w).pk},
    "incidents:ars_text": lambda w: {"pk": incident_of(w).pk},
    "pilotage:facility": lambda w: {"facility_pk": w.ehpad.pk},
    "pilotage:drilldown": lambda w: {"facility_pk": w.ehpad.pk, "kind": "sans-pp"},
    "pilotage:proof_csv": lambda w: {"facility_pk": w.ehpad.pk},
    "pilotage:proof_pdf": lambda w: {"facility_pk": w.ehpad.pk},
    "stays:request_create": lambda w: {"person_pk": w.anne.pk},
    "stays:request_detail": lambda w: {"pk": _admission_request_of_anne(w)},
    "stays:request_status": lambda w: {"pk": _admission_request_of_anne(w)},
    "stays:request_refuse": lambda w: {"pk": _admission_request_of_anne(w)},
    "stays:request_reopen": lambda w: {"pk": _admission_request_of_anne(w)},
    "stays:request_edit": lambda w: {"pk": _admission_request_of_anne(w)},
    "stays:request_admit": lambda w: {"pk": _admission_request_of_anne(w)},
    "stays:overdue_list": lambda w: {"facility_pk": w.ehpad.pk},
    "stays:person_stays": lambda w: {"pk": w.anne.pk},
    "stays:contract_record": lambda w: {"pk": w.anne.stays.get().pk},
    "stays:absence_add": lambda w: {"pk": w.anne.stays.get().pk},
    "stays:discharge": lambda w: {"pk": w.anne.stays.get().pk},
    "stays:transfer": lambda w: {"pk": w.anne.stays.get().pk},
    "stays:relocate": lambda w: {"pk": w.anne.stays.get().pk},
    # Transmissions: world.anne's, in world.ehpad.
    # DMP: world.anne's shared document, its submission, her DMP tab.
    "dmp:share": lambda w: {"pk": _document_of_anne(w)},
    "dmp:queue_version": lambda w: {"pk": _dmp_submission_of_anne(w).share_id},
    "dmp:visibility": lambda w: {"pk": _dmp_submission_of_anne(w).share_id},
    "dmp:remove": lambda w: {"pk": _dmp_submission_of_anne(w).share_id},
    "dmp:retry": lambda w: {"pk": _dmp_submission_of_anne(w).pk},
    "dmp:person": lambda w: {"pk": w.anne.pk},
    "dmp:authorise": lambda w: {"pk": w.anne.pk},
    "dmp:document": lambda w: {"pk": w.anne.pk, "unique_id": "2.25.1"},
    "dmp:document_pdf": lambda w: {"pk": w.anne.pk, "unique_id": "2.25.1"},
    "documents:person_documents": lambda w: {"pk": w.anne.pk},
    "documents:person_withdrawn": lambda w: {"pk": w.anne.pk},
    "documents:upload": lambda w: {"pk": w.anne.pk},
    "documents:generate": lambda w: {"pk": w.anne.pk},
    "documents:detail": lambda w: {"pk": _document_of_anne(w)},
    "documents:download": lambda w: {"pk": _document_of_anne(w)},
    "documents:download_version": lambda w: {"pk": _document_of_anne(w), "number": 1},
    "documents:viewer": lambda w: {"pk": _document_of_anne(w)},
    "documents:viewer_version": lambda w: {"pk": _document_of_anne(w), "number": 1},
    "documents:inline": lambda w: {"pk": _document_of_anne(w), "number": 1},
    "documents:thumbnail": lambda w: {"pk": _document_of_anne(w)},
    "documents:replace": lambda w: {"pk": _document_of_anne(w)},
    "documents:withdraw": lambda w: {"pk": _document_of_anne(w)},
    "documents:export_request": lambda w: {"pk": w.anne.pk},
    "documents:export_status": _export_of_anne,
    "documents:export_progress": _export_of_anne,
    "documents:export_download": _export_of_anne,
    "notes:liaison": lambda w: {"facility_pk": w.ehpad.pk},
    "notes:mark_all": lambda w: {"facility_pk": w.ehpad.pk},
    "notes:person": lambda w: {"pk": w.anne.pk},
    "notes:create": lambda w: {"pk": w.anne.pk},
    "notes:edit": lambda w: {"pk": _note_of_anne(w)},
    "notes:correct": lambda w: {"pk": _note_of_anne(w)},
    "notes:mark_read": lambda w: {"pk": _note_of_anne(w)},
    "notes:withdraw": lambda w: {"pk": _note_of_anne(w)},
    "notes:team_create": lambda w: {"facility_pk": w.ehpad.pk},
    "persons:detail": lambda w: {"pk": w.anne.pk},
    # Directory: world.og's entries (directory.manage), world.anne's professionals.
    "directory:professional_edit": lambda w: {"pk": _professional_of_og(w)},
    "directory:professional_deactivate": lambda w: {"pk": _professional_of_og(w)},
    # Opening an external professional's access: world.og's administrators only.
    "directory:professional_access": lambda w: {"pk": _professional_of_og(w)},
    "directory:structure_edit": lambda w: {"pk": _structure_of_og(w)},
    "directory:structure_deactivate": lambda w: {"pk": _structure_of_og(w)},
    "directory:person": lambda w: {"pk": w.anne.pk},
    "directory:person_add": lambda w: {"pk": w.anne.pk},
    "directory:person_end": _link_of_anne,
    "audit:person_access": lambda w: {"pk": w.anne.pk},
    "persons:identity": lambda w: {"pk": w.anne.pk},
    "persons:entourage": lambda w: {"pk": w.anne.pk},
    "persons:entourage_related": lambda w: {"pk": w.anne.pk},
    "persons:entourage_measure": lambda w: {"pk": w.anne.pk},
    "persons:entourage_related_edit": _related_of_anne,
    "persons:entourage_related_end": _related_of_anne,
    "persons:entourage_consent": lambda w: {"pk": w.anne.pk},
    "persons:entourage_consent_withdraw": lambda w: {
        "pk": w.anne.pk,
        "consent_pk": Consent.objects.create(
            person=w.anne,
            scope="droit_image",
            kind="consentement",
            given_on=dt.date(2024, 1, 1),
            given_by="personne",
        ).pk,
    },
    "persons:identity_insi": lambda w: {"pk": w.anne.pk},
    "persons:identity_insi_status": lambda w: {"pk": w.anne.pk},
    "persons:identity_insi_accept": lambda w: {"pk": w.anne.pk},
    "persons:identity_edit": lambda w: {"pk": w.anne.pk},
    "persons:identity_withdraw": lambda w: {"pk": w.anne.pk},
    "persons:identity_document": lambda w: {"pk": w.anne.pk},
    "persons:identity_attribute": lambda w: {"pk": w.anne.pk},
    "persons:merge_propose": lambda w: {"pk": w.anne.pk},
    "persons:merge_review": lambda w: {"merge_pk": _merge_of_bruno_into_anne(w)},
    "persons:merge_approve": lambda w: {"merge_pk": _merge_of_bruno_into_anne(w)},
    "persons:merge_reject": lambda w: {"merge_pk": _merge_of_bruno_into_anne(w)},
    "persons:identity_alert_close": lambda w: {"alert_pk": _identity_alert_of_og(w)},
    "organisations:og_edit": lambda w: {"pk": w.og.pk},
    "organisations:facility_create": lambda w: {"og_pk": w.og.pk},
    "organisations:facility_detail": lambda w: {"pk": w.ehpad.pk},
    "organisations:facility_edit": lambda w: {"pk": w.ehpad.pk},
    "organisations:unit_create": lambda w: {"facility_pk": w.ehpad.pk},
    "organisations:unit_edit": lambda w: {"pk": w.glycines.pk},
    "accounts:user_detail": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:user_edit": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:user_deactivate": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:user_reactivate": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:user_unlock": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:user_reset_totp": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:user_reset_password": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:password_reset_confirm": lambda w: {"uidb64": "MQ", "token": "aaaaaa-bbbbbb"},
    "accounts:assignment_create": lambda w: {"pk": w.user("educateur", facility=w.ehpad).pk},
    "accounts:assignment_end": lambda w: {
        "pk": w.user("educateur", facility=w.ehpad).assignments.get().pk
    },
    # Evaluations: world.anne's grids, world.og's models, world.ehpad's GMP.
    "evaluations:person": lambda w: {"pk": w.anne.pk},
    "evaluations:aggir_new": lambda w: {"pk": w.anne.pk},
    "evaluations:evaluation_start": lambda w: {"pk": w.anne.pk},
    "evaluations:aggir_detail": lambda w: {"pk": _aggir_of_anne(w)},
    "evaluations:aggir_edit": lambda w: {"pk": _aggir_of_anne(w)},
    "evaluations:aggir_status": lambda w: {"pk": _aggir_of_anne(w)},
    "evaluations:evaluation_detail": lambda w: {"pk": _evaluation_of_anne(w)},
    "accompaniment:from_evaluation": lambda w: {"evaluation_pk": _evaluation_of_anne(w)},
    "evaluations:evaluation_answers": lambda w: {"pk": _evaluation_of_anne(w)},
    "evaluations:evaluation_status": lambda w: {"pk": _evaluation_of_anne(w)},
    "evaluations:facility_gmp": lambda w: {"pk": w.ehpad.pk},
    # Activity report of world.ehpad (pilotage.view, facility scope).
    "pilotage:activity_report": lambda w: {"facility_pk": w.ehpad.pk},
    "pilotage:activity_csv": lambda w: {"facility_pk": w.ehpad.pk},
    "pilotage:activity_pdf": lambda w: {"facility_pk": w.ehpad.pk},
    "evaluations:model_detail": lambda w: {"pk": _model_of_og(w)},
    "evaluations:model_edit": lambda w: {"pk": _model_of_og(w)},
    "evaluations:section_add": lambda w: {"pk": _model_of_og(w)},
    "evaluations:question_add": lambda w: {"pk": _model_of_og(w)},
    "evaluations:model_publish": lambda w: {"pk": _model_of_og(w)},
    "evaluations:model_archive": lambda w: {"pk": _model_of_og(w)},
    "evaluations:model_new_version": lambda w: {"pk": _model_of_og(w)},
    # ESMS Numérique project: a grappe of world.og (organisation scope).
    "programme:detail": lambda w: {"pk": grappe_of(w).pk},
    "programme:edit": lambda w: {"pk": grappe_of(w).pk},
    "programme:member_add": lambda w: {"pk": grappe_of(w).pk},
    "programme:partner_add": lambda w: {"pk": grappe_of(w).pk},
    "programme:member_remove": lambda w: {
        "pk": (g := grappe_of(w)).pk,
        "member_pk": member_of(g).pk,
    },
    "programme:member_equipped": lambda w: {
        "pk": (g := grappe_of(w)).pk,
        "member_pk": member_of(g).pk,
    },
    "programme:declaration": lambda w: {"pk": grappe_of(w).pk},
    "programme:funding": lambda w: {"pk": grappe_of(w).pk},
    "programme:milestones": lambda w: {"pk": grappe_of(w).pk},
    "programme:milestone_edit": lambda w: {
        "pk": (g := grappe_of(w)).pk,
        "milestone_pk": milestone_of(g).pk,
    },
    "programme:attestation": lambda w: {"pk": grappe_of(w).pk},
    "accounts:grant_detail": lambda w: {"pk": _grant_request_in_og(w)},
    "accounts:grant_decide": lambda w: {"pk": _grant_request_in_og(w)},
    "accounts:grant_cancel": lambda w: {"pk": _grant_request_in_og(w)},
    # Roles are installation-wide: take one in use in world.og.
    "accounts:role_edit": lambda w: {
        "pk": w.user("chef-de-service", facility=w.ehpad).assignments.get().role_id
    },
    # Administrative file: world.anne's.
    "administrative:page": lambda w: {"pk": w.anne.pk},
    "administrative:profile_edit": lambda w: {"pk": w.anne.pk},
    "administrative:item_add": lambda w: {"pk": w.anne.pk, "kind": "adresse"},
    "administrative:item_edit": _address_of_anne,
    "administrative:item_end": _address_of_anne,
    "administrative:photo_consent": lambda w: {"pk": w.anne.pk},
    "administrative:photo_consent_withdraw": lambda w: {
        "pk": w.anne.pk,
        "consent_pk": _photo_consent_of_anne(w).pk,
    },
    "administrative:photo_upload": lambda w: {"pk": w.anne.pk},
    "administrative:photo": lambda w: {"photo_pk": _photo_of_anne(w)},
}

IGNORED_MODELS = {
    "audit.auditevent",
    "audit.auditeventperson",
    "audit.auditchainhead",
    "sessions.session",
    "accounts.loginfailure",
}


def walk(patterns, prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from walk(entry.url_patterns, prefix + namespace)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL sans nom : {entry.pattern}"
            yield prefix + entry.name


ALL_URLS = sorted(set(walk(get_resolver().url_patterns)))


def url_for(name: str, world) -> str:
    return reverse(name, kwargs=KWARGS[name](world) if name in KWARGS else None)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model.objects.count()
        for model in apps.get_models()
        if model._meta.label_lower not in IGNORED_MODELS
    }


def test_every_url_with_parameters_is_declared():
    from django.urls import NoReverseMatch

    undeclared = []
    for name in ALL_URLS:
        if name in KWARGS:
            continue
        try:
            reverse(name)
        except NoReverseMatch:
            undeclared.append(name)
    assert not undeclared, f"déclarez dans KWARGS un objet hors périmètre pour : {undeclared}"


@pytest.mark.parametrize("name", [n for n in ALL_URLS if n not in PUBLIC])
def test_anonymous_users_are_sent_to_login(world, client, name):
    url = url_for(name, world)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, (name, method.__name__, response.status_code)
        assert response.url.startswith("/connexion/"), (name, response.url)


OUTSIDER_CASES = [
    (name, outsider)
    for name in ALL_URLS
    if name not in PUBLIC | SELF_SERVICE | SCOPED_LISTS
    # Pages without an object list each admin's own organisation: the outsider there is
    # a user without the permission; pages about an object also face another OG's admin.
    for outsider in (
        [
            "educator_of_another_facility",
            "admin_of_another_organisation",
            "external_professional_of_chloe",
        ]
        if name in KWARGS
        else ["educator_of_another_facility", "external_professional_of_chloe"]
    )
]


def _external_professional_of_chloe(w):
    """Chloé's médecin traitant, an external professional (linked-persons scope): the
    objects of the walk are world.anne's, world.og's and world.ehpad's, all out of reach."""
    return external_professional(
        w,
        [w.chloe],
        rpps=rpps_of("1000000009"),
        email="generaliste@cabinet.example",
        last_name="Généraliste",
        profession_label="Médecin",
    )


def _log_in(client, login, user) -> None:
    """Log in as a user: external professionals by Pro Santé Connect only, which the walk
    stands for with the session Django's test client opens."""
    from opendui.accounts.psc_only import is_psc_only

    if is_psc_only(user):
        client.force_login(user, backend="opendui.accounts.backends.EmailBackend")
    else:
        login(user)


@pytest.mark.parametrize(("name", "outsider"), OUTSIDER_CASES)
def test_outsiders_are_refused_and_nothing_changes(world, client, login, name, outsider):
    from opendui.audit.models import AuditEvent

    if outsider == "external_professional_of_chloe":
        user = _external_professional_of_chloe(world)
    elif outsider == "educator_of_another_facility":
        user = world.user("educateur", facility=world.ime)
    else:
        user = world.user("admin", organisation=world.other_og)
    _log_in(client, login, user)
    url = url_for(name, world)
    before = row_counts()
    denied_before = AuditEvent.objects.filter(action="access.denied").count()
    statuses = []
    for method in (client.get, client.post):
        response = method(url)
        statuses.append(response.status_code)
        assert response.status_code in {403, 405}, (name, method.__name__, response.status_code)
    assert 403 in statuses, (name, statuses)
    assert row_counts() == before
    assert AuditEvent.objects.filter(action="access.denied").count() > denied_before


@pytest.mark.parametrize("name", sorted(SELF_SERVICE | SCOPED_LISTS))
def test_an_external_professional_s_own_pages_answer_and_show_no_one_else(world, client, name):
    """Chloé's médecin traitant opens the pages of every user without an error, and
    nothing of world.anne (or of world.ehpad's residents) shows there."""
    user = _external_professional_of_chloe(world)
    client.force_login(user, backend="opendui.accounts.backends.EmailBackend")
    response = client.get(url_for(name, world))
    assert response.status_code in {200, 302, 403, 405}, (name, response.status_code)
    if response.status_code == 200:
        body = response.content.decode()
        assert "MARTIN" not in body and "Lefèvre".upper() not in body.upper(), name


def _external_professional_of_anne(w):
    """Chloé's médecin traitant, also following world.anne (a specialist link)."""
    from opendui.directory.models import ExternalProfessional

    user = _external_professional_of_chloe(w)
    link_persons(ExternalProfessional.objects.get(account=user), [w.anne], role="specialiste")
    return user


@pytest.mark.parametrize("name", sorted(KWARGS))
def test_an_external_professional_in_the_followed_person_s_pages_meets_no_error(
    world, client, name
):
    """Every page about world.anne (or world.og, world.ehpad) answers her external
    physician without a server error, whether it opens (person pages) or refuses
    (facility and organisation pages)."""
    user = _external_professional_of_anne(world)
    client.force_login(user, backend="opendui.accounts.backends.EmailBackend")
    url = url_for(name, world)
    response = client.get(url)
    assert response.status_code in {200, 302, 403, 404, 405}, (name, response.status_code)
