"""`opendui demo`: migrate, load the demo data when the database is empty, and serve."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Prépare et lance la démonstration (base SQLite, données et comptes de démonstration)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Adresse d'écoute.")
        parser.add_argument(
            "--no-server", action="store_true", help="Préparer la base sans lancer le serveur."
        )
        parser.add_argument("--facilities", type=int, default=5)
        parser.add_argument("--persons", type=int, default=300)
        parser.add_argument(
            "--insi-port",
            type=int,
            default=8089,
            help="Port du simulateur INSi sur 127.0.0.1 (0 : port libre quelconque).",
        )
        parser.add_argument(
            "--annuaire-port",
            type=int,
            default=8090,
            help="Port du simulateur de l'Annuaire Santé sur 127.0.0.1 (0 : port libre quelconque).",
        )
        parser.add_argument(
            "--psc-port",
            type=int,
            default=8091,
            help="Port du simulateur Pro Santé Connect sur 127.0.0.1 (0 : port libre quelconque).",
        )
        parser.add_argument(
            "--dmp-port",
            type=int,
            default=8092,
            help="Port du simulateur du DMP sur 127.0.0.1 (0 : port libre quelconque).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Ne pas exécuter les tâches de fond dans ce processus (lancer `opendui worker`).",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEMO:
            raise CommandError(
                "La démonstration crée des comptes au mot de passe public : "
                "elle exige OPENDUI_DEMO=1 (ce que fait `make demo`)."
            )
        from opendui.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
        from opendui.organisations.models import ManagingOrganisation

        call_command("migrate", interactive=False, verbosity=0)
        from opendui.audit.keys import ensure_demo_key

        created = ensure_demo_key()
        if created is not None:
            self.stdout.write(f"Clé du journal d'audit (démonstration) créée : {created}")
        if ManagingOrganisation.objects.exists():
            self.stdout.write("Base déjà initialisée : données conservées.")
        else:
            self.stdout.write("Chargement des données de démonstration…")
            seed_demo(options["facilities"], options["persons"], seed=1, progress=_progress)
            sys.stderr.write("\n")
        self.stdout.write(f"\nComptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.email:<34} {account.description}")
        self._show_mail_folder()
        if options["no_server"]:
            return
        self._start_insi_simulator(options["insi_port"])
        self._start_annuaire_simulator(options["annuaire_port"])
        self._start_psc_simulator(options["psc_port"])
        self._start_dmp_simulator(options["dmp_port"])
        if not options["no_worker"]:
            self._start_worker()
        self.stdout.write(f"\nOpenDUI : http://{options['addr']}/  (Ctrl+C pour arrêter)\n")
        call_command("runserver", options["addr"], use_reloader=False, use_threading=True)

    def _show_mail_folder(self) -> None:
        """Without OPENDUI_EMAIL_URL, mails (password links, lock notices) are files."""
        mailer = settings.MAILERS["default"]
        options = mailer.get("OPTIONS", {})
        if mailer["BACKEND"].endswith("filebased.EmailBackend"):
            from pathlib import Path

            Path(options["file_path"]).mkdir(parents=True, exist_ok=True)
            self.stdout.write(
                "\nE-mails envoyés (mot de passe oublié, alertes) : fichiers dans "
                f"{options['file_path']}"
            )
        else:
            self.stdout.write(f"\nE-mails envoyés par le serveur {options.get('host', '')}")

    def _start_insi_simulator(self, port: int) -> None:
        """Serve the INSi simulator on loopback in a daemon thread of this process
        (runserver runs without the reloader) and point INSI_ENDPOINT at it, unless
        OPENDUI_INSI_ENDPOINT names a service."""
        self.insi_server = None
        if settings.INSI_ENDPOINT:
            self.stdout.write(f"\nTéléservice INSi : {settings.INSI_ENDPOINT}")
            return
        from opendui.interop.insi.simulator import serve

        self.insi_server, _thread, url = _listen("INSi", "--insi-port", port, serve)
        settings.INSI_ENDPOINT = url
        if not settings.INSI_IDAM:
            # The simulator, like the real service, refuses an empty IDAM.
            settings.INSI_IDAM = "OPENDUI-DEMO"
        self.stdout.write(f"\nSimulateur INSi (identités fictives) : {url}")

    def _start_annuaire_simulator(self, port: int) -> None:
        """Serve the Annuaire Santé simulator (fictitious professionals) on loopback in a
        daemon thread and point ANNUAIRE_URL at it, unless OPENDUI_ANNUAIRE_URL names a
        server."""
        self.annuaire_server = None
        if settings.ANNUAIRE_URL:
            self.stdout.write(f"Annuaire Santé : {settings.ANNUAIRE_URL}")
            return
        from opendui.annuaire.simulator import DEFAULT_API_KEY, serve

        self.annuaire_server, _thread, url = _listen(
            "de l'Annuaire Santé", "--annuaire-port", port, serve, api_key=DEFAULT_API_KEY
        )
        settings.ANNUAIRE_URL = url
        settings.ANNUAIRE_API_KEY = DEFAULT_API_KEY
        self.stdout.write(f"Simulateur de l'Annuaire Santé (professionnels fictifs) : {url}")

    def _start_psc_simulator(self, port: int) -> None:
        """Serve the Pro Santé Connect simulator on loopback in a daemon thread and point the
        PSC settings at it, unless OPENDUI_PSC_ISSUER names a provider."""
        self.psc_server = None
        if settings.PSC_ISSUER:
            self.stdout.write(f"Pro Santé Connect : {settings.PSC_ISSUER}")
            return
        from opendui.interop.psc.cards import TEST_CARDS
        from opendui.interop.psc.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, serve

        self.psc_server, _thread, provider = _listen("Pro Santé Connect", "--psc-port", port, serve)
        settings.PSC_ISSUER = provider.issuer
        settings.PSC_DISCOVERY_URL = provider.discovery_url
        settings.PSC_CLIENT_ID = DEMO_CLIENT_ID
        settings.PSC_CLIENT_SECRET = DEMO_CLIENT_SECRET
        self.stdout.write(
            f"Simulateur Pro Santé Connect (cartes e-CPS de test) : {provider.issuer}"
        )
        for card in TEST_CARDS:
            self.stdout.write(
                f"  e-CPS {card.idnat}  {card.given_name} {card.family_name} – {card.description}"
            )

    def _start_dmp_simulator(self, port: int) -> None:
        """Serve the DMP simulator (TLS with a test PKI under var/pki/, documents kept under
        var/dmp/) on loopback in a daemon thread and point the OPENDUI_DMP_* settings at
        it, unless OPENDUI_DMP_ENDPOINT names a service. The demo's PPs queued by the seed
        are sent to it by the worker."""
        self.dmp_server = None
        if settings.DMP_ENDPOINT:
            self.stdout.write(f"DMP : {settings.DMP_ENDPOINT}")
            return
        from opendui.interop.dmp.simulator import serve
        from opendui.interop.testpki import ensure_test_pki

        var = Path(settings.PROJECT_DIR) / "var"
        pki = ensure_test_pki(var / "pki")
        self.dmp_server, _thread, url = _listen(
            "du DMP", "--dmp-port", port, serve, pki_dir=pki.directory, store=var / "dmp"
        )
        settings.DMP_ENDPOINT = url
        settings.DMP_CERT_FILE = str(pki.client_cert)
        settings.DMP_KEY_FILE = str(pki.client_key)
        settings.DMP_CA_FILE = str(pki.ca_cert)
        settings.DMP_LPS_ID = settings.DMP_LPS_ID or "OPENDUI-DEMO"
        settings.DMP_HOMOLOGATION = settings.DMP_HOMOLOGATION or "DEMO"
        self.stdout.write(f"Simulateur du DMP (Mon espace santé fictif) : {url}")
        from opendui.demo.dmp import residents_with_a_dmp

        for line in residents_with_a_dmp():
            self.stdout.write(f"  {line}")

    def _start_worker(self) -> None:
        """Run background jobs (INSi searches) in a daemon thread of this process, so the
        demo works with one command; production runs `opendui worker` beside the server."""
        from opendui.jobs.worker import WorkerThread

        self.worker_thread = WorkerThread(sleep=0.5)
        self.worker_thread.start()
        self.stdout.write("Tâches de fond : exécutées dans ce processus.")


def _listen(name: str, option: str, port: int, serve: Callable[..., Any], **kwargs: Any) -> Any:
    """Start a simulator's `serve` on loopback `port`; a port already taken is a French
    command error naming the option that chooses another."""
    try:
        return serve("127.0.0.1", port, **kwargs)
    except OSError as exc:
        raise CommandError(
            f"Le simulateur {name} ne peut pas écouter sur 127.0.0.1:{port} "
            f"({exc.strerror or exc}) : choisissez un autre port avec {option} "
            "(0 : port libre)."
        ) from exc


def _progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    percent = 100 * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    sys.stderr.write(f"\r{label:<14} [{bar}] {percent:3d} % ({done}/{total})")
    sys.stderr.flush()
