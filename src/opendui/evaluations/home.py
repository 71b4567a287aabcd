"""The GMP card of the home page (registered in `EvaluationsConfig.ready`).

A link to the GIR moyen pondéré of each home facility where it applies (facilities for
older persons, `rules.gmp_applies`) and the user may read it (`gmp.may_view_gmp`: the
direction, the médecin coordonnateur). No query: the facilities and grants are loaded.
"""

from __future__ import annotations

from django.http import HttpRequest

from opendui.core.home import Panel, home_facilities

from .gmp import may_view_gmp


def gmp_panel(request: HttpRequest) -> Panel | None:
    facilities = [f for f in home_facilities(request) if may_view_gmp(request.user, f)]
    if not facilities:
        return None
    return Panel("evaluations/_home_gmp.html", {"facilities": facilities})
