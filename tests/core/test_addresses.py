"""Postal addresses (core.addresses, core.address_forms): one rule and one wording for the
administrative file and the directory, which keep their own columns."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from opendui.administrative.forms import AddressForm
from opendui.administrative.models import Address
from opendui.core.address_forms import PostalAddressFields
from opendui.core.addresses import FRENCH_POSTAL_CODE, one_line, postal_code_problem
from opendui.directory.forms import ProfessionalForm, StructureForm


@given(st.from_regex(r"[0-9]{5}", fullmatch=True))
def test_five_digits_are_a_french_postal_code(code):
    assert postal_code_problem(code) is None


@given(st.text(max_size=8).filter(lambda t: not (len(t) == 5 and t.isdigit())))
def test_anything_else_is_refused_in_french(text):
    assert postal_code_problem(text) == FRENCH_POSTAL_CODE


def test_one_line_skips_empty_parts():
    assert one_line("3 rue Haute", "", "69001", " Lyon ") == "3 rue Haute, 69001, Lyon"
    assert one_line("", "  ") == ""


def test_plain_form_fields_trim_and_check_the_postal_code():
    form = PostalAddressFields({"address": "3 rue Haute", "postal_code": " 69001 ", "city": ""})
    assert form.is_valid() and form.cleaned_data["postal_code"] == "69001"
    form = PostalAddressFields({"postal_code": "6900A"})
    assert form.errors == {"postal_code": [FRENCH_POSTAL_CODE]}
    assert PostalAddressFields({}).is_valid()  # every part optional


@pytest.mark.parametrize("form_class", [ProfessionalForm, StructureForm])
def test_directory_forms_and_the_administrative_file_say_the_same(form_class, db):
    form = form_class({"last_name": "Moreau", "name": "Pharmacie", "postal_code": "7501"})
    assert form.errors["postal_code"] == [FRENCH_POSTAL_CODE]
    address = Address(kind="domicile", line1="3 rue Haute", postal_code="7501", city="Paris")
    with pytest.raises(ValidationError) as error:
        address.clean()
    assert error.value.message_dict["postal_code"] == [FRENCH_POSTAL_CODE]


def test_both_shapes_give_the_browser_the_same_hints():
    directory = StructureForm().fields
    administrative = AddressForm().fields
    for name in ("postal_code", "city"):
        assert (
            directory[name].widget.attrs["autocomplete"]
            == (administrative[name].widget.attrs["autocomplete"])
        )
    assert administrative["postal_code"].widget.attrs["inputmode"] == "numeric"
    assert administrative["line1"].widget.attrs["autocomplete"] == "address-line1"
