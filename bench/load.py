"""Load benchmark: a real HTTP server under concurrent load, audit trail on and off.

    .venv/bin/python bench/load.py [--database-url postgres://postgres@127.0.0.1:5432/opendui_load]
        [--persons 100000] [--connections 4,16,64] [--pages list,record]
        [--duration 15] [--warmup 3] [--rounds 2]
        [--baseline-ref main --baseline-database-url URL] [--no-write]

What runs, all on loopback: gunicorn with 4 sync workers serving OpenDUI on a
PostgreSQL database of `--persons` persons (seeded by `seed_demo(5, N, seed=1,
activity=False)` when empty; one seeded by other loaders, triggers or migrations is
refused: bench/common.py `stale_seed`), `opendui worker` beside it (the audit
sealer runs in it, as in production), and `wrk` (Debian package `wrk`; checked, installed with
apt-get when running as root) requesting, with a logged-in session cookie of a
director of the whole organisation, the person list (`/personnes/`) and one
record page (`/personnes/<pk>/`) at each connection count.

Each (code, audit) combination gets its own gunicorn (OPENDUI_AUDIT_ENABLED=1 or
0); per page and connection count, `--warmup` seconds of load, then `--duration`
seconds measured. The combinations alternate within a round and the order is
reversed every other round (ABBA), so a slow drift of the shared machine's load
hits both sides alike; the reported figures are the medians over the rounds.

`--baseline-ref REF` measures another version of the code in the same run: its
`src/` is exported with `git archive` under var/bench/ and served the same way,
on its own database (`--baseline-database-url`, which must hold the same data; it
is migrated by that code, so it keeps that code's schema).

Reported (docs/benchmarks.md, between the "bench:load" markers, unless
--no-write): requests per second, p50/p95/p99 latency as wrk measures it (Lua
`done` hook, bench/wrk_report.lua), and the audit's cost: 1 - rps(on)/rps(off).
After the measures, the audit trail of each database is checked with
`opendui audit verify --no-anchors` (the bench runs without an anchor store).
"""

# ruff: noqa: S603, S607, S310 - a benchmark driving local processes (git, gunicorn, wrk) on loopback

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import record_seed, stale_seed, write_section

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
LUA = Path(__file__).resolve().parent / "wrk_report.lua"
MARKERS = ("<!-- bench:load:start -->", "<!-- bench:load:end -->")
HEADING = "## Load: gunicorn + wrk, audit on and off"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/opendui_load"
BENCH_EMAIL = "bench@bench.invalid"
# A fixed key for the bench only (the sealer needs one); never a production key.
BENCH_AUDIT_KEY = "bench-only-audit-key-0123456789abcdef0123456789abcdef"


@dataclass
class Variant:
    label: str  # "current" or the baseline ref
    src: Path
    database_url: str
    commit: str


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def _export(ref: str) -> Path:
    """`git archive REF src` under var/bench/, so that version can be served as it was."""
    target = BENCH_DIR / f"load-src-{ref.replace('/', '_')}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", ref, "src"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def _ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0:
        print("wrk absent : apt-get install -y wrk", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk est requis (Debian : apt-get install wrk).")
    return path


def _env(variant: Variant, audit: bool) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OPENDUI_") and key != "PYTHONPATH"
    }
    env.update(
        {
            "PYTHONPATH": str(variant.src),
            "BENCH_SOURCE_COMMIT": variant.commit,
            "DJANGO_SETTINGS_MODULE": "opendui.settings",
            "OPENDUI_DATABASE_URL": variant.database_url,
            "OPENDUI_AUDIT_ENABLED": "1" if audit else "0",
            "OPENDUI_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "OPENDUI_AUDIT_KEY": BENCH_AUDIT_KEY,
            "OPENDUI_AUDIT_ANCHOR_DIR": str(BENCH_DIR / "load-anchors"),
            "OPENDUI_LOG_LEVEL": "WARNING",
        }
    )
    return env


# --- preparation (runs in a subprocess with the variant's code on the path) ----------------


