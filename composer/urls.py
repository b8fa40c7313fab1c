from django.contrib.auth import views as auth_views
from django.urls import path

from composer.views import compose

urlpatterns = [
    path("compose/", compose, name="compose"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
