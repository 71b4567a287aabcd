"""Custom field lookups (registered when the core app is ready)."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Lookup
from django.db.models.lookups import StartsWith


@CharField.register_lookup
class KeyPrefix(Lookup):
    """`field__keyprefix='le'`: the exact prefix test that sits beside an index range.

    On PostgreSQL, `LIKE 'le%'` can be served by a pg_trgm index, and the planner then
    ANDs that index's bitmap with the B-tree range's for no gain, instead of walking
    the B-tree in order. `starts_with()` is not indexable: the range alone chooses the
    plan and the function only filters. Elsewhere it is the usual `startswith`.
    """

    lookup_name = "keyprefix"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"starts_with({lhs}::text, {rhs})", (*lhs_params, *rhs_params)
