"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms


class SearchableCheckboxes(forms.CheckboxSelectMultiple):
    """A list of checkboxes with a search box that filters it (`static/opendui/picker.js`).

    Picking residents by Ctrl-click in a list of 70 was a dead end: here each choice is a
    native checkbox with its label (keyboard and screen readers need nothing more), in a
    scrolling list; the script adds a labelled search box that hides the choices not
    matching (accents and case ignored, checked ones always shown) and says in a polite
    live region how many are shown and checked. Without JavaScript the list works as is.
    No request is made while typing: the choices are those the form already lists, from
    the reader's scope.
    """

    template_name = "core/widgets/searchable_checkboxes.html"
    searchable = True  # field.html renders the widget itself inside its fieldset

    def __init__(self, attrs=None, choices=(), *, search_label: str = "Rechercher") -> None:
        super().__init__(attrs, choices)
        self.search_label = search_label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_label"] = self.search_label
        return context
