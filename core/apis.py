from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.event_apis import events_url


class MeOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Me"

    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()
    events_url = serializers.URLField(
        help_text="Where to open your live event stream (GET, text/event-stream)."
    )


class MeApi(APIView):
    """Who the caller is: lets a client check its token."""

    @extend_schema(
        operation_id="me", summary="Who you are", responses={200: MeOutputSerializer}
    )
    def get(self, request: Request) -> Response:
        me = {
            "id": request.user.pk,
            "username": request.user.get_username(),
            "is_staff": request.user.is_staff,
            "events_url": events_url(request),
        }
        return Response(MeOutputSerializer(me).data)
