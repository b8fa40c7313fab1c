from django.apps import AppConfig


class MediaUploadsConfig(AppConfig):
    name = "media_uploads"
