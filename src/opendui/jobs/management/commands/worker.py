"""`opendui worker`: run background jobs (INSi queries, periodic re-verifications)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandParser

from opendui.jobs.schedule import FrequentRunner, enqueue_due
from opendui.jobs.worker import Worker


class Command(BaseCommand):
    help = "Exécute les tâches de fond enregistrées en base (arrêt propre sur SIGTERM/SIGINT)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Exécuter les tâches dues puis s'arrêter (tâches planifiées comprises).",
        )
        parser.add_argument(
            "--sleep",
            type=float,
            default=1.0,
            help="Attente en secondes quand aucune tâche n'est due (1 par défaut).",
        )
        parser.add_argument(
            "--queue", action="append", dest="queues", help="Ne traiter que cette file."
        )

    def handle(self, *args, **options) -> None:
        worker = Worker(queues=frozenset(options["queues"]) if options["queues"] else None)
        if options["once"]:
            FrequentRunner().run_due()
            scheduled = enqueue_due()
            count = worker.run_pending()
            self.stdout.write(
                f"{count} tâche(s) exécutée(s), dont {len(scheduled)} planifiée(s) ajoutée(s)."
            )
            return
        stop = threading.Event()

        def request_stop(signum, frame) -> None:
            # The job in progress ends first; then the loop sees the event and returns.
            stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        self.stdout.write(f"Exécutant de tâches {worker.worker_id} démarré.")
        try:
            worker.run_forever(stop, sleep=max(options["sleep"], 0.05))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Exécutant de tâches arrêté.")
