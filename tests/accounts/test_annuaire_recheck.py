"""The nightly re-check of the accounts' national identifiers against the Annuaire Santé
(simulator on loopback): confirmed accounts dated, a struck-off identifier or another
profession noticed to the administrators (audited, mailed, once), no account disabled,
the Annuaire down changing nothing and the job retried."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts.annuaire_recheck import (
    MISMATCH_ACTION,
    Problem,
    problem_of,
    profession_code,
    recheck_accounts,
)
from opendui.accounts.models import User
from opendui.accounts.professions import Profession
from opendui.annuaire.config import client_from_settings
from opendui.annuaire.parsing import Practitioner
from opendui.audit.models import AuditEvent
from opendui.jobs.models import Job
from opendui.jobs.tasks import JobError
from opendui.jobs.worker import run_pending

MOREAU = "10100001014"  # médecin, active in the simulator
FONTAINE = "10100001022"  # infirmière
ANCIEN = "10100001121"  # médecin, inactive in the simulator
UNKNOWN = "10999000069"  # not in the simulator
# The job's clock is the audit trail's: a notice is dated by the real clock.
NOW = timezone.now().replace(microsecond=0)


def account(world, rpps: str, first: str, last: str, profession: str, **fields) -> User:
    """An account of the EHPAD's care team holding `rpps` (never checked unless told)."""
    user = world.user("infirmier", facility=world.ehpad)
    User.objects.filter(pk=user.pk).update(
        rpps=rpps, first_name=first, last_name=last, profession=profession, **fields
    )
    return User.objects.get(pk=user.pk)


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def notices() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=MISMATCH_ACTION).order_by("seq"))


# ----------------------------------------------------------------------------- pure rules


def practitioner(**fields) -> Practitioner:
    values = {
        "external_id": "p",
        "idnat_ps": "8" + MOREAU,
        "last_name": "MOREAU",
        "first_name": "Philippe",
        "profession_code": "10",
    }
    return Practitioner(**(values | fields))


def test_problem_of_each_case(db):
    user = User(first_name="Philippe", last_name="Moreau", profession=Profession.MEDECIN)
    assert problem_of(user, practitioner()) is None
    assert problem_of(user, None) is Problem.UNKNOWN
    assert problem_of(user, practitioner(active=False)) is Problem.UNKNOWN
    assert problem_of(user, practitioner(profession_code="60")) is Problem.PROFESSION
    assert problem_of(user, practitioner(last_name="MOREAU-DUPIN")) is Problem.NAMES
    assert problem_of(user, practitioner(first_name="Paul")) is Problem.NAMES
    # Accents and case are not differences; a profession the Annuaire leaves out is none.
    assert problem_of(user, practitioner(last_name="Moréau", first_name="PHILIPPE")) is None
    assert problem_of(user, practitioner(profession_code="")) is None
    other = User(first_name="Philippe", last_name="Moreau", profession=Profession.OTHER)
    assert problem_of(other, practitioner()) is Problem.PROFESSION


@given(st.sampled_from(Profession.values))
def test_profession_code_is_the_national_code(value):
    code = profession_code(value)
    assert code == ("" if value == Profession.OTHER else value.split(":")[1])
    assert code == "" or code.isdigit()


# ---------------------------------------------------------------------- against the simulator


def test_accounts_in_agreement_are_dated_and_nothing_is_noticed(world, annuaire_settings):
    doctor = account(world, MOREAU, "Philippe", "Moreau", Profession.MEDECIN)
    nurse = account(world, FONTAINE, "Claire", "Fontaine", Profession.INFIRMIER)
    summary = recheck_accounts(client_from_settings(), now=NOW)
    assert (summary.checked, summary.confirmed, summary.flagged) == (2, 2, 0)
    assert fresh(doctor).annuaire_checked_at == NOW
    assert fresh(nurse).annuaire_checked_at == NOW
    assert notices() == [] and Job.objects.count() == 0


