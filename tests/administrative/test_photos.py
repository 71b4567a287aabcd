"""Photo: consent first, type by content, resized and re-encoded, served audited, no-store."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from opendui.administrative import services
from opendui.administrative.models import ConsentForm, ConsentGiver, Photo
from opendui.administrative.photos import MAX_SIDE, PhotoRefused
from opendui.administrative.record import banner_photo
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.persons.sections import RecordReading

from .conftest import image_bytes


def photo_url(user, person):
    """The photo the record banner shows `user` (its registered provider)."""
    return banner_photo(RecordReading(user, person))


def consent(user, person):
    return services.record_photo_consent(
        Actor(user=user),
        person,
        given_on=timezone.localdate(),
        given_by=ConsentGiver.PERSON,
        representative=None,
        form=ConsentForm.ORAL,
    )


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_image(photo) -> Image.Image:
    from django.core.files.storage import storages

    with storages["records"].open(photo.storage_name, "rb") as f:
        return Image.open(io.BytesIO(f.read()))


def test_no_photo_without_consent(world, secretary):
    with pytest.raises(PhotoRefused) as error:
        services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    assert "consentement" in error.value.message
    assert not Photo.objects.exists()


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "photo.jpg"), ("PNG", "photo.png")])
def test_a_real_image_is_resized_and_reencoded_as_jpeg(
    world, secretary, records_storage, fmt, name
):
    consent(secretary, world.anne)
    photo = services.store_photo(
        Actor(user=secretary), world.anne, upload(name, image_bytes(fmt, (1200, 900)))
    )
    assert (photo.width, photo.height) == (MAX_SIDE, 360)
    image = stored_image(photo)
    assert image.format == "JPEG" and image.size == (MAX_SIDE, 360)
    assert photo.storage_name.startswith("photos/") and name not in photo.storage_name
    assert list(records_storage.rglob("*.jpg"))  # in the temporary storage, not the repository


def test_exif_orientation_applied_and_metadata_stripped(world, secretary):
    consent(secretary, world.anne)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "Appareil de test"  # Make
    data = image_bytes("JPEG", (800, 400), exif=exif.tobytes())
    photo = services.store_photo(Actor(user=secretary), world.anne, upload("p.jpg", data))
    image = stored_image(photo)
    assert image.size == (240, 480)  # turned upright, then resized
    assert not image.getexif()
    assert "exif" not in image.info


def test_a_text_file_renamed_jpg_is_refused_in_french(world, secretary):
    consent(secretary, world.anne)
    with pytest.raises(PhotoRefused) as error:
        services.store_photo(
            Actor(user=secretary),
            world.anne,
            upload("photo.jpg", b"<html><script>alert(1)</script>"),
        )
    assert "n'est pas une image lisible" in error.value.message
    assert not Photo.objects.exists()


def test_a_gif_is_refused_by_content(world, secretary):
    consent(secretary, world.anne)
    with pytest.raises(PhotoRefused) as error:
        services.store_photo(Actor(user=secretary), world.anne, upload("p.jpg", image_bytes("GIF")))
    assert "GIF" in error.value.message


def test_oversize_and_empty_files_are_refused(world, secretary, settings, records_storage):
    consent(secretary, world.anne)
    settings.PHOTO_MAX_BYTES = 1024
    with pytest.raises(PhotoRefused) as error:
        services.store_photo(Actor(user=secretary), world.anne, upload("p.jpg", b"x" * 2048))
    assert "taille maximale" in error.value.message
    with pytest.raises(PhotoRefused) as error:
        services.store_photo(Actor(user=secretary), world.anne, upload("p.jpg", b""))
    assert "vide" in error.value.message
    assert not Photo.objects.exists()
    assert not list(records_storage.rglob("*.jpg"))


def test_replacing_keeps_the_previous_photo(world, secretary):
    consent(secretary, world.anne)
    first = services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    second = services.store_photo(
        Actor(user=secretary), world.anne, upload("b.png", image_bytes("PNG"))
    )
    first.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None
    assert photo_url(secretary, world.anne) == f"/administratif/photo/{second.pk}/"


def test_photo_url_hidden_without_permission_or_after_withdrawal(
    world, secretary, django_assert_max_num_queries
):
    given = consent(secretary, world.anne)
    photo = services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    outsider = world.user("educateur", facility=world.ime)
    assert photo_url(outsider, world.anne) is None
    assert photo_url(secretary, world.bruno) is None  # no photo
    world.anne.refresh_from_db()
    check_user = world.user("accueil", facility=world.ehpad)
    photo_url(check_user, world.anne)  # assignments and placements loaded
    with django_assert_max_num_queries(1):
        assert photo_url(check_user, world.anne) == f"/administratif/photo/{photo.pk}/"
    services.withdraw_photo_consent(
        Actor(user=secretary),
        given,
        on=timezone.localdate(),
        reason="Ne souhaite plus",
        expected_version=given.version,
    )
    assert photo_url(secretary, world.anne) is None
    photo.refresh_from_db()  # kept, hidden


def test_the_photo_view_checks_audits_and_forbids_caching(world, login, secretary):
    consent(secretary, world.anne)
    photo = services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    client = login(secretary)
    response = client.get(f"/administratif/photo/{photo.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(response.content)).format == "JPEG"
    event = AuditEvent.objects.get(action="administrative.photo_view")
    assert event.details["photo"] == photo.pk


def test_the_photo_of_another_facility_is_refused(world, login, secretary):
    consent(secretary, world.anne)
    photo = services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    client = login(world.user("accueil", facility=world.ime))
    assert client.get(f"/administratif/photo/{photo.pk}/").status_code == 403
    assert not AuditEvent.objects.filter(action="administrative.photo_view").exists()


def test_upload_page_refuses_a_fake_image_with_a_french_message(world, login, secretary):
    consent(secretary, world.anne)
    client = login(secretary)
    page = client.get(f"/administratif/personne/{world.anne.pk}/photo/")
    assert 'capture="user"' in page.content.decode() and 'accept="image/*"' in page.content.decode()
    response = client.post(
        f"/administratif/personne/{world.anne.pk}/photo/",
        {"image": upload("photo.jpg", b"MZ\x90\x00 not an image")},
    )
    assert response.status_code == 400
    assert "n&#x27;est pas une image lisible" in response.content.decode()
    assert not Photo.objects.exists()
    ok = client.post(
        f"/administratif/personne/{world.anne.pk}/photo/",
        {"image": upload("photo.jpg", image_bytes())},
    )
    assert ok.status_code == 302
    assert Photo.objects.count() == 1


def test_consent_by_a_representative_needs_one(world, secretary):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.record_photo_consent(
            Actor(user=secretary),
            world.anne,
            given_on=dt.date(2026, 1, 1),
            given_by=ConsentGiver.REPRESENTATIVE,
            representative=None,
            form=ConsentForm.WRITTEN,
        )
    assert "représentant" in " ".join(error.value.message_dict["representative"])


def test_storage_down_leaves_nothing_and_says_so(world, secretary, monkeypatch):
    from django.core.files.storage import storages

    consent(secretary, world.anne)
    storage = storages["records"]

    def down(*args, **kwargs):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(storage, "save", down)
    with pytest.raises(PhotoRefused) as error:
        services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    assert "indisponible" in error.value.message
    assert not Photo.objects.exists()


def test_a_failed_row_write_removes_the_stored_file(world, secretary, monkeypatch, records_storage):
    consent(secretary, world.anne)

    def broken(*args, **kwargs):
        raise RuntimeError("database failure")

    monkeypatch.setattr(services, "save_audited", broken)
    with pytest.raises(RuntimeError):
        services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    assert not Photo.objects.exists()
    assert not list(records_storage.rglob("*.jpg"))  # no orphan file


def test_a_missing_file_is_a_404_an_unreachable_storage_a_503(world, login, secretary, monkeypatch):
    from django.core.files.storage import storages

    consent(secretary, world.anne)
    photo = services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    storages["records"].delete(photo.storage_name)
    client = login(secretary)
    assert client.get(f"/administratif/photo/{photo.pk}/").status_code == 404

    def unreachable(*args, **kwargs):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(storages["records"], "open", unreachable)
    response = client.get(f"/administratif/photo/{photo.pk}/")
    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"


def test_withdrawing_the_consent_from_the_page_hides_the_photo(world, login, secretary):
    given = consent(secretary, world.anne)
    photo = services.store_photo(Actor(user=secretary), world.anne, upload("a.jpg", image_bytes()))
    client = login(secretary)
    page = client.get(f"/administratif/personne/{world.anne.pk}/")
    assert f"/administratif/photo/{photo.pk}/" in page.content.decode()
    form = page.context["withdraw_form"]
    url = f"/administratif/personne/{world.anne.pk}/photo/consentement/{given.pk}/retrait/"
    data = {
        "on": timezone.localdate().isoformat(),
        "reason": "Ne souhaite plus",
        "expected_version": form["expected_version"].value(),
    }
    response = client.post(url, data, follow=True)
    assert "la photo n'est plus affichée" in response.content.decode().replace("&#x27;", "'")
    given.refresh_from_db()
    assert given.withdrawn_on == timezone.localdate()
    assert f"/administratif/photo/{photo.pk}/" not in response.content.decode()
    assert client.get(f"/administratif/photo/{photo.pk}/").status_code == 404
    assert Photo.objects.filter(pk=photo.pk).exists()  # kept


def test_a_decompression_bomb_is_refused_before_decoding(world, secretary):
    consent(secretary, world.anne)
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 Mpx in a few kB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(PhotoRefused) as error:
        services.store_photo(Actor(user=secretary), world.anne, upload("p.png", out.getvalue()))
    assert "trop grande" in error.value.message
    assert not Photo.objects.exists()
