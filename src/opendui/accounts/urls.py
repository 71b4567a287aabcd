from django.urls import path

from . import views_admin, views_auth, views_grants, views_psc

app_name = "accounts"

urlpatterns = [
    path("connexion/", views_auth.login_view, name="login"),
    path("connexion/psc/", views_psc.psc_start, name="psc_start"),
    path("connexion/psc/retour/", views_psc.psc_callback, name="psc_callback"),
    path("connexion/psc/situation/", views_psc.psc_exercice, name="psc_exercice"),
    path("connexion/second-facteur/", views_auth.totp_view, name="totp"),
    path("connexion/second-facteur/activer/", views_auth.totp_enrol_view, name="totp_enrol"),
    path("deconnexion/", views_auth.logout_view, name="logout"),
    path("compte/securite/", views_auth.security_view, name="security"),
    path("compte/mot-de-passe/", views_auth.PasswordChange.as_view(), name="password_change"),
    path("mot-de-passe-oublie/", views_auth.PasswordReset.as_view(), name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        views_auth.PasswordResetDone.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        views_auth.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        views_auth.PasswordResetComplete.as_view(),
        name="password_reset_complete",
    ),
    path("professionnels/", views_admin.user_list, name="user_list"),
    path("roles/", views_admin.role_list, name="role_list"),
    path("professionnels/nouveau/", views_admin.user_create, name="user_create"),
    path("professionnels/<int:pk>/", views_admin.user_detail, name="user_detail"),
    path("professionnels/<int:pk>/modifier/", views_admin.user_edit, name="user_edit"),
    path(
        "professionnels/<int:pk>/desactiver/", views_admin.user_deactivate, name="user_deactivate"
    ),
    path("professionnels/<int:pk>/reactiver/", views_admin.user_reactivate, name="user_reactivate"),
    path("professionnels/<int:pk>/deverrouiller/", views_admin.user_unlock, name="user_unlock"),
    path(
        "professionnels/<int:pk>/mot-de-passe/reinitialiser/",
        views_admin.user_reset_password,
        name="user_reset_password",
    ),
    path(
        "professionnels/<int:pk>/second-facteur/reinitialiser/",
        views_admin.user_reset_totp,
        name="user_reset_totp",
    ),
    path(
        "professionnels/<int:pk>/affectations/nouvelle/",
        views_admin.assignment_create,
        name="assignment_create",
    ),
    path("affectations/<int:pk>/terminer/", views_admin.assignment_end, name="assignment_end"),
    path("roles/nouveau/", views_admin.role_create, name="role_create"),
    path("roles/<int:pk>/modifier/", views_admin.role_edit, name="role_edit"),
    path("habilitations/demandes/", views_grants.grant_list, name="grant_list"),
    path("habilitations/demandes/<int:pk>/", views_grants.grant_detail, name="grant_detail"),
    path(
        "habilitations/demandes/<int:pk>/decider/",
        views_grants.grant_decide,
        name="grant_decide",
    ),
    path(
        "habilitations/demandes/<int:pk>/annuler/",
        views_grants.grant_cancel,
        name="grant_cancel",
    ),
]
