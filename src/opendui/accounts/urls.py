from django.urls import path

from . import views_admin, views_auth

app_name = "accounts"

urlpatterns = [
    path("connexion/", views_auth.login_view, name="login"),
    path("connexion/second-facteur/", views_auth.totp_view, name="totp"),
    path("connexion/second-facteur/activer/", views_auth.totp_enrol_view, name="totp_enrol"),
    path("deconnexion/", views_auth.logout_view, name="logout"),
    path("compte/securite/", views_auth.security_view, name="security"),
    path("compte/mot-de-passe/", views_auth.PasswordChange.as_view(), name="password_change"),
    path("professionnels/", views_admin.user_list, name="user_list"),
    path("roles/", views_admin.role_list, name="role_list"),
]