def test_accounts_without_identifier_or_inactive_or_checked_recently_are_left(
    world, annuaire_settings
):
    plain = world.user("educateur", facility=world.ime)  # no national identifier
    closed = account(world, MOREAU, "Philippe", "Moreau", Profession.MEDECIN, is_active=False)
    recent = account(
        world,
        FONTAINE,
        "Claire",
        "Fontaine",
        Profession.INFIRMIER,
        annuaire_checked_at=NOW - dt.timedelta(hours=3),
    )
    assert recheck_accounts(client_from_settings(), now=NOW).checked == 0
    assert fresh(plain).annuaire_checked_at is None
    assert fresh(closed).annuaire_checked_at is None
    assert fresh(recent).annuaire_checked_at == NOW - dt.timedelta(hours=3)


def test_a_struck_off_identifier_is_noticed_once_and_the_account_stays_open(
    world, annuaire_settings
):
    admin = world.user("admin")
    other_admin = world.user("admin", organisation=world.other_og)
    checked = NOW - dt.timedelta(days=3)
    gone = account(
        world, ANCIEN, "Gilles", "Ancien", Profession.MEDECIN, annuaire_checked_at=checked
    )
    removed = account(
        world, UNKNOWN, "Lucie", "Garnier", Profession.MEDECIN, annuaire_checked_at=checked
    )

    summary = recheck_accounts(client_from_settings(), now=NOW)
    assert (summary.checked, summary.flagged, summary.confirmed) == (2, 2, 0)
    for user in (gone, removed):
        user = fresh(user)
        assert user.is_active  # never disabled by the job
        assert user.annuaire_checked_at is None  # « non vérifié dans l'Annuaire »
    events = notices()
    assert sorted(
        (e.object_id, e.details["reason"], e.details["national_id"]) for e in events
    ) == sorted(
        [(str(gone.pk), "unknown", "8" + ANCIEN), (str(removed.pk), "unknown", "8" + UNKNOWN)]
    )
    assert {(e.kind, e.user_id, e.user_label) for e in events} == {
        ("security", None, "annuaire.recheck")
    }
    assert run_pending() == 2
    assert sorted(m.to[0] for m in mail.outbox) == [admin.email, admin.email]
    assert all(other_admin.email not in str(m.message()) for m in mail.outbox)
    bodies = " ".join(m.body for m in mail.outbox)
    assert "identifiant national inconnu ou inactif dans l'Annuaire Santé" in bodies
    assert "8" + ANCIEN in bodies and "ne le désactive pas" in bodies

    # The next nights: looked up again, not noticed again.
    summary = recheck_accounts(client_from_settings(), now=NOW + dt.timedelta(days=1))
    assert (summary.checked, summary.flagged, summary.unconfirmed) == (2, 0, 2)
    assert len(notices()) == 2 and Job.objects.count() == 2  # the two mails of the first night


def test_an_identifier_never_confirmed_and_unknown_is_no_news(world, annuaire_settings):
    typed = account(world, UNKNOWN, "Lucie", "Garnier", Profession.MEDECIN)
    summary = recheck_accounts(client_from_settings(), now=NOW)
    assert (summary.checked, summary.unconfirmed, summary.flagged) == (1, 1, 0)
    assert fresh(typed).annuaire_checked_at is None and fresh(typed).is_active
    assert notices() == [] and Job.objects.count() == 0


def test_another_profession_is_noticed_with_both_codes(world, annuaire_settings):
    world.user("admin")
    nurse_as_doctor = account(world, FONTAINE, "Claire", "Fontaine", Profession.MEDECIN)
    recheck_accounts(client_from_settings(), now=NOW)
    (event,) = notices()
    assert event.object_id == str(nurse_as_doctor.pk)
    assert event.details == {
        "reason": "profession",
        "national_id": "8" + FONTAINE,
        "profession": "10",
        "annuaire_profession": "60",
    }
    run_pending()
    assert "profession différente de celle de l'Annuaire Santé" in mail.outbox[0].body


