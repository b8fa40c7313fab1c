from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import urlpatterns as poster_urlpatterns


class CrashingApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


urlpatterns = [path("api/v1/crash/", CrashingApi.as_view()), *poster_urlpatterns]
