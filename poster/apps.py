from django.apps import AppConfig


class PosterConfig(AppConfig):
    name = "poster"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from core.events import MEDIA_STATUS, event_subscribe
        from media_uploads.services import media_in_use_condition_register
        from poster.selectors import media_shown_by_posts
        from poster.services import posts_settle_on_media_event

        # Waiting posts publish (or fail) the moment their media settle.
        event_subscribe(MEDIA_STATUS, posts_settle_on_media_event)
        # Media a live post shows cannot be deleted, nor cleaned up as unattached.
        media_in_use_condition_register(media_shown_by_posts)
