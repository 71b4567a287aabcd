"""`opendui seed`: fill an empty database with deterministic demo data (see opendui.demo.seed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"Date de référence invalide « {value} » (AAAA-MM-JJ).") from error


class ProgressBar:
    """'\\rPersonnes [#####-----] 45 % (45000/100000)', redrawn when the percentage changes."""

    def __init__(self, write: Callable[[str], object], width: int = 30) -> None:
        self.write = write
        self.width = width
        self.last: tuple[str, int] | None = None

    def __call__(self, label: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if (label, percent) == self.last and done != total:
            return
        self.last = (label, percent)
        filled = self.width * percent // 100
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"\r{label} [{bar}] {percent:3d} % ({done}/{total})"
        self.write(line + "\n" if done >= total else line)


class Command(BaseCommand):
    help = (
        "Crée des données de démonstration réalistes et reproductibles : un organisme "
        "gestionnaire, ses établissements, les comptes de démonstration et des personnes "
        "accompagnées."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        from opendui.demo.activity import ACTIVITY_PERSONS

        parser.add_argument(
            "--facilities", type=int, default=5, help="Nombre d'établissements (défaut : 5)."
        )
        parser.add_argument(
            "--persons", type=int, default=300, help="Nombre de personnes (défaut : 300)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Graine : même graine, mêmes données (défaut : 1)."
        )
        parser.add_argument(
            "--reference-date",
            type=_date,
            default=None,
            help="Date « aujourd'hui » des données, AAAA-MM-JJ (défaut : la date du jour).",
        )
        parser.add_argument(
            "--activity-persons",
            type=int,
            default=None,
            help=(
                "Personnes dotées d'une activité de démonstration (projets, évaluations, "
                "agenda, transmissions…) ; au-delà, un échantillon réparti. 0 : toutes "
                f"(défaut : {ACTIVITY_PERSONS})."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien faire si la base contient déjà un organisme gestionnaire.",
        )

    def _write_progress(self, text: str) -> None:
        """On stderr, uncoloured and without the newline OutputWrapper adds."""
        self.stderr.write(text, style_func=str, ending="")
        self.stderr.flush()

    def handle(self, *args, **options) -> None:
        if options["activity_persons"] is not None and options["activity_persons"] < 0:
            raise CommandError(
                "Le nombre de personnes dotées d'une activité ne peut pas être négatif."
            )
        from opendui.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, SeedError, seed_demo
        from opendui.organisations.models import ManagingOrganisation

        if options["if_empty"] and ManagingOrganisation.objects.exists():
            self.stdout.write(
                "La base contient déjà un organisme gestionnaire : aucune donnée créée (--if-empty)."
            )
            return
        show_progress = options["verbosity"] >= 1
        try:
            summary = seed_demo(
                options["facilities"],
                options["persons"],
                options["seed"],
                reference_date=options["reference_date"],
                progress=ProgressBar(self._write_progress) if show_progress else None,
                **(
                    {"activity_persons": options["activity_persons"]}
                    if options["activity_persons"] is not None
                    else {}
                ),
            )
        except SeedError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Données de démonstration créées en {summary.seconds:.1f} s : "
                f"{summary.facilities} établissements, {summary.units} unités, "
                f"{summary.demo_accounts + summary.professionals} professionnels, "
                f"{summary.persons} personnes, {summary.stays} séjours "
                f"({summary.current_stays} en cours, {summary.earlier_stays} antérieurs, "
                f"{summary.discharged} sorties)."
            )
        )
        if summary.activity:
            labels = {
                "representants_legaux": "représentants légaux de mineurs",
                "projets_personnalises": "projets personnalisés",
                "evaluations": "évaluations",
                "transmissions": "transmissions",
                "evenements_agenda": "rendez-vous et activités",
                "evenements_indesirables": "événements indésirables",
                "annuaire": "entrées et liens de l'annuaire",
                "dossiers_administratifs": "éléments de dossiers administratifs",
                "documents": "documents enregistrés",
            }
            self.stdout.write(
                "Activité : "
                + ", ".join(f"{n} {labels.get(k, k)}" for k, n in summary.activity.items())
                + "."
            )
        if options["verbosity"] >= 1:
            self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
            for account in DEMO_ACCOUNTS:
                self.stdout.write(f"  {account.email:<34} {account.description}")
