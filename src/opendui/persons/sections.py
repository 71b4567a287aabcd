"""The record page's registry: tabs, synthèse blocks and banner facts, one per app.

`persons` shows a person's record but knows no higher app (rule 8 of DESIGN.md: lower
apps never import higher ones). Each app that owns part of a record registers, from its
`AppConfig.ready()`:

- a **tab** (`register_tab`): a page of the record, reached by a URL name that takes the
  person's pk, shown only to a reader holding its permission on that person;
- optionally a **synthèse block** provider (`register_synthesis`): what the app shows on
  the synthèse page (`persons:detail`), with the alerts that belong to it;
- optionally a **banner** provider (`register_banner`): short facts and alerts shown at
  the top of every page of the record;
- optionally a **photo** provider (`register_photo`): the URL of the person's photo;
- optionally an **export section** provider (`register_export_section`): the app's part
  of the whole record exported as one PDF (documents.record_export), as an
  `ExportSection` of facts and tables. Unlike the synthèse, an export for a right of
  access holds the *whole* history: a provider may return tables whose rows are a
  generator over `.iterator()`, so memory stays bounded by the rendered page, not by
  the querysets.

A provider receives a `RecordReading`: the reader, the person, the moment, a cached
permission check (`allowed`) and a memo (`shared`) through which providers of one page
share a read (the stays of the person are read once for the synthèse, the PP alert and
the banner). A provider returns None when the reader may not see what it would show: it
decides with `reading.allowed(code)` (accounts.access.check, break-the-glass included),
never shows in an alert more than its section would, and costs a number of queries that
does not grow with the person's history (asserted by the record pages' tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone

from opendui.accounts.access import check
from opendui.accounts.permissions import get_permission

from .models import Person


@dataclass(frozen=True)
class Alert:
    section: str  # the key of the section it belongs to (hence its permission)
    message: str  # French, no more personal data than the section shows


@dataclass(frozen=True)
class Block:
    """One block of the synthèse page: `template` is included with `section` = `data`
    (and the page's `person` and `record`)."""

    key: str
    template: str
    data: Any = None
    alerts: tuple[Alert, ...] = ()


@dataclass(frozen=True)
class Fact:
    """One fact of the banner: a short French label and its value (text)."""

    label: str
    value: str


@dataclass(frozen=True)
class BannerPart:
    """What one provider adds to the banner: facts, and short French alerts."""

    facts: tuple[Fact, ...] = ()
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any  # French (str or lazy), shown in the navigation
    order: int
    url_name: str  # reversed with the person's pk as only argument
    #: The reader needs one of them, checked with accounts.access.check(user, code,
    #: person=person) (break-the-glass included).
    permissions: tuple[str, ...]
    pages: tuple[str, ...] = ()  # other URL names (view names) that belong to this tab
    #: Optional predicate on the reading (no query, or one shared through `reading.shared`):
    #: a tab that applies to some persons or readers only (the DMP tab: a qualified INS and
    #: a profession the DMP lets read).
    shown: Callable[[RecordReading], bool] | None = None


class RecordReading:
    """One reading of a person's record by a user, at a moment: what providers receive."""

    def __init__(self, user: Any, person: Person, now: dt.datetime | None = None) -> None:
        self.user = user
        self.person = person
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self._allowed: dict[str, bool] = {}
        self._shared: dict[str, Any] = {}

    def allowed(self, code: str) -> bool:
        """accounts.access.check on this person, asked once per permission."""
        if code not in self._allowed:
            self._allowed[code] = bool(check(self.user, code, person=self.person))
        return self._allowed[code]

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per reading: providers of one page share their reads. Keys
        are prefixed with the app's label (``"stays.all"``)."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def has(self, key: str) -> bool:
        """Whether `key` was already computed in this reading."""
        return key in self._shared


@dataclass(frozen=True)
class ExportTable:
    """A table of an export section: French headers, rows of text (an iterable, possibly
    a generator reading the database in chunks), and what to write when it has none."""

    caption: str
    headers: tuple[str, ...]
    rows: Iterable[Sequence[Any]]
    empty: str = "Aucun élément."


@dataclass(frozen=True)
class ExportSection:
    """One app's part of the exported record: facts (label, value) then tables."""

    title: str
    facts: tuple[Fact, ...] = ()
    tables: tuple[ExportTable, ...] = ()
    note: str = ""  # a French sentence shown under the title (a limit, a rule)


def export_date(value: dt.date | dt.datetime | None) -> str:
    """A date (or a moment, in local time) as the export writes it; "–" for none."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def export_period(start: dt.date | None, end: dt.date | None) -> str:
    """`du 01/02/2024 au 03/04/2025`, or `depuis le …` while it runs."""
    if end is None:
        return f"depuis le {export_date(start)}"
    return f"du {export_date(start)} au {export_date(end)}"


@dataclass(frozen=True)
class ExportEntry:
    key: str
    label: str
    order: int
    provider: Callable[[RecordReading], ExportSection | None]


IDENTITY = "person.view_identity"

SynthesisProvider = Callable[[RecordReading], Block | None]
BannerProvider = Callable[[RecordReading], BannerPart | None]
PhotoProvider = Callable[[RecordReading], str | None]

_TABS: dict[str, Tab] = {}
_SYNTHESIS: list[tuple[int, str, SynthesisProvider]] = []
_BANNER: list[tuple[int, str, BannerProvider]] = []
_PHOTO: list[tuple[int, str, PhotoProvider]] = []
_EXPORT: dict[str, ExportEntry] = {}


def register_tab(
    key: str,
    label: str,
    *,
    order: int,
    url_name: str,
    permission: str | tuple[str, ...],
    pages: tuple[str, ...] = (),
    shown: Callable[[RecordReading], bool] | None = None,
) -> None:
    """Add (or replace, when `key` is registered again) a tab of the record.

    `label` may be lazy (gettext_lazy): it is translated when the page is shown.
    `permission`: a permission code, or several of which the reader needs one.
    `pages`: the view names ("app:name") of other pages shown under this tab.
    `shown(reading)`: when given, the tab is listed only when it returns True (after the
    permission check)."""
    codes = (permission,) if isinstance(permission, str) else tuple(permission)
    if not codes:
        raise ValueError("A record tab needs a permission.")
    for code in codes:
        get_permission(code)  # an unknown code fails at start-up, not on a page
    _TABS[key] = Tab(key, label, order, url_name, codes, tuple(pages), shown)


def _add(registry: list, provider: Callable, order: int) -> None:
    """Once per provider: by its dotted name (a module-level function registered again by a
    second `ready()`), by identity for lambdas and nested functions (no unique name)."""
    name = f"{provider.__module__}.{provider.__qualname__}"
    if any(p is provider or (n == name and "<" not in name) for _, n, p in registry):
        return
    registry.append((order, name, provider))
    registry.sort(key=lambda entry: (entry[0], entry[1]))


def register_synthesis(provider: SynthesisProvider, *, order: int = 100) -> None:
    """Add a synthèse block provider (once); lower `order` first."""
    _add(_SYNTHESIS, provider, order)


def register_banner(provider: BannerProvider, *, order: int = 100) -> None:
    """Add a banner provider (once); lower `order` first."""
    _add(_BANNER, provider, order)


def register_photo(provider: PhotoProvider, *, order: int = 100) -> None:
    """Add a photo provider (once); the first one returning a URL wins."""
    _add(_PHOTO, provider, order)


def register_export_section(
    key: str,
    label: str,
    provider: Callable[[RecordReading], ExportSection | None],
    *,
    order: int,
) -> None:
    """Add (or replace, when `key` is registered again) a section of the record export.

    `provider(reading)` returns the section, or None when the reader may not see it (it
    decides with `reading.allowed`, exactly as the app's tab does) or it has nothing."""
    _EXPORT[key] = ExportEntry(key, label, order, provider)


def export_sections() -> list[ExportEntry]:
    """Every registered export section, in order."""
    return sorted(_EXPORT.values(), key=lambda entry: (entry.order, entry.key))


def tabs() -> list[Tab]:
    """Every registered tab, in order."""
    return sorted(_TABS.values(), key=lambda tab: (tab.order, tab.key))


def synthesis_blocks(reading: RecordReading) -> list[Block]:
    return [b for _, _, p in _SYNTHESIS if (b := p(reading)) is not None]


# --- what the pages use ----------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    active: bool


@dataclass(frozen=True)
class Banner:
    person: Person
    #: Whether the reader may read the identity (age, sex, status, facts): a reader of
    #: the access log alone (the DPO) sees the name only, as the log page shows it.
    identity: bool
    age: int
    photo_url: str | None
    facts: list[Fact] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)


def age_on(birth_date: dt.date, today: dt.date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def banner(reading: RecordReading) -> Banner:
    """The banner's facts and alerts, from every provider, in order. Providers are asked
    only when the reader may read the identity (`person.view_identity`)."""
    person = reading.person
    age = age_on(person.birth_date, reading.today)
    if not reading.allowed(IDENTITY):
        return Banner(person, False, age, None)
    photo = next((url for _, _, p in _PHOTO if (url := p(reading))), None)
    facts: list[Fact] = []
    alerts: list[str] = []
    for _, _, provider in _BANNER:
        part = provider(reading)
        if part is not None:
            facts.extend(part.facts)
            alerts.extend(part.alerts)
    return Banner(person, True, age, photo, facts, alerts)


def navigation(
    reading: RecordReading, view_name: str | None, active: str | None = None
) -> list[NavItem]:
    """The tabs the reader may open; the active one is `active` (a key), else the tab
    whose URL name or pages contain `view_name`."""
    items = []
    for tab in tabs():
        if not any(reading.allowed(code) for code in tab.permissions):
            continue
        if tab.shown is not None and not tab.shown(reading):
            continue
        is_active = tab.key == active if active else view_name in (tab.url_name, *tab.pages)
        items.append(
            NavItem(
                tab.key, str(tab.label), reverse(tab.url_name, args=[reading.person.pk]), is_active
            )
        )
    return items


def header_context(
    reading: RecordReading, view_name: str | None, active: str | None = None
) -> Mapping[str, Any]:
    """The context of persons/_record_header.html: banner and navigation."""
    items = navigation(reading, view_name, active)
    return {
        "banner": banner(reading),
        "record_tabs": items,
        "record_active": next((item for item in items if item.active), None),
    }


def check_tabs(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """System check (`manage.py check`, run by the tests): every tab's URL name reverses
    with a person's pk, so a mistyped name fails at deployment, not on a record page."""
    from django.core.checks import Error
    from django.urls import NoReverseMatch

    errors = []
    for tab in tabs():
        try:
            reverse(tab.url_name, args=[1])
        except NoReverseMatch:
            errors.append(
                Error(
                    f"Record tab {tab.key!r}: URL name {tab.url_name!r} does not take a "
                    "person's pk as only argument.",
                    id="persons.E001",
                )
            )
    return errors
