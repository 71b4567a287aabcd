"""Realistic, deterministic demo data, fast enough for 100,000 persons.

`seed_demo()` creates one managing organisation ("Association Les Tilleuls"),
N facilities cycling through ten FINESS categories (EHPAD, IME, MAS, ESAT,
SSIAD, EAM, SESSAD, MECS, CHRS, SAA), their units, one demo account per default
role (password DEMO_PASSWORD), generated professionals for every facility and
role, and the persons accompanied with their stays.

Determinism: everything drawn at random comes from one `random.Random(seed)`
consumed in a fixed order, and every date is computed from `reference_date`,
so the same seed and reference date give the same data in any database
(primary keys aside). Facility names, cities and the demo accounts do not
depend on the seed at all, so the README can name them.

Demo accounts and second factor: the built-in "admin" and "dpo" roles require
a TOTP second factor in production. The seed sets `requires_totp=False` on
these two roles so that every demo account logs in with the password alone;
a real installation keeps the default. `opendui check --deploy` refuses a
database holding active @demo.opendui.fr accounts.

Audit: the seed writes one SYSTEM event ("demo.seed") with the counts. Persons
are not audited one by one: they are generated data, created by no
professional, and the trail is about who did what to a real person's record.
One event per generated row would also multiply the seed time by the cost of
the hash chain (one locked, sequential insert per event).

Speed: rows are built in memory and written in batches of BATCH_SIZE
(core.bulk.bulk_insert: COPY on PostgreSQL, bulk_create elsewhere) inside a single
transaction (Person.save() is bypassed, so search keys are computed by
`refresh_search_keys()` before the insert); the only
slow primitive, password hashing, runs once for all demo accounts. The loaded
tables are analysed at the end so the query planner knows their size.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from opendui.accounts.models import Assignment, Role, User
from opendui.accounts.professions import ActivityRole, Profession
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.bulk import bulk_insert
from opendui.core.identifiers import luhn_check_digit
from opendui.interop.psc.cards import DEMO_NATIONAL_IDS
from opendui.organisations.models import (
    Facility,
    FinessCategory,
    LegalStatus,
    ManagingOrganisation,
    Unit,
)
from opendui.persons.models import Person, Sex
from opendui.persons.traits import normalise_name
from opendui.stays.models import Stay, StayMode
from opendui.stays.modes import mode_weights
from opendui.stays.services import default_mode, facility_capacities

from . import names
from .activity import ACTIVITY_PERSONS, seed_activity

DEMO_PASSWORD = "Demo-OpenDUI-2026!"  # noqa: S105 - public on purpose, demo only
DEMO_DOMAIN = "demo.opendui.fr"
ORGANISATION_NAME = "Association Les Tilleuls"
MSSANTE_DOMAIN = "asso-les-tilleuls.mssante.fr"
# Roles that require a second factor by default; the demo lets them in with the password.
PASSWORD_ONLY_ROLES = ("admin", "dpo")
BATCH_SIZE = 5000
TEMPORARY_STAY_DAYS = 90  # accueil temporaire: 90 days a year at most

Progress = Callable[[str, int, int], None]


class SeedError(Exception):
    """The demo data cannot be created (French message for the command line)."""


# --------------------------------------------------------------------------- categories

FACILITY_ROLES = (
    "accueil",
    "educateur",
    "aide-soignant",
    "infirmier",
    "medecin",
    "psychologue",
    "chef-de-service",
    "directeur",
)


@dataclass(frozen=True)
class CategoryProfile:
    """What a facility of one FINESS category looks like in the demo."""

    code: str
    names: tuple[str, ...]
    ages: tuple[int, int]  # age range of the persons accompanied
    age_mode: int  # most frequent age
    female_share: float
    capacities: dict[str, tuple[int, int]]  # Facility capacity field -> range
    units: tuple[str, ...]  # empty: a home service, no units
    max_stay_years: int
    entry_age: int  # youngest age at admission
    predecessors: tuple[str, ...]  # categories a person typically comes from
    staff: tuple[int, ...]  # generated professionals per FACILITY_ROLES entry
    educator_professions: tuple[Profession, ...]


P = Profession
PROFILES: dict[str, CategoryProfile] = {
    p.code: p
    for p in [
        CategoryProfile(
            "500",
            ("EHPAD Les Tilleuls", "EHPAD La Roseraie", "EHPAD Le Clos Saint-Martin"),
            (75, 100),
            88,
            0.74,
            {
                "capacity_permanent": (60, 110),
                "capacity_temporary": (2, 6),
                "capacity_day_care": (0, 12),
            },
            ("Les Glycines", "Les Lilas", "Unité protégée Les Mimosas", "Les Hortensias"),
            7,
            70,
            ("354", "460", "500"),
            (2, 1, 8, 4, 1, 1, 1, 1),
            (P.AES, P.AMP),
        ),
        CategoryProfile(
            "183",
            ("IME Les Sources", "IME Jean-Itard", "IME Le Petit Prince"),
            (6, 20),
            13,
            0.38,
            {"capacity_permanent": (12, 24), "capacity_day_care": (30, 60)},
            ("Groupe des Petits", "Groupe des Moyens", "IMPro", "Section autisme"),
            10,
            4,
            ("182", "177"),
            (2, 8, 1, 1, 1, 2, 2, 1),
            (P.EDUCATEUR_SPECIALISE, P.MONITEUR_EDUCATEUR, P.EJE),
        ),
        CategoryProfile(
            "255",
            ("MAS Les Genêts", "MAS La Clairière"),
            (20, 65),
            38,
            0.45,
            {
                "capacity_permanent": (30, 50),
                "capacity_temporary": (1, 3),
                "capacity_day_care": (0, 6),
            },
            ("Unité Arc-en-ciel", "Unité Les Pins", "Unité Les Saules", "Unité Le Verger"),
            25,
            18,
            ("183", "448"),
            (1, 4, 8, 3, 1, 1, 1, 1),
            (P.AMP, P.AES, P.MONITEUR_EDUCATEUR),
        ),
        CategoryProfile(
            "246",
            ("ESAT Les Ateliers du Cher", "ESAT La Varenne"),
            (20, 60),
            38,
            0.40,
            {"capacity_service": (50, 120)},
            (
                "Atelier Espaces verts",
                "Atelier Blanchisserie",
                "Atelier Conditionnement",
                "Atelier Restauration",
            ),
            30,
            18,
            ("183",),
            (1, 6, 1, 1, 1, 1, 2, 1),
            (P.EDUCATEUR_TECHNIQUE, P.MONITEUR_EDUCATEUR),
        ),
        CategoryProfile(
            "354",
            ("SSIAD du Val de Loire", "SSIAD du Chinonais"),
            (60, 95),
            82,
            0.62,
            {"capacity_service": (30, 90)},
            (),
            4,
            60,
            ("460",),
            (1, 1, 8, 2, 1, 1, 1, 1),
            (P.AES,),
        ),
        CategoryProfile(
            "448",
            ("EAM Les Cèdres", "EAM Le Hameau"),
            (20, 65),
            40,
            0.47,
            {"capacity_permanent": (25, 45), "capacity_day_care": (0, 8)},
            ("Maisonnée Les Cèdres", "Maisonnée Les Érables", "Maisonnée Les Bouleaux"),
            25,
            18,
            ("183", "255", "246"),
            (1, 5, 6, 3, 1, 1, 1, 1),
            (P.AES, P.AMP, P.EDUCATEUR_SPECIALISE),
        ),
        CategoryProfile(
            "182",
            ("SESSAD Les Petits Pas", "SESSAD L'Envol"),
            (3, 20),
            10,
            0.35,
            {"capacity_service": (25, 60)},
            (),
            6,
            2,
            ("183",),
            (1, 4, 1, 1, 1, 2, 1, 1),
            (P.EDUCATEUR_SPECIALISE, P.EJE),
        ),
        CategoryProfile(
            "177",
            ("MECS La Maison Bleue", "MECS Les Chênes"),
            (3, 18),
            12,
            0.45,
            {"capacity_permanent": (20, 45)},
            ("Groupe Les Colibris", "Groupe Les Écureuils", "Groupe Adolescents", "Studios"),
            6,
            2,
            ("177", "182"),
            (1, 8, 1, 1, 1, 1, 2, 1),
            (P.EDUCATEUR_SPECIALISE, P.MONITEUR_EDUCATEUR, P.EJE),
        ),
        CategoryProfile(
            "214",
            ("CHRS L'Escale", "CHRS Le Relais"),
            (18, 70),
            35,
            0.40,
            {"capacity_permanent": (30, 80), "capacity_temporary": (5, 15)},
            ("Hébergement collectif", "Hébergement diffus", "Accueil d'urgence"),
            2,
            18,
            ("214", "177"),
            (2, 6, 1, 1, 1, 1, 1, 1),
            (P.EDUCATEUR_SPECIALISE, P.ASSISTANT_SERVICE_SOCIAL, P.CESF),
        ),
        CategoryProfile(
            "460",
            ("Service d'aide à domicile Les Tilleuls", "SAAD du Lochois"),
            (60, 95),
            83,
            0.68,
            {"capacity_service": (80, 200)},
            (),
            8,
            60,
            ("354",),
            (2, 4, 6, 1, 1, 1, 1, 1),
            (P.AUXILIAIRE_VIE_SOCIALE, P.AES, P.TISF),
        ),
    ]
}
CATEGORY_CYCLE = ("500", "183", "255", "246", "354", "448", "182", "177", "214", "460")

ROLE_PROFESSIONS: dict[str, tuple[Profession, str]] = {
    "accueil": (P.OTHER, ActivityRole.SUPPORT),
    "aide-soignant": (P.AIDE_SOIGNANT, ""),
    "infirmier": (P.INFIRMIER, ""),
    "medecin": (P.MEDECIN, ""),
    "psychologue": (P.PSYCHOLOGUE, ""),
    "chef-de-service": (P.OTHER, ActivityRole.MANAGEMENT),
    "directeur": (P.OTHER, ActivityRole.MANAGEMENT),
    "identitovigilance": (P.OTHER, ActivityRole.SUPPORT),
    "admin": (P.OTHER, ActivityRole.SUPPORT),
    "dpo": (P.OTHER, ActivityRole.SUPPORT),
}


def facility_category(position: int) -> str:
    """FINESS category code of the facility at `position` (1-based)."""
    return CATEGORY_CYCLE[(position - 1) % len(CATEGORY_CYCLE)]


def facility_name(position: int) -> str:
    """Name of the facility at `position` (1-based): fixed, whatever the seed."""
    profile = PROFILES[facility_category(position)]
    cycle = (position - 1) // len(CATEGORY_CYCLE)
    name = profile.names[cycle % len(profile.names)]
    if cycle >= len(profile.names):
        name = f"{name} {cycle // len(profile.names) + 1}"
    return name


def facility_city(position: int) -> tuple[str, str]:
    return names.CITIES[(position - 1) % len(names.CITIES)]


# --------------------------------------------------------------------------- demo accounts


@dataclass(frozen=True)
class DemoAccount:
    """A demo login. Facilities are positions (1-based) in the seeded organisation;
    with fewer facilities the positions wrap around (position 5 of 3 is the 2nd)."""

    role_code: str
    first_name: str
    last_name: str
    facilities: tuple[int, ...]  # empty: the whole organisation
    description: str  # French: role and scope, for the README and `opendui demo`
    first_unit: bool = False  # assigned to the facility's first unit only

    @property
    def email(self) -> str:
        return f"{self.role_code}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class NamedDemoAccount(DemoAccount):
    """A demo login whose address is not its role's code (a second account of a role)."""

    login: str = ""

    @property
    def email(self) -> str:
        return f"{self.login}@{DEMO_DOMAIN}"


