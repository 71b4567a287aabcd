"""core.fields: bounded form fields, and every form of the project uses them."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

import pytest
from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

import opendui
from opendui.core import fields as bounded
from opendui.core.params import DATE_MAX, DATE_MIN, INT_MAX

UNBOUNDED = [
    (forms.ModelMultipleChoiceField, bounded.ModelMultipleChoiceField),
    (forms.ModelChoiceField, bounded.ModelChoiceField),
    (forms.IntegerField, bounded.IntegerField),
    (forms.DateTimeField, bounded.DateTimeField),
    (forms.DateField, bounded.DateField),
]


def _project_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(opendui.__path__, "opendui."):
        leaf = module.name.rsplit(".", 1)[-1]
        if leaf.startswith(("forms", "views")) and ".migrations" not in module.name:
            importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("opendui."):
            found.append(cls)
    return found


def test_every_form_of_the_project_uses_bounded_fields():
    """A Django integer, date or model-choice field used directly lets a huge value or a
    date at the calendar ends reach the database or date arithmetic: an HTTP 500."""
    classes = _project_forms()
    assert len(classes) > 50
    wrong = [
        f"{cls.__module__}.{cls.__name__}.{name}: {type(field).__name__}"
        for cls in classes
        for name, field in cls.base_fields.items()
        for django_class, safe in UNBOUNDED
        if isinstance(field, django_class) and not isinstance(field, safe)
        if not any(isinstance(field, s) for _, s in UNBOUNDED)
    ]
    assert not wrong, f"utilisez opendui.core.fields : {wrong}"


@given(st.integers())
def test_integer_field_is_bounded_to_the_column(number):
    field = bounded.IntegerField(required=False)
    if -(2**31) <= number <= INT_MAX:
        assert field.clean(str(number)) == number
    else:
        with pytest.raises(forms.ValidationError):
            field.clean(str(number))


def test_integer_field_keeps_narrower_bounds():
    field = bounded.IntegerField(min_value=0, max_value=10)
    with pytest.raises(forms.ValidationError):
        field.clean("11")
    with pytest.raises(forms.ValidationError):
        field.clean("-1")


@settings(deadline=None)
@given(st.dates())
def test_date_fields_accept_only_the_sane_range(day):
    date_field, datetime_field = bounded.DateField(), bounded.DateTimeField()
    text = day.isoformat()
    if DATE_MIN <= day <= DATE_MAX:
        assert date_field.clean(text) == day
        assert datetime_field.clean(f"{text}T10:00").date() == day
    else:
        for field, value in ((date_field, text), (datetime_field, f"{text}T00:00")):
            with pytest.raises(forms.ValidationError) as error:
                field.clean(value)
            assert "Date hors des limites" in str(error.value)


def test_datetime_at_year_one_is_a_form_error_not_an_overflow():
    with pytest.raises(forms.ValidationError):
        bounded.DateTimeField().clean(dt.datetime(1, 1, 1).isoformat())


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999", "²", "x"])
def test_model_choice_ids_beyond_a_bigint_are_refused_before_any_query(
    value, django_assert_num_queries
):
    from opendui.persons.models import Person

    single = bounded.ModelChoiceField(queryset=Person.objects.all())
    multiple = bounded.ModelMultipleChoiceField(queryset=Person.objects.all())
    with django_assert_num_queries(0):
        with pytest.raises(forms.ValidationError):
            single.clean(value)
        with pytest.raises(forms.ValidationError):
            multiple.clean([value])


def test_model_forms_get_bounded_fields():
    from opendui.organisations.forms import FacilityForm

    capacity = [f for f in FacilityForm.base_fields.values() if isinstance(f, bounded.IntegerField)]
    assert capacity and all(f.max_value is not None for f in capacity)
    assert isinstance(FacilityForm.base_fields["category"], bounded.ModelChoiceField)
