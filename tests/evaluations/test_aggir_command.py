"""The `opendui aggir` command contract: JSON lines, stdin, all-or-nothing output, exit codes."""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from opendui.evaluations.aggir import compute_gir
from opendui.evaluations.management.commands.aggir import json_line

CONSOLE_SCRIPT = Path(sys.executable).with_name("opendui")


def run_command(
    *arguments: str, stdin: str = "", database_url: str = "sqlite://"
) -> subprocess.CompletedProcess:
    assert CONSOLE_SCRIPT.exists(), f"console script missing: {CONSOLE_SCRIPT}"
    environment = {**os.environ, "OPENDUI_DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(  # noqa: S603 (our own console script, fixed arguments)
        [str(CONSOLE_SCRIPT), "aggir", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=120,
        check=False,
    )


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


# ------------------------------------------------------------------ subprocess: the contract


def test_arguments_give_one_json_object_per_line_in_order():
    result = run_command("CCAAAAACAA", "aaaaaaaaaa", " BBBBBBBBBB ")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert lines(result.stdout) == [
        {"codes": "CCAAAAACAA", "gir": 2, "rang": 3, "groupe": "A", "score": 3400},
        {"codes": "AAAAAAAAAA", "gir": 6, "rang": 13, "groupe": "H", "score": 0},
        {"codes": "BBBBBBBBBB", "gir": 4, "rang": 10, "groupe": "G", "score": 1100},
    ]


def test_dash_reads_stdin_in_place_and_ignores_blank_lines():
    result = run_command("CCCCCCCCCC", "-", "AAAAAAAAAA", stdin="bbbbbbbbbb\n\n   \nCCAAAAACAA\r\n")
    assert result.returncode == 0, result.stderr
    assert [(row["codes"], row["gir"]) for row in lines(result.stdout)] == [
        ("CCCCCCCCCC", 1),
        ("BBBBBBBBBB", 4),
        ("CCAAAAACAA", 2),
        ("AAAAAAAAAA", 6),
    ]


def test_empty_stdin_is_success_without_output():
    result = run_command("-", stdin="\n\n")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_an_invalid_line_means_no_output_at_all_and_exit_2():
    stdin = "AAAAAAAAAA\nAAAD\n\nAAAAAAAAAX\nCCCCCCCCCC\n"
    result = run_command("BBBBBBBBBB", "-", stdin=stdin)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Entrée standard, ligne 2 : Le codage AGGIR « AAAD » compte 4 caractères ; il en faut "
        "10, une lettre A, B ou C par variable dans l'ordre COH ORI TOI HAB ALI ELI TRA DPI DPE "
        "COM.",
        "Entrée standard, ligne 4 : Le codage AGGIR « AAAAAAAAAX » contient un caractère non "
        "admis : « X » en position 10 (COM, Communication à distance). Seules les lettres A, B "
        "ou C sont admises.",
        "Aucun résultat n'est écrit tant qu'un codage est invalide.",
    ]


def test_an_invalid_argument_is_named_by_its_position():
    result = run_command("AAAAAAAAAA", "AAAAAAAAAAA")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Argument 2 : Le codage AGGIR « AAAAAAAAAAA » compte 11")


def test_many_errors_are_counted_after_the_first_twenty():
    result = run_command("-", stdin="X\n" * 25)
    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 22
    assert errors[19].startswith("Entrée standard, ligne 20 :")
    assert errors[20] == "… et 5 autres codages invalides."


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            (),
            "Argument manquant : indiquez au moins un codage AGGIR (10 lettres A, B ou C) "
            "ou « - » pour lire les codages sur l'entrée standard.",
        ),
        (
            ("--gir", "AAAAAAAAAA"),
            "Option inconnue : « --gir ». Un codage AGGIR ne commence jamais par un tiret.",
        ),
    ],
    ids=["no-argument", "unknown-option"],
)
def test_usage_errors_exit_2_in_french(arguments, message):
    result = run_command(*arguments)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert message in result.stderr
    assert "Usage : opendui aggir CODES" in result.stderr
    assert "error:" not in result.stderr


def test_help_documents_the_all_or_nothing_rule():
    result = run_command("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "rien n'est écrit sur la sortie standard" in text
    assert "le code de sortie est 2" in text


def test_command_does_not_touch_the_database():
    """Nothing listens on port 9: any connection attempt would fail the command."""
    result = run_command("AAAAAAAAAA", database_url="postgres://opendui@127.0.0.1:9/absent")
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout)[0]["gir"] == 6


# ------------------------------------------------------------------ in process


def test_call_command_reads_the_given_stdin():
    stdout = io.StringIO()
    coding_lines = "\n".join("".join(c) + "AA" for c in itertools.product("ABC", repeat=8))
    call_command("aggir", "-", stdin=io.StringIO(coding_lines), stdout=stdout)
    rows = lines(stdout.getvalue())
    assert len(rows) == 3**8
    assert all(row["gir"] == compute_gir(row["codes"]).gir for row in rows)


def test_call_command_invalid_coding_exits_2_with_nothing_written():
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("aggir", "AAAAAAAAAA", "ZZ", stdout=stdout, stderr=stderr)
    assert exit_info.value.code == 2
    assert stdout.getvalue() == ""
    assert "Argument 2 : Le codage AGGIR « ZZ »" in stderr.getvalue()


def test_call_command_second_dash_is_refused():
    stderr = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("aggir", "-", "-", stdin=io.StringIO("AAAAAAAAAA\n"), stderr=stderr)
    assert "Argument 2 : « - » ne peut figurer qu'une fois" in stderr.getvalue()


def test_call_command_usage_error_is_a_command_error_with_returncode_2():
    with pytest.raises(CommandError) as error:
        call_command("aggir")
    assert error.value.returncode == 2
    assert str(error.value).startswith("Argument manquant")


def test_hand_written_json_line_is_json():
    for coding in ("AAAAAAAAAA", "CCAAAAACAA", "ACAAABCBCB"):
        result = compute_gir(coding)
        assert json.loads(json_line(coding)) == {
            "codes": coding,
            "gir": result.gir,
            "rang": result.rang,
            "groupe": result.group,
            "score": result.score,
        }