def _of(position: int, preposition: str = "de") -> str:
    """'de l'EHPAD Les Tilleuls', 'du SSIAD du Val de Loire', 'à la MAS Les Genêts'…"""
    name = facility_name(position)
    if name.startswith(("MAS", "MECS")):
        article = "la "
    elif name[0] in "AEIOUÉ":
        article = "l'"
    else:
        article = "le "
    contracted = {("de", "le "): "du ", ("à", "le "): "au "}
    return contracted.get((preposition, article), f"{preposition} {article}") + name


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        "accueil",
        "Sophie",
        "Marchand",
        (1,),
        f"Accueil / secrétariat {_of(1)} (admissions, identité)",
    ),
    DemoAccount(
        "educateur",
        "Julien",
        "Roussel",
        (2,),
        f"Éducateur spécialisé {_of(2, 'à')} : ne voit que les jeunes accompagnés par l'IME",
    ),
    DemoAccount(
        "aide-soignant",
        "Nadia",
        "Benali",
        (1,),
        f"Aide-soignante de l'unité « {PROFILES['500'].units[0]} » {_of(1)}",
        first_unit=True,
    ),
    DemoAccount("infirmier", "Claire", "Fontaine", (1,), f"Infirmière {_of(1)}"),
    DemoAccount(
        "medecin",
        "Philippe",
        "Moreau",
        (1, 3),
        f"Médecin coordonnateur {_of(1)} et {_of(3)}",
    ),
    DemoAccount(
        "psychologue",
        "Hélène",
        "Durieux",
        (2, 3),
        f"Psychologue {_of(2)} et {_of(3)}",
    ),
    DemoAccount(
        "chef-de-service",
        "Karim",
        "Haddad",
        (2,),
        f"Chef de service {_of(2)}",
    ),
    DemoAccount(
        "directeur",
        "Anne-Marie",
        "Leroy",
        (1, 5),
        f"Directrice {_of(1)} et {_of(5)} ; approuve les habilitations de ces deux établissements",
    ),
    NamedDemoAccount(
        "directeur",
        "Bernard",
        "Lemaire",
        (),
        "Directeur général – tout l'organisme : indicateurs, projet ESMS Numérique ; "
        "approuve les habilitations de tout l'organisme, du journal d'audit, "
        "d'administration et les élargissements de rôles",
        login="direction",
    ),
    DemoAccount(
        "identitovigilance",
        "Mathilde",
        "Perrin",
        (),
        "Référente identitovigilance de tout l'organisme : examine et valide les fusions "
        "de doublons",
    ),
    DemoAccount(
        "admin",
        "Thomas",
        "Giraud",
        (),
        "Administrateur de l'organisme (établissements, comptes, rôles), sans accès aux "
        "dossiers ; les accès aux dossiers qu'il attribue attendent l'approbation de la "
        "direction ; mot de passe seul en démonstration (second facteur exigé en production)",
    ),
    DemoAccount(
        "dpo",
        "Isabelle",
        "Vidal",
        (),
        "Déléguée à la protection des données de tout l'organisme (journal d'audit) ; "
        "mot de passe seul en démonstration (second facteur exigé en production)",
    ),
]


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class SeedSummary:
    organisations: int
    facilities: int
    units: int
    demo_accounts: int
    professionals: int
    assignments: int
    persons: int
    stays: int
    current_stays: int
    earlier_stays: int
    discharged: int
    activity: dict[str, int] = field(default_factory=dict)  # rows per accompaniment module
    seconds: float = field(default=0.0, compare=False)

    def counts(self) -> dict[str, int]:
        values = asdict(self)
        values.pop("seconds")
        values.update(values.pop("activity"))
        return values


