"""French labels of audit actions and a short, personal-data-free summary of event details.

An action unknown here is shown as its raw code: the trail never hides an event
because nobody has named its action yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from .models import EventKind

ACTION_LABELS: dict[str, Any] = {
    # Consultation of records.
    "person.list": _("Liste de dossiers consultée"),
    "person.view": _("Dossier consulté"),
    "person.export": _("Dossier exporté ou imprimé"),
    "person.break_glass": _("Accès exceptionnel (bris de glace)"),
    "person.break_glass_search": _("Recherche d'un dossier hors périmètre (bris de glace)"),
    "person.duplicate_check": _("Recherche de doublons à la création d'un dossier"),
    "identity_alert.list": _("Signalements de doublons possibles consultés"),
    "access.denied": _("Accès refusé"),
    "audit.search": _("Recherche dans le journal d'audit"),
    "audit.view_person_access": _("Consultation de la liste des accès à un dossier"),
    "person.insi_search": _("Recherche de l'identité par le téléservice INSi"),
    "admission.list": _("Liste d'attente des admissions consultée"),
    "admission.view": _("Demande d'admission consultée"),
    "admission.form_view": _("Formulaire de demande d'admission ouvert"),
    "stay.person_view": _("Séjours d'une personne consultés"),
    "person.entourage_view": _("Entourage, protection et consentements d'une personne consultés"),
    "evaluation.list": _("Évaluations d'une personne consultées"),
    "evaluation.aggir_form": _("Formulaire de grille AGGIR ouvert"),
    "evaluation.aggir_view": _("Grille AGGIR consultée"),
    "evaluation.view": _("Évaluation consultée"),
    "evaluation.gmp_view": _("GIR moyen pondéré (GMP) d'un établissement consulté"),
    "contract.overdue_list": _("Liste des contrats de séjour en retard consultée"),
    "pp.list": _("Projets personnalisés d'une personne consultés"),
    "pp.view": _("Projet personnalisé consulté"),
    "pp.pdf": _("Projet personnalisé validé imprimé (PDF)"),
    "pp.overdue_list": _("Liste des projets personnalisés en retard consultée"),
    "incident.view": _("Événement indésirable consulté"),
    "incident.form_view": _("Formulaire de déclaration d'événement indésirable ouvert"),
    "incident.ars_export": _("Déclaration d'événement indésirable à l'ARS éditée (anonymisée)"),
    "note.person_view": _("Transmissions d'une personne consultées"),
    "note.liaison_view": _("Cahier de liaison consulté"),
    "note.unread_home": _("Transmissions non lues affichées sur la page d'accueil"),
    "home.residents": _("Liste « Mes résidents » affichée sur la page d'accueil"),
    # Security.
    "auth.login": _("Connexion"),
    "auth.failure": _("Échec de connexion"),
    "auth.logout": _("Déconnexion"),
    "auth.psc_failure": _("Échec de connexion avec Pro Santé Connect"),
    "auth.psc_unlinked": _("Connexion Pro Santé Connect d'un identifiant non rattaché à un compte"),
    "auth.password_changed": _("Mot de passe modifié"),
    "auth.password_refused_psc_only": _(
        "Connexion par mot de passe refusée (professionnel extérieur : Pro Santé Connect seul)"
    ),
    "auth.totp_enrolled": _("Double authentification activée"),
    # Changes.
    "person.create": _("Dossier créé"),
    "person.update": _("Identité modifiée"),
    "person.insi_reverify": _("Revérification périodique de l'INS (téléservice INSi)"),
    "person.merge_propose": _("Fusion de dossiers proposée (doublon)"),
    "person.merge": _("Dossiers fusionnés (doublon) après validation"),
    "person.merge_reject": _("Proposition de fusion de dossiers rejetée"),
    "person.merge_candidates": _("Recherche du dossier à conserver (fusion de doublons)"),
    "person.merge_list": _("Liste des fusions de dossiers consultée"),
    "person.merge_review": _("Proposition de fusion de dossiers consultée"),
    "identity_alert.create": _("Doublon possible signalé au référent en identitovigilance"),
    "identity_alert.close": _("Signalement de doublon possible traité"),
    "organisation.create": _("Organisme créé"),
    "organisation.update": _("Organisme modifié"),
    "facility.create": _("Établissement créé"),
    "facility.update": _("Établissement modifié"),
    "unit.create": _("Unité créée"),
    "unit.update": _("Unité modifiée"),
    "user.create": _("Compte professionnel créé"),
    "user.update": _("Compte professionnel modifié"),
    "assignment.create": _("Affectation créée"),
    "assignment.end": _("Affectation terminée"),
    "role.create": _("Rôle créé"),
    "role.update": _("Rôle modifié"),
    # Grants waiting for a second person's approval (accounts.grants).
    "grant.request": _("Demande d'habilitation (en attente d'approbation)"),
    "grant.approve": _("Demande d'habilitation approuvée"),
    "grant.refuse": _("Demande d'habilitation refusée"),
    "grant.cancel": _("Demande d'habilitation annulée"),
    "grant.expire": _("Demande d'habilitation expirée sans décision"),
    "grant.self_refused": _("Affectation à soi-même refusée"),
    "assignment.approve": _("Affectation approuvée (en vigueur)"),
    "assignment.withdraw": _("Affectation non accordée (demande refusée, annulée ou expirée)"),
    "linked_assignment.approve": _("Accès d'un professionnel extérieur approuvé (en vigueur)"),
    "linked_assignment.withdraw": _(
        "Accès d'un professionnel extérieur non accordé (demande refusée, annulée ou expirée)"
    ),
    "role.widen": _("Rôle élargi après approbation"),
    # Nobody logs in as an account with sensitive access but its owner (accounts.grants).
    "user.change_login_email": _("Adresse de connexion changée après approbation"),
    "auth.temporary_password_refused": _(
        "Mot de passe temporaire refusé (compte ayant accès à des données sensibles)"
    ),
    "account.owner_notified": _("Avis envoyé au titulaire du compte"),
    "account.annuaire_mismatch": _(
        "Compte en désaccord avec l'Annuaire Santé (identifiant ou profession) : "
        "administrateurs avertis"
    ),
    "user.reset_password": _("Mot de passe réinitialisé par un administrateur"),
    "auth.password_reset_by_admin": _("Mot de passe réinitialisé par un administrateur"),
    "user.reset_totp": _("Second facteur réinitialisé par un administrateur"),
    "user.unlock": _("Compte déverrouillé par un administrateur"),
    "admission.create": _("Demande d'admission enregistrée"),
    "admission.status": _("Statut d'une demande d'admission modifié"),
    "entourage.add": _("Personne ajoutée à l'entourage"),
    "entourage.update": _("Coordonnées ou rôles d'une personne de l'entourage modifiés"),
    "entourage.end": _("Fin de la relation avec une personne de l'entourage"),
    "admission.refuse": _("Demande d'admission refusée (avec son motif)"),
    "admission.reopen": _("Demande d'admission refusée réouverte"),
    "admission.update": _("Demande d'admission modifiée (priorité, motifs, orientation)"),
    "stay.admit": _("Admission (séjour ouvert)"),
    "stay.discharge": _("Sortie enregistrée"),
    "stay.relocate": _("Changement d'unité ou de chambre"),
    "stay.transfer_out": _("Transfert : sortie de l'établissement d'origine"),
    "stay.transfer_in": _("Transfert : arrivée dans le nouvel établissement"),
    "contract.create": _("Contrat de séjour ou DIPC enregistré"),
    "contract.update": _("Contrat de séjour ou DIPC modifié"),
    "absence.create": _("Absence enregistrée"),
    "pp.create": _("Projet personnalisé créé (en préparation)"),
    "pp.update": _("Projet personnalisé modifié"),
    "pp.validate": _("Projet personnalisé validé (version figée)"),
    "pp.status": _("Statut d'un projet personnalisé modifié"),
    "pp.new_version": _("Nouvelle version d'un projet personnalisé"),
    "pp.copy_content": _("Contenu repris dans une nouvelle version du projet personnalisé"),
    "pp.expectation": _("Attente ajoutée au projet personnalisé"),
    "pp.need": _("Besoin ajouté au projet personnalisé"),
    "pp.goal": _("Objectif ajouté au projet personnalisé"),
    "pp.goal_update": _("Objectif du projet personnalisé modifié"),
    "pp.action": _("Action ajoutée au projet personnalisé"),
    "pp.service": _("Prestation ajoutée au projet personnalisé"),
    "pp.item_status": _("Statut d'un objectif, d'une action ou d'une prestation modifié"),
    "pp.section_remove": _("Attente ou besoin retiré d'un projet en préparation"),
    "pp.agreement": _("Accord sur un projet personnalisé enregistré"),
    "pp.review": _("Bilan d'un projet personnalisé enregistré"),
    "pp.review_due": _("Date du prochain bilan d'un projet personnalisé mise à jour"),
    "aggir.create": _("Grille AGGIR enregistrée"),
    "aggir.update": _("Grille AGGIR modifiée"),
    "aggir.status": _("Statut d'une grille AGGIR modifié"),
    "evaluation.create": _("Évaluation commencée"),
    "evaluation.update": _("Évaluation modifiée"),
    "evaluation.answers": _("Réponses d'une évaluation enregistrées"),
    "evaluation.status": _("Statut d'une évaluation modifié"),
    "evaluation_model.create": _("Modèle d'évaluation créé"),
    "evaluation_model.update": _("Modèle d'évaluation modifié"),
    "evaluation_model.section": _("Section ajoutée à un modèle d'évaluation"),
    "evaluation_model.question": _("Question ajoutée à un modèle d'évaluation"),
    "evaluation_model.publish": _("Modèle d'évaluation publié"),
    "evaluation_model.archive": _("Modèle d'évaluation archivé"),
    "evaluation_model.new_revision": _("Nouvelle version d'un modèle d'évaluation"),
    "evaluation_model.default": _("Modèle d'évaluation SERAFIN-PH créé par défaut"),
    "incident.declare": _("Événement indésirable déclaré"),
    "incident.status": _("Statut d'un événement indésirable modifié"),
    "incident.analysis": _("Analyse d'un événement indésirable enregistrée"),
    "incident.action_create": _("Action corrective ajoutée"),
    "incident.action_update": _("Action corrective mise à jour"),
    "incident.report": _("Signalement à l'ARS ou information du CVS enregistré"),
    "note.create": _("Transmission ou observation écrite"),
    "note.update": _("Transmission modifiée par son auteur (délai de modification)"),
    "note.correct": _("Transmission corrigée (nouvelle version)"),
    "note.withdraw": _("Transmission retirée du dossier (mauvais dossier ou doublon)"),
    "note.team_create": _("Note pour l'équipe écrite (cahier de liaison)"),
    "event.create": _("Événement d'agenda créé"),
    "event.create_series": _("Événements d'agenda créés (répétition)"),
    "event.update": _("Événement d'agenda modifié"),
    "event.status": _("Statut d'un événement d'agenda modifié"),
    "event.presence": _("Présence enregistrée sur un événement d'agenda"),
    "event.report": _("Compte rendu d'un événement d'agenda enregistré"),
    "event.view": _("Événement d'agenda consulté"),
    "event.person_agenda": _("Agenda d'une personne consulté"),
    "event.my_agenda": _("Agenda personnel du professionnel consulté"),
    "event.planning": _("Planning d'un établissement consulté"),
    "event.form_view": _("Formulaire d'événement d'agenda ouvert (personnes proposées)"),
    # Administrative file, directory of external professionals, documents.
    "administrative.view": _("Dossier administratif consulté"),
    "administrative.form_view": _("Formulaire du dossier administratif ouvert"),
    "administrative.photo_view": _("Photo de la personne affichée"),
    "administrative.rights_home": _("Droits à renouveler consultés (page d'accueil)"),
    "administrative.profile.add": _("Langue, nationalité ou situation familiale enregistrées"),
    "administrative.profile.update": _("Langue, nationalité ou situation familiale modifiées"),
    "administrative.photo_consent.add": _("Consentement à la photo enregistré"),
    "administrative.photo_consent.withdraw": _("Consentement à la photo retiré"),
    "administrative.photo.add": _("Photo enregistrée"),
    "administrative.photo.superseded": _("Photo remplacée"),
    "administrative.address.add": _("Adresse ajoutée"),
    "administrative.address.update": _("Adresse modifiée"),
    "administrative.address.correct": _("Adresse corrigée"),
    "administrative.address.replaced": _("Adresse remplacée par sa correction"),
    "administrative.address.end": _("Adresse terminée"),
    "administrative.phone.add": _("Téléphone ajouté"),
    "administrative.phone.update": _("Téléphone modifié"),
    "administrative.phone.correct": _("Téléphone corrigé"),
    "administrative.phone.replaced": _("Téléphone remplacé par sa correction"),
    "administrative.phone.end": _("Téléphone terminé"),
    "administrative.email.add": _("Adresse e-mail ajoutée"),
    "administrative.email.update": _("Adresse e-mail modifiée"),
    "administrative.email.correct": _("Adresse e-mail corrigée"),
    "administrative.email.replaced": _("Adresse e-mail remplacée par sa correction"),
    "administrative.email.end": _("Adresse e-mail terminée"),
    "administrative.coverage.add": _("Couverture d'assurance maladie ajoutée"),
    "administrative.coverage.update": _("Couverture d'assurance maladie modifiée"),
    "administrative.coverage.correct": _("Couverture d'assurance maladie corrigée"),
    "administrative.coverage.replaced": _(
        "Couverture d'assurance maladie remplacée par sa correction"
    ),
    "administrative.coverage.end": _("Couverture d'assurance maladie terminée"),
    "administrative.complementarycover.add": _("Complémentaire santé ajoutée"),
    "administrative.complementarycover.update": _("Complémentaire santé modifiée"),
    "administrative.complementarycover.correct": _("Complémentaire santé corrigée"),
    "administrative.complementarycover.replaced": _(
        "Complémentaire santé remplacée par sa correction"
    ),
    "administrative.complementarycover.end": _("Complémentaire santé terminée"),
    "administrative.right.add": _("Droit ou prestation ajouté"),
    "administrative.right.update": _("Droit ou prestation modifié"),
    "administrative.right.correct": _("Droit ou prestation corrigé"),
    "administrative.right.replaced": _("Droit ou prestation remplacé par sa correction"),
    "administrative.right.end": _("Droit ou prestation terminé"),
    "person.professionals_view": _("Professionnels extérieurs de la personne consultés"),
    "directory.link_add": _("Professionnel extérieur lié à la personne"),
    "directory.account_link": _(
        "Compte OpenDUI d'un professionnel extérieur ouvert aux personnes qu'il suit"
    ),
    "directory.account_link_refused": _("Ouverture d'un compte de professionnel extérieur refusée"),
    "directory.account_unlink": _("Accès d'un professionnel extérieur aux personnes suivies clos"),
    "directory.link_end": _("Fin du lien avec un professionnel extérieur"),
    "directory.professional_create": _("Professionnel ajouté à l'annuaire"),
    "directory.professional_update": _("Fiche d'un professionnel de l'annuaire modifiée"),
    "directory.professional_deactivate": _("Professionnel de l'annuaire désactivé"),
    "directory.professional_reactivate": _("Professionnel de l'annuaire réactivé"),
    "directory.structure_create": _("Structure ajoutée à l'annuaire"),
    "directory.structure_update": _("Fiche d'une structure de l'annuaire modifiée"),
    "directory.structure_deactivate": _("Structure de l'annuaire désactivée"),
    "directory.structure_reactivate": _("Structure de l'annuaire réactivée"),
    "directory.annuaire_create": _("Professionnel ajouté depuis l'Annuaire Santé"),
    "directory.annuaire_update": _("Professionnel mis à jour depuis l'Annuaire Santé"),
    "directory.annuaire_structure_create": _("Structure ajoutée depuis l'Annuaire Santé"),
    "directory.annuaire_gone": _(
        "Professionnel désactivé : introuvable ou inactif dans l'Annuaire Santé"
    ),
    "document.list": _("Documents de la personne consultés"),
    "document.withdrawn_list": _("Documents retirés de la personne consultés"),
    "document.view": _("Fiche d'un document consultée"),
    "document.viewer": _("Document affiché"),
    "document.view_content": _("Contenu d'un document affiché"),
    "document.download": _("Document téléchargé"),
    "document.upload_form": _("Formulaire d'ajout de document ouvert"),
    "document.generate_form": _("Formulaire de génération de document ouvert"),
    "document.create": _("Document ajouté au dossier"),
    "document.replace": _("Nouvelle version d'un document"),
    "document.withdraw": _("Document retiré du dossier"),
    "record_export.form": _("Formulaire d'export du dossier ouvert"),
    "record_export.request": _("Export du dossier demandé"),
    "record_export.ready": _("Export du dossier préparé"),
    "record_export.status": _("État d'un export du dossier consulté"),
    "record_export.download": _("Export du dossier téléchargé"),
}

KIND_LABELS = {kind.value: kind.label for kind in EventKind}

# Reason codes of auth.psc_failure (accounts/psc/client.py MESSAGES).
PSC_FAILURE_REASONS = {
    "cancelled": _("connexion annulée par l'utilisateur"),
    "state": _("réponse sans connexion en cours (state inconnu)"),
    "code": _("code expiré ou déjà utilisé"),
    "acr": _("niveau d'authentification insuffisant (acr)"),
    "clock": _("jeton expiré ou daté dans le futur (horloges)"),
    "token": _("jeton d'identité invalide"),
    "userinfo": _("informations du professionnel inutilisables"),
    "provider": _("refus ou réponse invalide du fournisseur"),
    "unavailable": _("fournisseur injoignable"),
    "configuration": _("certificat client illisible"),
    "disabled": _("compte désactivé"),
    "refused": _("connexion suspendue (verrouillage)"),
    "not_configured": _("Pro Santé Connect non configuré"),
}

_DETAIL_LABELS = {
    "method": _("méthode"),
    "reason": _("motif"),
    "step": _("étape"),
    "idnat": _("identifiant national"),
    "page": _("page"),
}
_MAX_FIELDS = 8


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def action_choices() -> list[tuple[str, str]]:
    """Known actions for a filter list, sorted by their French label."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[1])


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@lru_cache(maxsize=256)
def field_label(object_type: str, name: str) -> str:
    """The French name of a model field ('persons.person', 'birth_name' → 'nom de naissance')."""
    try:
        model = apps.get_model(object_type)
        return str(model._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return name


def _format_instant(value: Any) -> str:
    try:
        instant = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(instant):
        instant = timezone.localtime(instant)
    return date_format(instant, "d/m/Y H:i")


def details_summary(
    action: str, kind: str, details: Mapping[str, Any] | None, object_type: str = ""
) -> str:
    """One line about an event's details, never showing recorded values of a record.

    Changes show the names of the fields that changed (their before/after values
    stay in the trail, not on the page).
    """
    details = details or {}
    if kind == EventKind.CHANGE:
        if details.get("created"):
            return _g("Création")
        changes = details.get("changes") or {}
        if not changes:
            return _g("Aucun champ modifié")
        names = [field_label(object_type, name) for name in changes]
        shown = ", ".join(names[:_MAX_FIELDS])
        if len(names) > _MAX_FIELDS:
            shown += _g(" et %(n)d autres") % {"n": len(names) - _MAX_FIELDS}
        return _g("Champs modifiés : %(fields)s") % {"fields": shown}
    if action == "access.denied":
        from opendui.accounts.permissions import CATALOGUE

        code = str(details.get("permission", ""))
        permission = CATALOGUE.get(code)
        label = str(permission.label) if permission is not None else code
        path = details.get("path")
        return _g("Habilitation manquante : %(p)s") % {"p": label} + (f" ({path})" if path else "")
    if action == "auth.failure":
        text = _g("Étape : %(s)s") % {
            "s": _g("second facteur") if details.get("step") == "totp" else _g("mot de passe")
        }
        if details.get("locked"):
            text += " – " + _g("compte verrouillé")
        return text
    if action == "auth.psc_failure":
        reason = str(details.get("reason", ""))
        return _g("Motif : %(r)s") % {"r": str(PSC_FAILURE_REASONS.get(reason, reason))}
    if action == "auth.psc_unlinked":
        return _g("Identifiant national : %(i)s") % {"i": details.get("idnat", "")}
    if action == "person.break_glass" and details.get("expires_at"):
        return _g("Accès ouvert jusqu'au %(d)s") % {"d": _format_instant(details["expires_at"])}
    if action == "person.duplicate_check":
        return _g("%(s)d dossier(s) ressemblant(s) affiché(s), %(e)d hors périmètre") % {
            "s": len(details.get("shown") or []),
            "e": len(details.get("elsewhere") or []),
        }
    if action == "person.list":
        parts = [_g("page %(n)s") % {"n": details["page"]}] if "page" in details else []
        if details.get("search"):
            parts.append(_g("avec recherche"))
        return ", ".join(parts)
    if action == "audit.search":
        filters = details.get("filters") or {}
        return (_g("Filtres : %(f)s") % {"f": ", ".join(sorted(filters))}) if filters else ""
    parts = []
    for key, value in details.items():
        if isinstance(value, (dict, list)) or value in ("", None):
            continue
        parts.append(f"{_DETAIL_LABELS.get(key, key)} : {value}")
    return ", ".join(str(p) for p in parts[:4])
