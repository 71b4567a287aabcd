"""The simulator's test e-CPS cards: fictitious professionals with PSC's claim set.

The demo's médecin, infirmier, aide-soignant, psychologue and éducateur accounts hold the
national identifiers below (demo/seed.py reads DEMO_NATIONAL_IDS), so picking their card in
the simulator logs into their account. One card belongs to nobody in OpenDUI (the linking
page), and the psychologue works in two places (the choice of the work situation).
No Django import: the simulator runs without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Site names are the demo's facilities (demo.seed.facility_name: fixed whatever the seed).
# Demo login (DemoAccount.role_code) → (User field, number); the last digit is the Luhn key.
# The médecin's, the infirmière's, the aide-soignante's and the psychologue's are published
# by the Annuaire Santé simulator (annuaire/data/simulator_fixture.json), so the nightly
# re-check of the accounts confirms them; the éducateur's RPPS+ is not (the simulator
# publishes health professions only). The seed never draws any of them at random.
DEMO_NATIONAL_IDS: dict[str, tuple[str, str]] = {
    "medecin": ("rpps", "10100001014"),
    "infirmier": ("rpps", "10100001022"),
    "aide-soignant": ("rpps", "10999000036"),
    "psychologue": ("rpps", "10999000044"),
    "educateur": ("rpps_plus", "10999000051"),
}
UNKNOWN_RPPS = "10999000069"
#: Dr Hélène LEMAIRE, the first médecin traitant of the demo's directory
#: (directory/demo_data.py): the demo opens her access to the two residents she follows
#: (directory.demo_data.seed_external_access), as an administrator would (« Annuaire » →
#: « Accès aux dossiers ») with the directeur général's approval.
EXTERNAL_GP_RPPS = "10990000019"

HEALTH_OID = "1.2.250.1.71.1.2.7"
SOCIAL_OID = "1.2.250.1.213.1.6.1.4"
# Palier d'authentification of an e-CPS login (PSC-POC examples).
PALIER_ECPS = "APPPRIP3^1.2.250.1.213.1.5.1.1.1"


@dataclass(frozen=True)
class Activity:
    site: str
    finess: str = ""
    sector: str = "SA17"  # TRE_R02: établissement pour personnes âgées
    role: str = "FON-05"


@dataclass(frozen=True)
class TestCard:
    """One fictitious professional; `key` is what the authorize form posts."""

    key: str
    idnat: str
    civilite: str
    given_name: str
    family_name: str
    profession: str  # codeProfession
    activities: tuple[Activity, ...]
    description: str
    social: bool = False  # social profession (RPPS+) rather than health (RPPS)
    extra_exercices: tuple[tuple[str, Activity], ...] = field(default_factory=tuple)

    def exercices(self) -> list[dict[str, Any]]:
        """SubjectRefPro.exercices: one per work situation (extra ones are other professions
        or other places)."""
        main = [(self.profession, a) for a in self.activities[:1]]
        others = [(self.profession, a) for a in self.activities[1:]]
        return [
            {
                "codeProfession": profession,
                "codeCategorieProfessionnelle": "C",
                "codeCiviliteDexercice": "DR" if profession == "10" else "",
                "nomDexercice": self.family_name,
                "prenomDexercice": self.given_name,
                "codeTypeSavoirFaire": "",
                "codeSavoirFaire": "",
                "activities": [
                    {
                        "codeModeExercice": "S",
                        "codeSecteurDactivite": activity.sector,
                        "codeSectionPharmacien": "",
                        "codeRole": activity.role,
                        "numeroSiretSite": "",
                        "numeroSirenSite": "",
                        "numeroFinessSite": activity.finess,
                        "numeroFinessetablissementJuridique": "",
                        "identifiantTechniqueDeLaStructure": "",
                        "raisonSocialeSite": activity.site,
                        "enseigneCommercialeSite": "",
                        "codePostal": "",
                        "codeCommune": "",
                    }
                ],
            }
            for profession, activity in main + others + list(self.extra_exercices)
        ]

    def userinfo(self, subject: str) -> dict[str, Any]:
        """PSC's userinfo claim set (services_socles §2.3) for this card."""
        exercices = self.exercices()
        first = self.activities[0]
        oid = SOCIAL_OID if self.social else HEALTH_OID
        return {
            "sub": subject,
            "SubjectNameID": self.idnat,
            "preferred_username": self.idnat,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email_verified": False,
            "SubjectOrganization": first.site,
            "SubjectOrganizationID": first.finess,
            "SubjectRole": [f"{e['codeProfession']}^{oid}" for e in exercices],
            "Secteur_Activite": f"{first.sector}^1.2.250.1.71.4.2.4",
            "Mode_Acces_Raison": "",
            "Acces_Regulation_Medicale": "FAUX",
            "Palier_Authentification": PALIER_ECPS,
            "UITVersion": "1.0",
            "PSI_Locale": "1.2.250.1.213.1.3.1.1",
            "otherIds": [{"identifiant": self.idnat, "origine": "RPPS", "qualite": 1}],
            "SubjectRefPro": {"codeCivilite": self.civilite, "exercices": exercices},
        }


_EHPAD = Activity("EHPAD Les Tilleuls")
TEST_CARDS: tuple[TestCard, ...] = (
    TestCard(
        "medecin",
        "8" + DEMO_NATIONAL_IDS["medecin"][1],
        "M",
        "Philippe",
        "Moreau",
        "10",
        (_EHPAD,),
        "Médecin (compte de démonstration « medecin »)",
    ),
    TestCard(
        "infirmier",
        "8" + DEMO_NATIONAL_IDS["infirmier"][1],
        "MME",
        "Claire",
        "Fontaine",
        "60",
        (_EHPAD,),
        "Infirmière (compte « infirmier »)",
    ),
    TestCard(
        "aide-soignant",
        "8" + DEMO_NATIONAL_IDS["aide-soignant"][1],
        "MME",
        "Nadia",
        "Benali",
        "35",
        (_EHPAD,),
        "Aide-soignante (compte « aide-soignant »)",
    ),
    TestCard(
        "psychologue",
        "8" + DEMO_NATIONAL_IDS["psychologue"][1],
        "MME",
        "Hélène",
        "Durieux",
        "93",
        (Activity("IME Les Sources", sector="SA41"), Activity("MAS Les Genêts", sector="SA41")),
        "Psychologue à deux situations d'exercice (compte « psychologue »)",
    ),
    TestCard(
        "educateur",
        "8" + DEMO_NATIONAL_IDS["educateur"][1],
        "M",
        "Julien",
        "Roussel",
        "51",
        (Activity("IME Les Sources", sector="SA41", role="GENR10"),),
        "Éducateur spécialisé, RPPS+ (compte « educateur »)",
        social=True,
    ),
    TestCard(
        "medecin-traitant",
        "8" + EXTERNAL_GP_RPPS,
        "MME",
        "Hélène",
        "Lemaire",
        "10",
        (Activity("Cabinet médical", sector="SA07"),),
        "Médecin traitante libérale de l'annuaire de l'organisme (professionnel extérieur)",
    ),
    TestCard(
        "inconnu",
        "8" + UNKNOWN_RPPS,
        "MME",
        "Lucie",
        "Garnier",
        "10",
        (Activity("Cabinet médical", sector="SA07"),),
        "Médecin libérale sans compte OpenDUI (page de rattachement)",
    ),
)
CARDS_BY_KEY = {card.key: card for card in TEST_CARDS}