# --------------------------------------------------------------------------- helpers


class _Picker:
    """Weighted choice in O(log n) with one random number (faster than random.choices)."""

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


_SURNAMES = _Picker(names.LAST_NAMES, [1 / (rank + 20) for rank in range(len(names.LAST_NAMES))])


def _first_names(sex: str, birth_year: int) -> list[str]:
    if birth_year < 1950:
        return names.FEMALE_FIRST_NAMES_OLD if sex == Sex.FEMALE else names.MALE_FIRST_NAMES_OLD
    if birth_year < 1985:
        return (
            names.FEMALE_FIRST_NAMES_MIDDLE if sex == Sex.FEMALE else names.MALE_FIRST_NAMES_MIDDLE
        )
    return names.FEMALE_FIRST_NAMES_YOUNG if sex == Sex.FEMALE else names.MALE_FIRST_NAMES_YOUNG


@cache
def _ins_form(name: str) -> str:
    """A demo name as identity traits are stored (persons.traits: INS form, "Lefèvre" →
    "LEFEVRE"); cached, the lists are short and the seed writes thousands of persons."""
    return normalise_name(name)


def _with_key(body: str) -> str:
    return body + luhn_check_digit(body)


def _years(years: float) -> int:
    return int(years * 365.2425)


class _Rpps:
    """Unique RPPS numbers: '10' + 8 digits + Luhn key."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        while True:
            body = f"10{self.rng.randrange(10**8):08d}"
            if body not in self.used:
                self.used.add(body)
                return _with_key(body)


def _is_health(profession: str) -> bool:
    return profession.startswith("G15:")


# --------------------------------------------------------------------------- the seed


@dataclass
class _FacilityPlan:
    position: int
    facility: Facility
    profile: CategoryProfile
    units: list[Unit]
    modes: _Picker | None = None

    def mode(self, rng: random.Random) -> str:
        """A stay's mode, in proportion to the facility's places of each mode."""
        if self.modes is None:
            weights = mode_weights(facility_capacities(self.facility))
            fallback = default_mode(self.facility)
            self.modes = _Picker(list(weights) or [fallback], list(weights.values()) or [1])
        return self.modes(rng)


def seed_demo(
    facilities: int,
    persons: int,
    seed: int,
    reference_date: dt.date | None = None,
    progress: Progress | None = None,
    *,
    activity: bool = True,
    activity_persons: int = ACTIVITY_PERSONS,
) -> SeedSummary:
    """Create the demo organisation, accounts and `persons` persons; one transaction.

    With `activity`, the accompaniment modules get their demo data too (PPs,
    evaluations, agenda, transmissions, incidents: demo.activity), for at most
    `activity_persons` persons (0: all; beyond, an evenly spread sample); the person-list
    benchmarks leave it out.

    Raises SeedError (French message) when the arguments are invalid or the demo
    organisation already exists.
    """
    if facilities < 1:
        raise SeedError("Il faut au moins un établissement (--facilities 1).")
    if persons < 0:
        raise SeedError("Le nombre de personnes ne peut pas être négatif.")
    started = time.perf_counter()
    today = reference_date or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        organisation = _organisation()
        plans = _facilities(rng, organisation, facilities)
        demo_users, professionals, assignments = _accounts(rng, organisation, plans, today)
        counts = _persons(rng, organisation, plans, persons, today, progress)
        if activity:
            counts["activity"] = seed_activity(rng, organisation, today, persons=activity_persons)
            # The DMP history is made by the real client once the worker runs (demo/dmp.py).
            from .dmp import seed_dmp

            counts["activity"]["dmp_projets"] = seed_dmp(organisation)
        summary = SeedSummary(
            organisations=1,
            facilities=len(plans),
            units=sum(len(plan.units) for plan in plans),
            demo_accounts=demo_users,
            professionals=professionals,
            assignments=assignments,
            **counts,
        )
        record(
            Actor.system("opendui seed"),
            EventKind.SYSTEM,
            "demo.seed",
            organisation_id=organisation.pk,
            details={
                **summary.counts(),
                "seed": seed,
                "reference_date": today.isoformat(),
                "password_only_roles": list(PASSWORD_ONLY_ROLES),
            },
        )
    _analyze([Person, Stay, User, Assignment, Facility, Unit], everything=activity)
    return replace(summary, seconds=round(time.perf_counter() - started, 3))


def _analyze(models: list[type[Model]], everything: bool = False) -> None:
    """Refresh the planner statistics of the tables just loaded.

    Without them SQLite (which never analyses by itself) lists 100,000 persons
    through the organisation index plus a sort (about 25 ms) instead of walking
    the name index (under 1 ms); PostgreSQL would get there with autovacuum,
    a minute later.
    """
    with connection.cursor() as cursor:
        if everything:  # the modules' tables too
            cursor.execute("ANALYZE")
            return
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _organisation() -> ManagingOrganisation:
    finess_ej = _with_key("37000100")
    if ManagingOrganisation.objects.filter(finess_ej=finess_ej).exists():
        raise SeedError(
            f"L'organisme de démonstration « {ORGANISATION_NAME} » existe déjà "
            "dans cette base : utilisez une base vide (ou --if-empty)."
        )
    if User.objects.filter(email__endswith="@" + DEMO_DOMAIN).exists():
        raise SeedError(
            f"Des comptes @{DEMO_DOMAIN} existent déjà dans cette base : utilisez une base vide."
        )
    organisation = ManagingOrganisation(
        name=ORGANISATION_NAME,
        finess_ej=finess_ej,
        siret=_siret(1),
        legal_status=LegalStatus.ASSOCIATION,
        address="12 rue des Tilleuls",
        postal_code="37000",
        city="Tours",
    )
    organisation.full_clean()
    organisation.save()
    return organisation


_SIREN = _with_key("77535201")  # the association's SIREN (9 digits, Luhn key)


def _siret(establishment: int) -> str:
    """SIRET of the association's `establishment`-th establishment (1: head office)."""
    return _with_key(f"{_SIREN}{establishment:04d}")


