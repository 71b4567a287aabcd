"""TRE_R390-TypeProjetPersonnalise (OID 1.2.250.1.213.3.3.258), the PP types of TDDUI.

Source: ANS terminologies IG (CodeSystem TRE_R390, ans.fr.terminologies 1.12.0).
"""

from __future__ import annotations

SYSTEM_OID = "1.2.250.1.213.3.3.258"

PROJECT_TYPES: dict[str, str] = {  # displays as published (TRE_R390, valid from 2025-04-22)
    "PAI": "Projet d'Accompagnement Individuel",
    "PPA": "Projet Personnalisé d'Accompagnement",
    "PPIA": "Projet Personnalisé Individuel d'Accompagnement",
    "PP": "Projet Personnalisé",
    "PPI": "Projet Personnalisé Individuel",
    "PA": "Projet d'Accompagnement",
    "PI": "Projet Individuel",
}


def project_type_problem(code: str) -> str | None:
    if code in PROJECT_TYPES:
        return None
    known = ", ".join(PROJECT_TYPES)
    return f"Type de projet personnalisé inconnu : « {code} » (types connus : {known})."
