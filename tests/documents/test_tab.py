"""The documents tab: bounded queries with 1 and 500 documents; the reconcile command."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from opendui.core.actor import Actor
from opendui.documents import store
from opendui.documents.models import Document, DocumentVersion
from opendui.documents.services import store_document

from .conftest import pdf_bytes, stored_names

pytestmark = pytest.mark.django_db


def many_documents(world, count: int, category: str = "administrative") -> None:
    now = timezone.now()
    documents = Document.objects.bulk_create(
        Document(
            person=world.anne,
            facility=world.ehpad,
            data_category=category,
            type_system="LOCAL",
            type_code="COURRIER",
            type_label="Courrier",
            title=f"Courrier {i}",
            act_date=dt.date(2020, 1, 1) + dt.timedelta(days=i),
            author_kind="person",
        )
        for i in range(count)
    )
    versions = DocumentVersion.objects.bulk_create(
        DocumentVersion(
            document=d,
            number=1,
            stored_name=f"documents/{category}-{d.pk}",
            original_name="c.pdf",
            mime_type="application/pdf",
            size=10,
            sha256="0" * 64,
            uploaded_at=now,
        )
        for d in documents
    )
    for document, version in zip(documents, versions, strict=True):
        document.current, document.version_count = version, 1
    Document.objects.bulk_update(documents, ["current", "version_count"])


@pytest.mark.parametrize("count", [1, 500])
def test_the_tab_issues_a_bounded_number_of_queries(
    world, client, login, count, django_assert_max_num_queries
):
    many_documents(world, count)
    many_documents(world, 3, category="medical")
    user = world.user("accueil", facility=world.ehpad)
    login(user)
    url = reverse("documents:person_documents", args=[world.anne.pk])
    # 14 + the record banner (photo, rights) + the DMP status of the page (one query).
    with django_assert_max_num_queries(18):
        response = client.get(url)
    assert response.status_code == 200
    shown = response.content.decode().count('href="/documents/')
    assert "Courrier" in response.content.decode()
    # 25 per page; the medical documents are never loaded for the secretariat.
    assert Document.objects.filter(data_category="medical").count() == 3
    assert shown >= min(count, 25)
    assert "medical-" not in response.content.decode()


def test_reconcile_removes_old_orphan_files_and_reports_missing_ones(world, capsys):
    user = world.user("accueil", facility=world.ehpad)
    document = store_document(
        Actor(user=user),
        world.anne,
        facility=world.ehpad,
        data_category="administrative",
        type_code="COURRIER",
        title="Courrier",
        act_date=dt.date(2026, 11, 2),
        files=[("c.pdf", pdf_bytes())],
    )
    orphan = store.write(store.new_name(), b"left over")
    young = store.write(store.new_name(), b"upload in progress")
    old = timezone.now().timestamp() - 3 * 3600
    os.utime(store.records().path(orphan), (old, old))
    DocumentVersion.objects.create(
        document=document,
        number=2,
        stored_name="documents/lost",
        original_name="x.pdf",
        mime_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )
    with pytest.raises(SystemExit):
        call_command("documents", "reconcile", "--minutes", "60", "--supprimer")
    out = capsys.readouterr().out
    assert f"Fichier sans document : {orphan} – supprimé" in out
    assert f"{young} – gardé" in out
    assert "sans fichier : documents/lost" in out
    assert sorted(stored_names()) == sorted([document.current.stored_name, young])
