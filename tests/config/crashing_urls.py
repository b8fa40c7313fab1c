from django.http import HttpResponseServerError
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import urlpatterns as poster_urlpatterns


class CrashingApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


def plain_500(request):
    return HttpResponseServerError("<h1>Server Error</h1>")


urlpatterns = [
    path("api/v1/crash/", CrashingApi.as_view()),
    path("api/v1/plain-500/", plain_500),
    *poster_urlpatterns,
]