def _facilities(
    rng: random.Random, organisation: ManagingOrganisation, count: int
) -> list[_FacilityPlan]:
    categories = {c.code: c for c in FinessCategory.objects.filter(code__in=CATEGORY_CYCLE)}
    missing = sorted(set(CATEGORY_CYCLE) - set(categories))
    if missing:
        raise SeedError(f"Catégories FINESS absentes (migrations ?) : {', '.join(missing)}")
    plans = []
    for position in range(1, count + 1):
        profile = PROFILES[facility_category(position)]
        category = categories[profile.code]
        name = facility_name(position)
        city, postal_code = facility_city(position)
        facility = Facility(
            organisation=organisation,
            name=name,
            finess_et=_with_key(f"{postal_code[:2]}{200 + position:06d}"),
            siret=_siret(position + 1),
            category=category,
            couloir=category.couloir,
            address=f"{rng.randint(1, 120)} {rng.choice(names.STREETS)}",
            postal_code=postal_code,
            city=city,
            mssante_address=f"secretariat.{slugify(name)}@{MSSANTE_DOMAIN}",
            **{
                capacity: rng.randint(low, high)
                for capacity, (low, high) in profile.capacities.items()
            },
        )
        facility.full_clean()
        plans.append(_FacilityPlan(position, facility, profile, []))
    Facility.objects.bulk_create([plan.facility for plan in plans])
    units = []
    for plan in plans:
        if plan.profile.units:
            how_many = rng.randint(2, min(4, len(plan.profile.units)))
            plan.units = [
                Unit(facility=plan.facility, name=n) for n in plan.profile.units[:how_many]
            ]
            units.extend(plan.units)
    Unit.objects.bulk_create(units)
    return plans


