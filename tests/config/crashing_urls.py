import copy
import socket

import redis
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.http import HttpResponseServerError
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import urlpatterns as poster_urlpatterns


class CrashingApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DatabaseDownApi(APIView):
    """Query a PostgreSQL that is not there, as every request does while it restarts."""

    permission_classes = [AllowAny]

    def get(self, request):
        down = copy.deepcopy(connection.settings_dict)
        down.update(HOST="127.0.0.1", PORT=closed_port())
        database = DatabaseWrapper(down, alias="down")
        try:
            with database.cursor() as cursor:
                cursor.execute("select 1")
        finally:
            database.close()


class RedisDownApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        redis.Redis(host="127.0.0.1", port=closed_port(), socket_timeout=2).ping()


def plain_500(request):
    return HttpResponseServerError("<h1>Server Error</h1>")


urlpatterns = [
    path("api/v1/crash/", CrashingApi.as_view()),
    path("api/v1/plain-500/", plain_500),
    path("api/v1/database-down/", DatabaseDownApi.as_view()),
    path("api/v1/redis-down/", RedisDownApi.as_view()),
    *poster_urlpatterns,
]
