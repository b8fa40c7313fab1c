from django.apps import AppConfig


class ComposerConfig(AppConfig):
    """The composer web page: a client of the public API, on top of the stack."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "composer"