def prepare(persons: int) -> dict[str, Any]:
    """Migrate, seed when empty, and log the bench reader in: its session cookie, a record."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", interactive=False, verbosity=0)
    from opendui.accounts.models import Assignment, Role, User
    from opendui.organisations.models import ManagingOrganisation
    from opendui.persons.models import Person

    # The variant's tree (its src/ is on the path): its loaders seeded the database.
    root = Path(os.environ["PYTHONPATH"]).resolve().parent
    if not ManagingOrganisation.objects.exists():
        from opendui.demo.seed import seed_demo

        seed_demo(5, persons, seed=1, activity=False)
        record_seed(connection, root, os.environ.get("BENCH_SOURCE_COMMIT", ""))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    elif stale := stale_seed(connection, root):
        raise SystemExit(f"Refusing to reuse {connection.settings_dict['NAME']}: {stale}. Drop it.")
    user, created = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"first_name": "Bench", "last_name": "Directeur"}
    )
    if created:
        user.set_unusable_password()
        user.save()
        Assignment.objects.create(
            user=user,
            role=Role.objects.get(code="directeur"),
            organisation=ManagingOrganisation.objects.get(),
            facility=None,
            start_date=dt.date(2020, 1, 1),
        )
    client = Client()
    client.force_login(user)
    record = Person.objects.order_by("birth_name_key", "first_name", "pk").values_list(
        "pk", flat=True
    )[0]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = "PostgreSQL " + cursor.fetchone()[0]
    return {
        "cookie": client.cookies["sessionid"].value,
        "record": record,
        "persons": Person.objects.count(),
        "server": server,
        "django": django.get_version(),
    }


def verify() -> dict[str, Any]:
    """`opendui audit verify --no-anchors` as the operator runs it; exit code and last line."""
    import io

    import django

    django.setup()
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    try:
        call_command("audit", "verify", "--no-anchors", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    except Exception as error:  # an older version without --no-anchors
        if "no-anchors" not in str(error) and "unrecognized" not in str(error):
            raise
        out = io.StringIO()
        try:
            call_command("audit", "verify", stdout=out, stderr=err)
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    lines = out.getvalue().strip().splitlines()
    return {"code": code, "lines": lines[-3:], "seconds": time.perf_counter() - started}


def _subprocess_json(variant: Variant, function: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), f"_{function}", *args],
        env=_env(variant, audit=True),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{function} ({variant.label}) failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- serving and loading ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn (4 workers) and `opendui worker`, started and stopped together."""

    def __init__(self, variant: Variant, audit: bool, workers: int, log_dir: Path) -> None:
        self.port = _free_port()
        env = _env(variant, audit)
        tag = f"{variant.label}-{'on' if audit else 'off'}"
        self.logs = [open(log_dir / f"{tag}-{name}.log", "ab") for name in ("web", "worker")]  # noqa: SIM115
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "opendui.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "2048",
            ],
            env=env,
            stdout=self.logs[0],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "opendui.cli", "worker", "--sleep", "0.5"],
            env=env,
            stdout=self.logs[1],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path: str, cookie: str, timeout: float = 60) -> None:
        """Until the page answers 200 to the bench reader (not a redirect to the login)."""
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(self.url(path), headers={"Cookie": cookie})
        opener = urllib.request.build_opener(_NoRedirect)
        last: object = None
        while time.monotonic() < deadline:
            try:
                with opener.open(request, timeout=10) as response:
                    if response.status == 200:
                        return
                    last = response.status
            except urllib.error.HTTPError as error:
                last = error.code
            except OSError as error:
                last = error
            time.sleep(0.3)
        raise SystemExit(f"{path} did not answer 200 within {timeout} s (last: {last})")

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.web, self.worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def run_wrk(wrk: str, url: str, cookie: str, connections: int, seconds: float) -> dict[str, Any]:
    threads = max(1, min(connections, 2))
    result = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{round(seconds)}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON ") :])
            data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
            return data
    raise SystemExit(f"wrk gave no report:\n{result.stdout}\n{result.stderr}")


def _count_events(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]


def _load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return float("nan")


