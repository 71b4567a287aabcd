"""The ANS CDA test kit for the DMP tests.

The kit is read from `OPENDUI_CONFORMANCE_DIR` or `../shared/conformance` (see
`opendui.interop.dmp.conformance`). Without it the conformance tests are skipped on a
developer machine, and **fail** under CI (`CI=true`), where the kit must be present.
The structuration-minimale schematron is compiled once per test session (about 15 s).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from opendui.interop.dmp import conformance


def _missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (required in CI)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def kit() -> Path:
    """The TestContenuCDA directory."""
    path = conformance.kit_dir()
    if path is None:
        _missing(
            f"ANS CDA test kit not found: set {conformance.ENV_VAR} or provide "
            "../shared/conformance/ans-testcontenucda"
        )
    return path


@pytest.fixture(scope="session")
def strucmin(kit: Path) -> str:
    """The structuration-minimale schematron, compiled (once) and ready to run."""
    try:
        import saxonche  # noqa: F401
    except ImportError:
        _missing("saxonche is not installed (pip install -e '.[dev]')")
    started = time.perf_counter()
    conformance.prepare_schematron(conformance.STRUCTURATION_MINIMALE)
    print(f"\nstructuration minimale compiled in {time.perf_counter() - started:.1f} s")
    return conformance.STRUCTURATION_MINIMALE
