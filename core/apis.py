from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class MeOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Me"

    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()


class MeApi(APIView):
    """Who the caller is: lets a client check its token."""

    @extend_schema(
        operation_id="me", summary="Who you are", responses={200: MeOutputSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)