def test_a_problem_again_after_a_confirmation_is_noticed_again(world, annuaire_settings):
    user = account(world, FONTAINE, "Claire", "Fontaine", Profession.MEDECIN)
    recheck_accounts(client_from_settings(), now=NOW)
    User.objects.filter(pk=user.pk).update(profession=Profession.INFIRMIER)  # corrected
    later = NOW + dt.timedelta(days=2)
    assert recheck_accounts(client_from_settings(), now=later).confirmed == 1
    assert fresh(user).annuaire_checked_at == later
    User.objects.filter(pk=user.pk).update(profession=Profession.KINE)  # wrong again
    assert recheck_accounts(client_from_settings(), now=later + dt.timedelta(days=2)).flagged == 1
    assert [e.details["reason"] for e in notices()] == ["profession", "profession"]


def test_other_names_unverify_without_a_notice(world, annuaire_settings):
    user = account(
        world,
        MOREAU,
        "Philippe",
        "Moreau-Dupin",
        Profession.MEDECIN,
        annuaire_checked_at=NOW - dt.timedelta(days=5),
    )
    summary = recheck_accounts(client_from_settings(), now=NOW)
    assert (summary.unconfirmed, summary.flagged) == (1, 0)
    assert fresh(user).annuaire_checked_at is None
    assert notices() == []


def test_the_annuaire_down_changes_nothing_and_the_job_is_retried(world, annuaire_down):
    from opendui.accounts.tasks import AnnuaireUnavailable, recheck_account_identifiers

    checked = NOW - dt.timedelta(days=5)
    user = account(
        world, UNKNOWN, "Lucie", "Garnier", Profession.MEDECIN, annuaire_checked_at=checked
    )
    with pytest.raises(AnnuaireUnavailable) as caught:
        recheck_account_identifiers.call()
    assert isinstance(caught.value, JobError)
    assert caught.value.public_message  # a French message for the jobs page
    assert AnnuaireUnavailable in recheck_account_identifiers.retry_on
    assert fresh(user).annuaire_checked_at == checked and fresh(user).is_active
    assert notices() == []


def test_the_job_without_an_annuaire_does_nothing(world, settings):
    from opendui.accounts.tasks import recheck_account_identifiers

    settings.ANNUAIRE_URL = ""
    account(world, UNKNOWN, "Lucie", "Garnier", Profession.MEDECIN)
    assert recheck_account_identifiers.call() == {"skipped": "not configured"}
    assert notices() == []


def test_the_job_reports_its_summary(world, annuaire_settings):
    from opendui.accounts.tasks import recheck_account_identifiers

    account(world, MOREAU, "Philippe", "Moreau", Profession.MEDECIN)
    result = recheck_account_identifiers.call()
    assert result == {
        "checked": 1,
        "confirmed": 1,
        "unconfirmed": 0,
        "flagged": 0,
        "already_flagged": 0,
    }


def test_the_job_is_scheduled_nightly():
    from opendui.jobs.schedule import SCHEDULE

    entry = next(e for e in SCHEDULE if e.name == "accounts.annuaire_recheck")
    assert entry.task_path == "opendui.accounts.tasks.recheck_account_identifiers"
    assert entry.at == dt.time(2, 45)


def test_the_demo_s_health_professionals_are_confirmed(db, annuaire_settings):
    """The demo's accounts with an RPPS of a health profession, and its external doctor,
    are those the Annuaire simulator publishes: the demo's first night notices none."""
    from opendui.demo.seed import seed_demo

    seed_demo(3, 12, seed=1, activity_persons=12)
    summary = recheck_accounts(client_from_settings(), now=NOW)
    confirmed = set(User.objects.filter(annuaire_checked_at=NOW).values_list("email", flat=True))
    assert {
        f"{login}@demo.opendui.fr"
        for login in ("medecin", "infirmier", "aide-soignant", "psychologue", "medecin-traitant")
    } <= confirmed
    # The others (generated professionals, the éducateur's RPPS+) are not in the
    # simulator: never confirmed, they stay « non vérifié », without a notice.
    assert summary.flagged == 0 and notices() == []
    assert summary.unconfirmed == summary.checked - summary.confirmed