# --- the run ---------------------------------------------------------------------------------


def measure(args: argparse.Namespace, variants: list[Variant]) -> dict[str, Any]:
    wrk = _ensure_wrk()
    log_dir = BENCH_DIR / "load-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    prepared = {}
    for variant in variants:
        print(f"== {variant.label}: preparing {variant.database_url}", file=sys.stderr)
        prepared[variant.label] = _subprocess_json(variant, "prepare", str(args.persons))
    combos = [(variant, audit) for variant in variants for audit in (True, False)]
    samples: dict[tuple[str, bool, str, int], list[dict[str, Any]]] = {}
    for round_ in range(args.rounds):
        order = combos if round_ % 2 == 0 else list(reversed(combos))
        for variant, audit in order:
            info = prepared[variant.label]
            cookie = f"sessionid={info['cookie']}"
            paths = {"list": "/personnes/", "record": f"/personnes/{info['record']}/"}
            server = Server(variant, audit, args.workers, log_dir)
            try:
                server.wait(paths["list"], cookie)
                for page in args.pages:
                    server.wait(paths[page], cookie)
                    for connections in args.connections:
                        label = f"{variant.label} audit={'on' if audit else 'off'}"
                        print(
                            f"   round {round_ + 1} {label} {page} c={connections}",
                            file=sys.stderr,
                        )
                        run_wrk(wrk, server.url(paths[page]), cookie, connections, args.warmup)
                        before = _count_events(variant.database_url)
                        data = run_wrk(
                            wrk, server.url(paths[page]), cookie, connections, args.duration
                        )
                        data["events"] = _count_events(variant.database_url) - before
                        data["load"] = _load_average()
                        bad = data["errors_status"] + data["errors_connect"] + data["errors_read"]
                        if bad or data["errors_timeout"]:
                            raise SystemExit(f"{label} {page} c={connections}: errors {data}")
                        samples.setdefault((variant.label, audit, page, connections), []).append(
                            data
                        )
            finally:
                server.stop()
    verified = {}
    for variant in variants:
        verified[variant.label] = _subprocess_json(variant, "verify")
    return {
        "prepared": prepared,
        "samples": {"|".join(map(str, key)): value for key, value in samples.items()},
        "verified": verified,
        "variants": [
            {"label": v.label, "commit": v.commit, "database_url": v.database_url} for v in variants
        ],
        "args": {
            "persons": args.persons,
            "connections": args.connections,
            "pages": args.pages,
            "duration": args.duration,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "workers": args.workers,
        },
        "date": dt.date.today().isoformat(),
        "machine": _machine(),
    }


def _machine() -> dict[str, str]:
    cpu, ram = "unknown", "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": sys.version.split()[0],
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("[")[0].strip(),
    }


def _median(samples: list[dict[str, Any]], key: str) -> float:
    return statistics.median(sample[key] for sample in samples)


