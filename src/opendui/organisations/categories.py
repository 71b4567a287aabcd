"""Loading the FINESS category list (NOS TRE_R66) shipped in data/finess_categories.csv."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

CATEGORIES_FILE = Path(__file__).parent / "data" / "finess_categories.csv"


def read_categories(path: Path = CATEGORIES_FILE) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {
                "code": row["code"].strip(),
                "label": row["label"].strip(),
                "short_label": row["short_label"].strip(),
                "couloir": row["couloir"].strip(),
                "deprecated": row["deprecated"].strip() == "1",
            }
            for row in csv.DictReader(handle)
        ]


def load_categories(model: Any) -> int:
    """Create or update every category of the file; returns how many rows were read."""
    rows = read_categories()
    for row in rows:
        code = row.pop("code")
        model.objects.update_or_create(code=code, defaults=row)
    return len(rows)
