"""Professions and medico-social activity roles of the national directories.

Codes of the RPPS nomenclatures as carried in the DMP SubjectRole value set
(JDV_J65): health professions (TRE_G15, OID 1.2.250.1.71.1.2.7), social
professions registered in RPPS+ (OID 1.2.250.1.213.1.6.1.4) and the five
"genre d'activité" roles of RPPS+ (OID 1.2.250.1.213.1.6.1.19).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

HEALTH_PROFESSION_OID = "1.2.250.1.71.1.2.7"
SOCIAL_PROFESSION_OID = "1.2.250.1.213.1.6.1.4"
ACTIVITY_ROLE_OID = "1.2.250.1.213.1.6.1.19"


class Profession(models.TextChoices):
    """Value = '<G15|SOC>:<code>' so the national code system travels with the code."""

    MEDECIN = "G15:10", _("Médecin")
    AIDE_SOIGNANT = "G15:35", _("Aide-soignant")
    INFIRMIER = "G15:60", _("Infirmier")
    KINE = "G15:70", _("Masseur-kinésithérapeute")
    ORTHOPHONISTE = "G15:91", _("Orthophoniste")
    PSYCHOLOGUE = "G15:93", _("Psychologue")
    ERGOTHERAPEUTE = "G15:94", _("Ergothérapeute")
    PSYCHOMOTRICIEN = "G15:96", _("Psychomotricien")
    ASSISTANT_SERVICE_SOCIAL = "SOC:41", _("Assistant de service social")
    AUXILIAIRE_VIE_SOCIALE = "SOC:42", _("Auxiliaire de vie sociale")
    TISF = "SOC:43", _("Technicien de l'intervention sociale et familiale")
    CESF = "SOC:44", _("Conseiller en économie sociale et familiale")
    MEDIATEUR_FAMILIAL = "SOC:45", _("Médiateur familial")
    ASSISTANT_FAMILIAL = "SOC:46", _("Assistant familial")
    AMP = "SOC:47", _("Aide médico-psychologique")
    MONITEUR_EDUCATEUR = "SOC:48", _("Moniteur éducateur")
    EJE = "SOC:49", _("Éducateur de jeunes enfants")
    EDUCATEUR_SPECIALISE = "SOC:51", _("Éducateur spécialisé")
    EDUCATEUR_TECHNIQUE = "SOC:52", _("Éducateur technique spécialisé")
    AES = "SOC:53", _("Accompagnant éducatif et social")
    OTHER = "AUTRE", _("Autre (personnel administratif, de direction…)")


class ActivityRole(models.TextChoices):
    """The five RPPS+ 'genre d'activité' roles of social and medico-social professionals."""

    COORDINATION = "GENR08", _("Coordination et orientation")
    SUPPORT = (
        "GENR09",
        _("Fonctions administratives ou d'appui à l'organisation de l'accompagnement"),
    )
    SOCIAL_LIFE = "GENR10", _("Accompagnement à la vie sociale, professionnelle et éducative")
    CARE = "GENR11", _("Accompagnement au soin")
    MANAGEMENT = "GENR12", _("Encadrement et organisation de l'accompagnement")
