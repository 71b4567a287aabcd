"""Fixtures of the administrative file's tests: a temporary records storage, users."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from opendui.persons.ins import control_key


@pytest.fixture(autouse=True)
def records_storage(settings, tmp_path):
    """The "records" storage in a temporary folder: tests never write in the repository."""
    storages = {name: dict(value) for name, value in settings.STORAGES.items()}
    storages["records"] = {
        **storages["records"],
        "OPTIONS": {
            **storages["records"].get("OPTIONS", {}),
            "location": str(tmp_path / "records"),
        },
    }
    settings.STORAGES = storages
    return tmp_path / "records"


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


def nir(body: str = "1400575123456") -> str:
    """A NIR with its valid key."""
    return f"{body}{control_key(body):02d}"


def image_bytes(fmt: str = "JPEG", size=(1200, 900), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, color if mode == "RGB" else (*color, 128)).save(out, fmt, **save)
    return out.getvalue()
