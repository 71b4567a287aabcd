"""The directory's phone numbers, stored until now in the French national form
(`01 23 45 67 89`), are brought to the stored form of core.phones, E.164 (`+33123456789`),
the one the administrative file already uses. A value the rule cannot read is left as it
is. Backwards, French numbers (metropolitan and overseas) go back to the national form."""

from django.db import migrations

from opendui.core.phones import display_phone, stored_phone

MODELS = ("ExternalProfessional", "ExternalStructure")


def _convert(apps, convert) -> None:
    for name in MODELS:
        model = apps.get_model("directory", name)
        rows = model.objects.exclude(phone="").values_list("pk", "phone")
        for pk, phone in list(rows):
            new = convert(phone)
            if new != phone:
                model.objects.filter(pk=pk).update(phone=new)


def to_international(apps, schema_editor) -> None:
    _convert(apps, stored_phone)


def to_national(apps, schema_editor) -> None:
    _convert(apps, display_phone)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_default_permissions"),
    ]

    operations = [
        migrations.RunPython(to_international, to_national, elidable=False),
    ]
