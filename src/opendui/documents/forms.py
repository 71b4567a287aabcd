"""Forms of the document store: upload, replacement, withdrawal.

The file inputs come last in each form, so that an oversize body stopped while it is
read (uploads.py) still carries the CSRF and one-time tokens that precede them.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.accounts.permissions import DATA_CATEGORY_LABELS, DataCategory
from opendui.core import fields as bounded
from opendui.organisations.models import Facility

from .codes import class_codes, document_types, type_from_key
from .models import AuthorKind, Confidentiality

ACCEPT = (
    ".pdf,.jpg,.jpeg,.png,.tif,.tiff,.odt,.docx,application/pdf,image/jpeg,image/png,"
    "image/tiff,application/vnd.oasis.opendocument.text,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the pages photographed with a tablet)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def type_choices() -> list:
    local, national = [], []
    for doc_type in document_types().values():
        (local if doc_type.system == "LOCAL" else national).append((doc_type.key, doc_type.label))
    national.sort(key=lambda choice: choice[1].lower())
    return [
        ("", _("Choisissez un type")),
        (_("Types de documents médico-sociaux"), local),
        (_("Types nationaux (JDV_J07, CI-SIS)"), national),
    ]


class FilesMixin(forms.Form):
    file = forms.FileField(
        label=_("Fichier"),
        required=False,
        help_text=_("PDF, JPEG, PNG, TIFF, ODT ou DOCX."),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    photos = MultipleFileField(
        label=_("Ou photographier les pages"),
        required=False,
        help_text=_("Une photo par page ; elles sont assemblées en un seul PDF, dans l'ordre."),
    )

    def clean(self):
        cleaned = super().clean()
        file, photos = cleaned.get("file"), cleaned.get("photos") or []
        if file and photos:
            self.add_error("file", _("Joignez un fichier ou des photos, pas les deux."))
        elif not file and not photos and not self.errors:
            self.add_error("file", _("Joignez un fichier ou photographiez le document."))
        cleaned["files"] = [file] if file else list(photos)
        return cleaned


class DocumentForm(FilesMixin):
    type = forms.ChoiceField(label=_("Type de document"), choices=())
    title = forms.CharField(label=_("Titre"), max_length=200)
    act_date = bounded.DateField(
        label=_("Date de l'acte"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    data_category = forms.ChoiceField(
        label=_("Catégorie de données (qui peut le lire)"),
        required=False,
        help_text=_("Par défaut, celle du type (une ordonnance est médicale, par exemple)."),
    )
    class_code = forms.ChoiceField(label=_("Classe (JDV_J06)"), required=False)
    facility = bounded.ModelChoiceField(label=_("Établissement"), queryset=Facility.objects.none())
    author_kind = forms.ChoiceField(
        label=_("Auteur"), choices=AuthorKind.choices, initial=AuthorKind.PROFESSIONAL
    )
    author_name = forms.CharField(
        label=_("Nom de l'auteur (professionnel extérieur ou proche)"),
        max_length=200,
        required=False,
    )
    confidentiality = forms.ChoiceField(
        label=_("Confidentialité"), choices=Confidentiality.choices, initial="N"
    )
    field_order = [
        "type",
        "title",
        "act_date",
        "data_category",
        "class_code",
        "facility",
        "author_kind",
        "author_name",
        "confidentiality",
        "file",
        "photos",
    ]

    def __init__(self, *args, categories: list[str], facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        self.fields["type"].choices = type_choices()
        self.fields["data_category"].choices = [("", _("Selon le type"))] + [
            (c, DATA_CATEGORY_LABELS[DataCategory(c)]) for c in categories
        ]
        self.fields["class_code"].choices = [("", _("Selon le type"))] + [
            (code, f"{code} – {label}") for code, label in class_codes().items()
        ]
        self.fields["facility"].queryset = facilities
        if len(facilities) == 1:
            self.fields["facility"].initial = facilities[0]
        self.fields["act_date"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        doc_type = type_from_key(cleaned.get("type", ""))
        if doc_type is None:
            return cleaned
        cleaned["doc_type"] = doc_type
        category = cleaned.get("data_category") or doc_type.default_category
        if category not in self.categories:
            self.add_error(
                "data_category",
                _(
                    "Vous ne pouvez pas ajouter de document de la catégorie « %(category)s » "
                    "pour cette personne : choisissez une autre catégorie."
                )
                % {"category": DATA_CATEGORY_LABELS[DataCategory(category)]},
            )
        cleaned["category"] = category
        return cleaned


class ReplaceForm(FilesMixin):
    version = bounded.IntegerField(widget=forms.HiddenInput, min_value=0)
    field_order = ["version", "file", "photos"]


class WithdrawForm(forms.Form):
    version = bounded.IntegerField(widget=forms.HiddenInput, min_value=0)
    reason = forms.CharField(
        label=_("Motif du retrait"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : document déposé dans le mauvais dossier."),
    )