def _accounts(
    rng: random.Random,
    organisation: ManagingOrganisation,
    plans: list[_FacilityPlan],
    today: dt.date,
) -> tuple[int, int, int]:
    """Demo accounts and generated professionals; returns (demo, generated, assignments)."""
    roles = {role.code: role for role in Role.objects.all()}
    needed = set(FACILITY_ROLES) | {account.role_code for account in DEMO_ACCOUNTS}
    missing = sorted(needed - set(roles))
    if missing:
        raise SeedError(f"Rôles par défaut absents (migrations ?) : {', '.join(missing)}")
    for code in PASSWORD_ONLY_ROLES:
        role = roles[code]
        if role.requires_totp:
            role.requires_totp = False
            role.version += 1
            role.save(update_fields=["requires_totp", "version", "updated_at"])

    rpps = _Rpps(rng)
    # The Pro Santé Connect simulator's test cards carry these: never drawn at random.
    rpps.used.update(number[:-1] for _field, number in DEMO_NATIONAL_IDS.values())
    users: list[User] = []
    assignments: list[Assignment] = []
    password = make_password(DEMO_PASSWORD)  # hashed once: the slow part of an account

    def plan_at(position: int) -> _FacilityPlan:
        return plans[(position - 1) % len(plans)]

    for account in DEMO_ACCOUNTS:
        user = _user(account.email, account.first_name, account.last_name, account.role_code, rpps)
        if account.email == f"{account.role_code}@{DEMO_DOMAIN}":
            _set_national_id(user, account.role_code)
        user.password = password
        users.append(user)
        scopes: list[tuple[Facility | None, Unit | None]] = []
        for position in account.facilities or (None,):
            if position is None:
                scope = (None, None)
            else:
                plan = plan_at(position)
                unit = plan.units[0] if account.first_unit and plan.units else None
                scope = (plan.facility, unit)
            if scope not in scopes:
                scopes.append(scope)
        for facility, unit in scopes:
            assignments.append(
                Assignment(
                    user=user,
                    role=roles[account.role_code],
                    organisation=organisation,
                    facility=facility,
                    unit=unit,
                    start_date=dt.date(today.year - 3, 1, 1),
                )
            )
    demo_count = len(users)

    serial = dict.fromkeys(FACILITY_ROLES, 0)
    for plan in plans:
        for role_code, how_many in zip(FACILITY_ROLES, plan.profile.staff, strict=True):
            for index in range(how_many):
                serial[role_code] += 1
                sex = Sex.FEMALE if rng.random() < 0.7 else Sex.MALE
                first = rng.choice(_first_names(sex, 1960 + rng.randint(0, 40)))
                user = _user(
                    f"{role_code}.{serial[role_code]}@{DEMO_DOMAIN}",
                    first,
                    _SURNAMES(rng),
                    role_code,
                    rpps,
                    educator=rng.choice(plan.profile.educator_professions),
                )
                user.set_unusable_password()
                users.append(user)
                # Care and educational teams work in a unit when the facility has some.
                unit = None
                if role_code in {"educateur", "aide-soignant"} and plan.units:
                    unit = plan.units[index % len(plan.units)]
                assignments.append(
                    Assignment(
                        user=user,
                        role=roles[role_code],
                        organisation=organisation,
                        facility=plan.facility,
                        unit=unit,
                        start_date=today - dt.timedelta(days=rng.randint(30, _years(15))),
                    )
                )
    User.objects.bulk_create(users, batch_size=BATCH_SIZE)
    Assignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
    return demo_count, len(users) - demo_count, len(assignments)


