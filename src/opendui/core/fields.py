"""Form fields bounded to what the database and date arithmetic can hold.

Django's own fields accept any integer (99999999999999999999 passes an IntegerField and
then overflows a PostgreSQL integer column or SQLite's 64-bit integers: an HTTP 500), any
date from year 1 to 9999 (0001-01-01 in a DateTimeField overflows when it is converted
from local time to UTC, 9999-12-31 when a service adds a day), and any choice id
(ModelMultipleChoiceField's `pk__in` query overflows SQLite with an id beyond a bigint).
Every form of the project uses these fields instead, so such input is a French form error
and nothing is written:

- `IntegerField`: bounded to a PostgreSQL integer unless the caller gives narrower bounds;
- `DateField` / `DateTimeField`: within core.params.DATE_MIN..DATE_MAX;
- `ModelChoiceField` / `ModelMultipleChoiceField`: an integer primary key beyond a bigint
  is refused before any query.

`BoundedModelForm` (and `bounded_formfield`, its `formfield_callback`) gives model forms the
same fields, bounded to each column's range. tests/core/test_fields.py walks every form
class of the project and fails on a Django field used directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import ModelFormMetaclass
from django.utils.translation import gettext_lazy as _

from .params import DATE_MAX, DATE_MIN, INT_MAX, INT_MIN, PK_MAX, parse_int

DATE_OUT_OF_RANGE = _(
    "Date hors des limites : indiquez une date entre le %(min)s et le %(max)s."
) % {"min": f"{DATE_MIN:%d/%m/%Y}", "max": f"{DATE_MAX:%d/%m/%Y}"}

# Range of each integer column type (PostgreSQL's; SQLite holds 64 bits, so these fit).
COLUMN_RANGES: dict[str, tuple[int, int]] = {
    "SmallIntegerField": (-(2**15), 2**15 - 1),
    "IntegerField": (INT_MIN, INT_MAX),
    "BigIntegerField": (-PK_MAX - 1, PK_MAX),
    "PositiveSmallIntegerField": (0, 2**15 - 1),
    "PositiveIntegerField": (0, INT_MAX),
    "PositiveBigIntegerField": (0, PK_MAX),
}


class IntegerField(forms.IntegerField):
    """An integer field bounded to a PostgreSQL integer column unless told otherwise:
    bounds given by the caller are kept, missing ones default to the column's."""

    def __init__(
        self, *, min_value: int | None = None, max_value: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(
            min_value=INT_MIN if min_value is None else min_value,
            max_value=INT_MAX if max_value is None else max_value,
            **kwargs,
        )


def _check_date_range(value: dt.date | dt.datetime | None) -> None:
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(DATE_OUT_OF_RANGE, code="date_out_of_range")


class DateField(forms.DateField):
    """A date within DATE_MIN..DATE_MAX, so that services can add or subtract years."""

    default_validators = [_check_date_range]


class DateTimeField(forms.DateTimeField):
    """A date and time within DATE_MIN..DATE_MAX.

    The range is checked on the naive value before the local time zone is applied:
    converting 0001-01-01 00:00 (Paris) to UTC would fall before year 1 (OverflowError).
    """

    default_validators = [_check_date_range]

    def to_python(self, value: Any) -> dt.datetime | None:
        try:
            return super().to_python(value)
        except OverflowError:
            raise ValidationError(DATE_OUT_OF_RANGE, code="date_out_of_range") from None


def _integer_pk(queryset: Any, to_field_name: str | None) -> bool:
    """The field's values are looked up as an integer key (pk or an integer to_field)."""
    if queryset is None:
        return False
    meta = queryset.model._meta
    field = meta.get_field(to_field_name) if to_field_name else meta.pk
    while isinstance(field, models.ForeignKey | models.OneToOneField):
        field = field.target_field
    return isinstance(field, models.IntegerField | models.AutoField)


def _is_bounded_key(value: Any) -> bool:
    """A value that can name a row of an integer key: an int in the bigint range."""
    if isinstance(value, models.Model):
        return True
    number = parse_int(value if isinstance(value, str | int) else None)
    return number is not None and -PK_MAX - 1 <= number <= PK_MAX


class ModelChoiceField(forms.ModelChoiceField):
    """A model choice whose submitted id is checked to be a bigint before any query."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if _integer_pk(self.queryset, self.to_field_name) and not _is_bounded_key(value):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": str(value)[:40]},
            )
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Model choices whose submitted ids are checked to be bigints before the query
    (`pk__in` with a larger integer overflows SQLite)."""

    def _check_values(self, value: Any) -> Any:
        if _integer_pk(self.queryset, self.to_field_name):
            try:
                values = frozenset(value)
            except TypeError:
                values = frozenset()  # the parent says "not a list"
            for pk in values:
                if not _is_bounded_key(pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": str(pk)[:40]},
                    )
        return super()._check_values(value)


def _bounded_class(db_field: models.Field) -> type[forms.Field] | None:
    """The bounded form field class of a model field, if it has one."""
    if isinstance(db_field, models.DateTimeField):  # before DateField: a subclass of it
        return DateTimeField
    if isinstance(db_field, models.DateField):
        return DateField
    if isinstance(db_field, models.ManyToManyField):
        return ModelMultipleChoiceField
    if isinstance(db_field, models.ForeignKey):
        return ModelChoiceField
    if db_field.get_internal_type() in COLUMN_RANGES:
        return IntegerField
    return None


def bounded_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """The form field of a model field, bounded (a ModelForm's `formfield_callback`).

    Integer columns get their type's range, dates the sane range, relations the bigint
    check; fields with choices and the others are Django's own.
    """
    form_class = None if db_field.choices else _bounded_class(db_field)
    if form_class is not None:
        kwargs.setdefault("form_class", form_class)
    bounds = COLUMN_RANGES.get(db_field.get_internal_type())
    if form_class is IntegerField and bounds is not None:
        kwargs.setdefault("min_value", bounds[0])
        kwargs.setdefault("max_value", bounds[1])
    return db_field.formfield(**kwargs)


class _BoundedModelFormMetaclass(ModelFormMetaclass):
    """Gives each model form's Meta `bounded_formfield` as its `formfield_callback`, unless
    it names its own: Django reads the callback from the Meta only, and a subclass's Meta
    replaces its parent's, so a class attribute on the base form would be lost."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
        meta = attrs.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = staticmethod(bounded_formfield)
        return super().__new__(mcs, name, bases, attrs)


class BoundedModelForm(forms.ModelForm, metaclass=_BoundedModelFormMetaclass):
    """The base of the project's model forms: every field bounded (`bounded_formfield`)."""