def report(results: dict[str, Any], command: str) -> str:
    args, machine = results["args"], results["machine"]
    first = next(iter(results["prepared"].values()))
    lines = [
        f"Measured on {results['date']} with `{command}`.",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM, "
        "shared with other work during the run (see the load column)",
        f"- Python {machine['python']}, Django {first['django']}, {first['server']}, "
        f"{machine['wrk']}, gunicorn {args['workers']} sync workers, `opendui worker` beside it",
        f"- {first['persons']} persons; reader: director of the whole organisation; "
        f"{args['warmup']} s warm-up then {args['duration']} s per cell, "
        f"{args['rounds']} rounds (ABBA), medians over the rounds",
    ]
    for variant in results["variants"]:
        lines.append(f"- `{variant['label']}`: commit {variant['commit']}")
    lines += [
        "",
        "| code | page | connections | req/s audit on | req/s audit off | audit cost "
        "| p50 on (ms) | p95 on (ms) | p99 on (ms) | p95 off (ms) | events / request | load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    samples = results["samples"]
    for variant in results["variants"]:
        for page in args["pages"]:
            for connections in args["connections"]:
                on = samples[f"{variant['label']}|True|{page}|{connections}"]
                off = samples[f"{variant['label']}|False|{page}|{connections}"]
                rps_on, rps_off = _median(on, "rps"), _median(off, "rps")
                requests = sum(s["requests"] for s in on)
                events = sum(s["events"] for s in on)
                lines.append(
                    f"| {variant['label']} | {page} | {connections} | {rps_on:.1f} | "
                    f"{rps_off:.1f} | {100 * (1 - rps_on / rps_off):+.1f} % | "
                    f"{_median(on, 'p50') / 1000:.1f} | {_median(on, 'p95') / 1000:.1f} | "
                    f"{_median(on, 'p99') / 1000:.1f} | {_median(off, 'p95') / 1000:.1f} | "
                    f"{events / requests:.2f} | "
                    f"{statistics.median(s['load'] for s in on + off):.1f} |"
                )
    lines += [
        "",
        "Audit cost: 1 − req/s(audit on) / req/s(audit off), same code, same database "
        "(negative: the audited side happened to be faster, i.e. noise). Events / request: "
        "audit events committed during the measured seconds over wrk's request count; above "
        "1 when warm-up requests were still in flight (seconds per request at 64 "
        "connections). Load: 1-minute load average at the end of the cells (2 cores).",
        "",
        "Audit trail checked afterwards (`opendui audit verify --no-anchors`):",
        "",
    ]
    for label, outcome in results["verified"].items():
        last = outcome["lines"][-1] if outcome["lines"] else ""
        lines.append(
            f"- `{label}`: exit code {outcome['code']}, « {last} » ({outcome['seconds']:.1f} s)"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in {"_prepare", "_verify"}:
        sys.path.insert(0, os.environ["PYTHONPATH"])
        if sys.argv[1] == "_prepare":
            print(json.dumps(prepare(int(sys.argv[2]))))
        else:
            print(json.dumps(verify()))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("OPENDUI_DATABASE_URL", ""))
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument(
        "--connections", type=lambda s: [int(x) for x in s.split(",")], default=[4, 16, 64]
    )
    parser.add_argument(
        "--pages", type=lambda s: [p for p in s.split(",") if p], default=["list", "record"]
    )
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--baseline-ref", default="")
    parser.add_argument("--baseline-database-url", default="")
    parser.add_argument("--only-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="Also write the raw results.")
    parser.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="Write the report of earlier raw results (--json) without measuring again.",
    )
    args = parser.parse_args()
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        text = report(results, results.get("command", "python bench/load.py"))
        print(text)
        if not args.no_write:
            write_section(text, MARKERS, HEADING)
        return
    database_url = args.database_url or DEFAULT_URL
    if not database_url.startswith("postgres"):
        raise SystemExit("Ce banc de charge mesure PostgreSQL : --database-url postgres://…")
    if set(args.pages) - {"list", "record"}:
        raise SystemExit("--pages : list et/ou record.")
    variants = []
    if args.baseline_ref:
        if not args.baseline_database_url.startswith("postgres"):
            raise SystemExit("--baseline-ref demande --baseline-database-url postgres://…")
        variants.append(
            Variant(
                args.baseline_ref,
                _export(args.baseline_ref),
                args.baseline_database_url,
                _git("rev-parse", "--short", args.baseline_ref),
            )
        )
    if not args.only_baseline:
        dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "src") else ""
        variants.append(
            Variant(
                "current", ROOT / "src", database_url, _git("rev-parse", "--short", "HEAD") + dirty
            )
        )
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = measure(args, variants)
    shown = list(sys.argv[1:])
    if "--json" in shown:  # where the raw results went is not part of the method
        del shown[shown.index("--json") : shown.index("--json") + 2]
    command = "python bench/load.py " + " ".join(shown)
    results["command"] = command
    text = report(results, command)
    print(text)
    raw = args.json or Path(tempfile.gettempdir()) / "opendui-load-results.json"
    raw.write_text(json.dumps(results, indent=1))
    if not args.no_write:
        write_section(text, MARKERS, HEADING)


if __name__ == "__main__":
    main()