def _set_national_id(user: User, role_code: str) -> None:
    """The demo accounts whose card is in the PSC simulator get the card's identifier."""
    if role_code in DEMO_NATIONAL_IDS:
        field, number = DEMO_NATIONAL_IDS[role_code]
        user.rpps = user.rpps_plus = user.adeli = ""
        setattr(user, field, number)


def _user(
    email: str,
    first_name: str,
    last_name: str,
    role_code: str,
    rpps: _Rpps,
    educator: Profession = P.EDUCATEUR_SPECIALISE,
) -> User:
    if role_code == "educateur":
        profession, activity = educator, ActivityRole.SOCIAL_LIFE
    else:
        profession, activity = ROLE_PROFESSIONS[role_code]
    return User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        profession=profession,
        activity_role=activity,
        rpps=rpps() if _is_health(profession) else "",
    )


#: Modes where the person sleeps in the facility: the current stay gets a room number.
RESIDENTIAL_MODES = frozenset({StayMode.PERMANENT, StayMode.TEMPORARY, StayMode.BOARDING})


def _room(rooms: dict[int, int], facility: Facility, mode: str) -> str:
    """The next room of `facility` for a resident (« 101 », « 102 »… by floor of 40, then
    « 201 »…), none for day, home or other modes. Counted, not drawn: the random stream,
    hence every other demo value, stays what it was."""
    if mode not in RESIDENTIAL_MODES:
        return ""
    given = rooms.get(facility.pk, 0)
    rooms[facility.pk] = given + 1
    return f"{100 * (1 + given // 40) + 1 + given % 40}"


