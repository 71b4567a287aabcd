"""National codes of a DMP document: pure look-ups the Django side calls to fill a `DmpDocument`.

- healthcareFacilityTypeCode (JDV_J02, TRE_R02-SecteurActivite) from the FINESS category of
  the facility (TRE_R66): the ESSMS categories go to the "personnes âgées" (SA17),
  "personnes handicapées" (SA16), "protection de l'enfance" (SA20) and "hébergement et
  réadaptation" (SA21) sectors; every other category, home services included, to SA41
  "Autre établissement du domaine social ou médico-social" (the code of the ANS medico-social
  CDA example, an SSIAD).
- practiceSettingCode (JDV_J04, TRE_A01-CadreExercice): `ESSMS` for every facility of the
  social and medico-social sector, as the CI-SIS medico-social documents do.
- document type (JDV_J07) and class (JDV_J06) from OpenDUI's document types
  (`nomenclatures/data/`): a local medico-social type is sent under its `j07_equivalent`;
  without one it cannot be sent to the DMP.
- author specialty (JDV_J01) from the professional's profession (JDV_J65 codes).

The CSV files are read here rather than through `documents.codes` because `interop` sits below
`documents` in the app order; they are the same files.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from opendui.interop.dmp.document import Coded, Professional

DATA = Path(__file__).resolve().parents[2] / "nomenclatures" / "data"

# Code systems (OIDs).
LOINC = "2.16.840.1.113883.6.1"
TRE_A05_TYPE_DOC = "1.2.250.1.213.1.1.4.12"  # TRE_A05-TypeDocComplementaire
TRE_A03_CLASS = "1.2.250.1.213.1.1.4.1"  # TRE_A03-ClasseDocument
TRE_A10_SIGNATURE = "URN"  # the signature class of TRE_A10 is itself a URN (XDS codingScheme)
TRE_R02_SECTOR = "1.2.250.1.71.4.2.4"  # TRE_R02-SecteurActivite
TRE_A01_PRACTICE = "1.2.250.1.213.1.1.4.9"  # TRE_A01-CadreExercice
HL7_CONFIDENTIALITY = "2.16.840.1.113883.5.25"
TRE_G15_PROFESSION = "1.2.250.1.71.1.2.7"  # TRE_G15-ProfessionSante (JDV_J65)
SOCIAL_PROFESSION = "1.2.250.1.213.1.6.1.4"  # social professions registered in RPPS+
TRE_R85_ROLE = "1.2.250.1.213.1.6.1.107"  # TRE_R85-RolePriseCharge (JDV_J01)
PROFESSION_SAVOIR_FAIRE = "1.2.250.1.213.1.1.4.5"  # TRE_G15 as "G15_xx" codes (JDV_J01)
NON_PS_PROFESSION = "1.2.250.1.213.1.6.1.109"  # psychologue, ostéopathe… (JDV_J01)
TRE_A00_PRODUCER = "1.2.250.1.213.1.1.4.6"  # TRE_A00-ProducteurDocNonPS

_J07_SYSTEMS = {"LOINC": LOINC, "TRE_A05": TRE_A05_TYPE_DOC}
_J06_SYSTEMS = {"TRE_A03": TRE_A03_CLASS}

# -- Facility type (JDV_J02) and practice setting (JDV_J04) ----------------------------

_SECTORS = {
    "SA16": "Etablissement pour personnes handicapées",
    "SA17": "Etablissement pour personnes âgées",
    "SA20": "Etablissement pour la protection de l'enfance",
    "SA21": "Etablissement d'hébergement et de réadaptation",
    "SA41": "Autre établissement du domaine social ou médico-social",
}
#: FINESS category (TRE_R66) → TRE_R02 sector. Categories not listed get SA41.
FACILITY_SECTOR_BY_CATEGORY: dict[str, str] = {
    # Older persons: EHPAD, EHPA, résidence autonomie, day centre.
    "500": "SA17",
    "501": "SA17",
    "502": "SA17",
    "202": "SA17",
    "207": "SA17",
    # Disabled children and adults.
    "182": "SA16",  # SESSAD
    "183": "SA16",  # IME
    "186": "SA16",  # ITEP
    "188": "SA16",  # EEAP (polyhandicap)
    "192": "SA16",  # IEM
    "194": "SA16",  # institut pour déficients visuels
    "195": "SA16",  # institut pour déficients auditifs
    "196": "SA16",  # institut d'éducation sensorielle
    "246": "SA16",  # ESAT
    "252": "SA16",  # foyer d'hébergement
    "255": "SA16",  # MAS
    "382": "SA16",  # foyer de vie
    "437": "SA16",  # FAM / EAM
    "445": "SA16",  # SAMSAH
    "446": "SA16",  # SAVS
    # Child protection.
    "177": "SA20",  # MECS
    # Social accommodation and rehabilitation.
    "214": "SA21",  # CHRS
    # Home services (SSIAD 354, SAAD 460…) and the rest: SA41, the default.
}
DEFAULT_SECTOR = "SA41"


def facility_type_of(finess_category_code: str) -> Coded:
    """healthcareFacilityTypeCode (JDV_J02) of a facility of FINESS category `finess_category_code`."""
    sector = FACILITY_SECTOR_BY_CATEGORY.get((finess_category_code or "").strip(), DEFAULT_SECTOR)
    return Coded(sector, TRE_R02_SECTOR, _SECTORS[sector])


ESSMS_PRACTICE_SETTING = Coded(
    "ESSMS", TRE_A01_PRACTICE, "Etablissement ou Service Social ou Médico-Social"
)


def practice_setting_of(finess_category_code: str = "") -> Coded:
    """practiceSettingCode (JDV_J04) of an ESSMS: `ESSMS` whatever its category.

    The category is accepted so that callers do not change when a finer rule is adopted;
    the CI-SIS medico-social examples use `ESSMS` for home services too.
    """
    return ESSMS_PRACTICE_SETTING


# -- Confidentiality ---------------------------------------------------------------------

_CONFIDENTIALITY = {"N": "Normal", "R": "Restreint", "V": "Très restreint"}


def confidentiality_coded(code: str) -> Coded:
    """The HL7 confidentialityCode `N`, `R` or `V` (JDV_J08) as a `Coded`."""
    if code not in _CONFIDENTIALITY:
        raise ValueError(f"Niveau de confidentialité inconnu : {code!r} (attendu N, R ou V).")
    return Coded(code, HL7_CONFIDENTIALITY, _CONFIDENTIALITY[code])


# -- Document type (JDV_J07) and class (JDV_J06) ----------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def _j07() -> dict[str, Coded]:
    """JDV_J07 codes by code; TRE_A12 (ASTM) is left out: it has no OID to send in a CDA."""
    return {
        row["code"]: Coded(row["code"], _J07_SYSTEMS[row["system"]], row["display"])
        for row in _rows("jdv_j07_type_codes.csv")
        if row["system"] in _J07_SYSTEMS
    }


@cache
def _local_equivalents() -> dict[str, str]:
    return {row["code"]: row["j07_equivalent"] for row in _rows("opendui_document_types.csv")}


@cache
def _j06() -> dict[str, Coded]:
    codes = {}
    for row in _rows("jdv_j06_class_codes.csv"):
        system = _J06_SYSTEMS.get(row["system"], TRE_A10_SIGNATURE)
        codes[row["code"]] = Coded(row["code"], system, row["display"])
    return codes


def document_type_coded(system: str, code: str) -> Coded | None:
    """The JDV_J07 typeCode of an OpenDUI document type, or None when it cannot be sent.

    `system` is "J07" or "LOCAL" (documents' TypeSystem); a local type is sent under its
    `j07_equivalent`, and one without an equivalent (a photo, a certificate of presence…)
    has no place in the DMP.
    """
    if system == "LOCAL":
        code = _local_equivalents().get(code, "")
    elif system != "J07":
        return None
    return _j07().get(code) if code else None


def class_coded(code: str) -> Coded:
    """The JDV_J06 classCode `code` (TRE_A03) as a `Coded`."""
    try:
        return _j06()[code]
    except KeyError:
        raise ValueError(f"Classe de document inconnue (JDV_J06) : {code!r}.") from None


# -- Author specialty (JDV_J01) ---------------------------------------------------------

#: Social professions of RPPS+ → their JDV_J01 code (TRE_R85 role, or the profession itself).
_SOCIAL_TO_J01 = {
    "41": ("41", SOCIAL_PROFESSION, "Assistant de service social"),
    "42": ("318", TRE_R85_ROLE, "Auxiliaire de vie sociale"),
    "43": ("319", TRE_R85_ROLE, "Technicien de l'intervention sociale et familiale"),
    "44": ("320", TRE_R85_ROLE, "Conseiller en économie sociale et familiale"),
    "45": ("321", TRE_R85_ROLE, "Médiateur familial"),
    "46": ("322", TRE_R85_ROLE, "Assistant familial"),
    "47": ("323", TRE_R85_ROLE, "Aide médico-psychologique (AMP)"),
    "48": ("324", TRE_R85_ROLE, "Moniteur éducateur"),
    "49": ("325", TRE_R85_ROLE, "Educateur de jeunes enfants"),
    "51": ("326", TRE_R85_ROLE, "Educateur spécialisé"),
    "52": ("327", TRE_R85_ROLE, "Educateur technique spécialisé"),
    "53": ("328", TRE_R85_ROLE, "Accompagnant éducatif et social"),
}
#: TRE_G15 professions that JDV_J01 carries outside "G15_xx" (not health professions there).
_G15_NON_PS = {
    "71": "Ostéopathe",
    "72": "Psychothérapeute",
    "73": "Chiropracteur",
    "93": "Psychologue",
}
#: TRE_G15 professions that JDV_J01 carries as "G15_<code>".
G15_IN_J01 = frozenset(
    [
        "10",
        "21",
        "26",
        "28",
        "31",
        "32",
        "35",
        "36",
        "37",
        "38",
        "39",
        "40",
        "50",
        "60",
        "69",
        "70",
        "80",
        "81",
        "82",
        "83",
        "84",
        "85",
        "86",
        "91",
        "92",
        "94",
        "95",
        "96",
        "98",
    ]
)


@cache
def _g15_labels() -> dict[str, str]:
    with (DATA / "tre_g15_professions.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["display"] for row in csv.DictReader(handle, delimiter=";")}


def author_specialty_of(professional: Professional) -> Coded | None:
    """The CDA author `code` (JDV_J01) of a professional, from their profession; None if unknown.

    The RPPS specialty of a doctor is not added ("G15_10/SMxx"): the profession alone is a
    valid JDV_J01 code, and OpenDUI carries no list of the valid profession/specialty pairs.
    """
    profession = professional.profession
    if profession is None:
        return None
    if profession.system == TRE_G15_PROFESSION:
        if profession.code in _G15_NON_PS:
            return Coded(profession.code, NON_PS_PROFESSION, _G15_NON_PS[profession.code])
        if profession.code in G15_IN_J01:
            label = profession.display or _g15_labels().get(profession.code, "")
            return Coded(f"G15_{profession.code}", PROFESSION_SAVOIR_FAIRE, label or "Profession")
        return None
    if profession.system == SOCIAL_PROFESSION and profession.code in _SOCIAL_TO_J01:
        return Coded(*_SOCIAL_TO_J01[profession.code])
    if profession.system == TRE_R85_ROLE:
        return Coded(profession.code, TRE_R85_ROLE, profession.display or "Professionnel")
    return None


#: The author code of a document generated by the software (no human author).
DUI_SOFTWARE_AUTHOR = Coded(
    "LOGICIEL_DUI", TRE_A00_PRODUCER, "Logiciel de Dossier Usager Informatisé"
)
