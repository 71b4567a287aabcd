from django.urls import path

from . import (
    views,
    views_alerts,
    views_create,
    views_entourage,
    views_identity,
    views_identity_edit,
    views_merge,
)
from .views_create import person_create

app_name = "persons"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("acces-exceptionnel/", views.break_glass_search, name="break_glass_search"),
    path("acces-exceptionnel/ouvrir/", views.break_glass_open, name="break_glass_open"),
    # Identity vigilance
    path("<int:pk>/identite/", views_identity.identity_page, name="identity"),
    path("<int:pk>/identite/insi/", views_identity.insi_search, name="identity_insi"),
    path("<int:pk>/identite/insi/etat/", views_identity.insi_status, name="identity_insi_status"),
    path(
        "<int:pk>/identite/insi/accepter/",
        views_identity.insi_accept,
        name="identity_insi_accept",
    ),
    path("<int:pk>/identite/modifier/", views_identity_edit.identity_edit, name="identity_edit"),
    path(
        "<int:pk>/identite/qualification/retrait/",
        views_identity_edit.withdraw_qualification,
        name="identity_withdraw",
    ),
    path("<int:pk>/identite/piece/", views_identity.document_check, name="identity_document"),
    path(
        "<int:pk>/identite/signalement/",
        views_identity.mark_attribute,
        name="identity_attribute",
    ),
    # Creation
    path("nouveau/", person_create, name="create"),
    path("nouveau/signalement/", views_create.identity_alert, name="identity_alert"),
    # Entourage and consents
    path("<int:pk>/entourage/", views_entourage.entourage_page, name="entourage"),
    path("<int:pk>/entourage/proche/", views_entourage.related_add, name="entourage_related"),
    path(
        "<int:pk>/entourage/proche/<int:related_pk>/modifier/",
        views_entourage.related_edit,
        name="entourage_related_edit",
    ),
    path(
        "<int:pk>/entourage/proche/<int:related_pk>/fin/",
        views_entourage.related_end,
        name="entourage_related_end",
    ),
    path("<int:pk>/entourage/mesure/", views_entourage.measure_add, name="entourage_measure"),
    path(
        "<int:pk>/entourage/consentement/",
        views_entourage.consent_add,
        name="entourage_consent",
    ),
    path(
        "<int:pk>/entourage/consentement/<int:consent_pk>/retrait/",
        views_entourage.consent_withdraw,
        name="entourage_consent_withdraw",
    ),
    # Duplicate merge (fusion de doublons)
    path("<int:pk>/fusion/", views_merge.merge_propose, name="merge_propose"),
    path("fusions/", views_merge.merge_list, name="merge_list"),
    path("fusions/signalements/", views_alerts.alert_list, name="identity_alerts"),
    path(
        "fusions/signalements/<int:alert_pk>/traiter/",
        views_alerts.alert_close,
        name="identity_alert_close",
    ),
    path("fusions/<int:merge_pk>/", views_merge.merge_review, name="merge_review"),
    path("fusions/<int:merge_pk>/valider/", views_merge.merge_approve, name="merge_approve"),
    path("fusions/<int:merge_pk>/rejeter/", views_merge.merge_reject, name="merge_reject"),
]