def _persons(
    rng: random.Random,
    organisation: ManagingOrganisation,
    plans: list[_FacilityPlan],
    total: int,
    today: dt.date,
    progress: Progress | None,
) -> dict[str, int]:
    """Persons spread over the facilities in proportion to their capacity, with stays."""
    # Facility of each person: capacity-proportional counts (largest remainder), shuffled.
    capacities = [max(plan.facility.total_capacity, 1) for plan in plans]
    shares = [total * c / sum(capacities) for c in capacities]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(plans)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    placement = [i for i, n in enumerate(counts) for _ in range(n)]
    rng.shuffle(placement)

    others: dict[tuple[int, int], list[_FacilityPlan]] = {}

    def previous_facility(index: int, age: int) -> _FacilityPlan | None:
        """Another facility that could have accompanied a person of `age` before."""
        key = (index, age)
        if key not in others:
            fitting = [
                plan
                for i, plan in enumerate(plans)
                if i != index and plan.profile.ages[0] - 2 <= age <= plan.profile.ages[1] + 2
            ]
            predecessors = plans[index].profile.predecessors
            preferred = [plan for plan in fitting if plan.profile.code in predecessors]
            others[key] = preferred or fitting
        candidates = others[key]
        return rng.choice(candidates) if candidates else None

    stats = {"persons": 0, "stays": 0, "current_stays": 0, "earlier_stays": 0, "discharged": 0}
    rooms: dict[int, int] = {}  # rooms given so far per facility (_room)
    earlier_debt = 0  # earlier stays owed to persons for whom no other facility fitted
    if progress:
        progress("Personnes", 0, total)
    for batch_start in range(0, total, BATCH_SIZE):
        batch_persons: list[Person] = []
        batch_stays: list[list[Stay]] = []
        for number in range(batch_start + 1, min(batch_start + BATCH_SIZE, total) + 1):
            index = placement[number - 1]
            plan = plans[index]
            profile = plan.profile
            low, high = profile.ages
            age = min(high, int(rng.triangular(low, high + 1, profile.age_mode)))
            sex = Sex.FEMALE if rng.random() < profile.female_share else Sex.MALE
            birth_date = today - dt.timedelta(days=_years(age) + rng.randint(1, 364))
            birth_name = _ins_form(_SURNAMES(rng))
            used_name = ""
            if sex == Sex.FEMALE and age >= 45 and rng.random() < 0.30:
                used_name = _ins_form(_SURNAMES(rng))
                if used_name == birth_name:
                    used_name = ""
            first_name = _ins_form(rng.choice(_first_names(sex, birth_date.year)))
            person = Person(
                organisation=organisation,
                local_id=f"U{number:07d}",
                birth_name=birth_name,
                first_name=first_name,
                birth_first_names=first_name,
                used_name=used_name,
                birth_date=birth_date,
                sex=sex,
            )
            person.refresh_search_keys()
            batch_persons.append(person)

            # The stay in their facility: current, or ended (discharged) for ~5 %; its mode
            # drawn in proportion to the facility's places (a temporary stay is short).
            mode = plan.mode(rng)
            earliest = birth_date + dt.timedelta(days=_years(profile.entry_age))
            longest = max(0, min(_years(profile.max_stay_years), (today - earliest).days))
            if mode == StayMode.TEMPORARY:
                longest = min(longest, TEMPORARY_STAY_DAYS)
            if rng.random() < 0.05:
                end = today - dt.timedelta(days=rng.randint(1, 730))
                shortest = min(30, longest)
                start = max(
                    end - dt.timedelta(days=rng.randint(shortest, max(shortest, longest))), earliest
                )
                start = min(start, end)
                stats["discharged"] += 1
            else:
                start, end = today - dt.timedelta(days=rng.randint(0, longest)), None
                stats["current_stays"] += 1
            stays = [
                Stay(
                    facility=plan.facility,
                    unit=rng.choice(plan.units) if plan.units else None,
                    room=_room(rooms, plan.facility, mode) if end is None else "",
                    start_date=start,
                    end_date=end,
                    mode=mode,
                )
            ]
            # ~15 % came from another facility of the organisation.
            if rng.random() < 0.15:
                earlier_debt += 1
            if earlier_debt:
                earlier_end = start - dt.timedelta(days=rng.randint(1, 365))
                earlier_start = max(
                    earlier_end - dt.timedelta(days=rng.randint(90, 1800)),
                    birth_date + dt.timedelta(days=365),
                )
                age_then = (earlier_end - birth_date).days * 10_000 // 3_652_425
                previous = previous_facility(index, age_then)
                if previous is not None and earlier_start <= earlier_end:
                    earlier_mode = previous.mode(rng)
                    if earlier_mode == StayMode.TEMPORARY:
                        earlier_start = max(
                            earlier_start, earlier_end - dt.timedelta(days=TEMPORARY_STAY_DAYS)
                        )
                    stays.append(
                        Stay(
                            facility=previous.facility,
                            unit=rng.choice(previous.units) if previous.units else None,
                            start_date=earlier_start,
                            end_date=earlier_end,
                            mode=earlier_mode,
                        )
                    )
                    earlier_debt -= 1
                    stats["earlier_stays"] += 1
            batch_stays.append(stays)

        bulk_insert(Person, batch_persons)
        all_stays = []
        for person, stays in zip(batch_persons, batch_stays, strict=True):
            for stay in stays:
                stay.person = person
                all_stays.append(stay)
        bulk_insert(Stay, all_stays)
        stats["persons"] += len(batch_persons)
        stats["stays"] += len(all_stays)
        if progress:
            progress("Personnes", stats["persons"], total)
    return stats
