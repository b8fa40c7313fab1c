"""The `moderators` group: staff who moderate posts and media, and nothing else.

Members may view and change (that is, run the moderation actions on) posts and media
and view communities. They get no permission on drafts or users. Staff users still
need `is_staff` to reach the admin; add them to this group to make them moderators.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "moderators"
PERMISSIONS = {
    ("poster", "post"): ("view", "change"),
    ("poster", "postmedia"): ("view", "change"),
    ("poster", "community"): ("view",),
    ("media_uploads", "mediaasset"): ("view", "change"),
    ("media_uploads", "mediavariant"): ("view", "change"),
}


def moderators_create(apps, schema_editor):
    # Permissions are made by post_migrate, after every migration; on a fresh
    # database they do not exist yet, so make them now.
    for app_label in {app_label for app_label, _ in PERMISSIONS}:
        create_permissions(
            global_apps.get_app_config(app_label),
            apps=apps,
            verbosity=0,
            using=schema_editor.connection.alias,
        )
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=GROUP_NAME)
    codenames = [
        (app_label, f"{action}_{model}")
        for (app_label, model), actions in PERMISSIONS.items()
        for action in actions
    ]
    permissions = [
        permission_model.objects.get(
            content_type__app_label=app_label, codename=codename
        )
        for app_label, codename in codenames
    ]
    group.permissions.set(permissions)


def moderators_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("drafts", "0003_remove_draft_draft_owner_live_recent_and_more"),
        ("media_uploads", "0002_mediaasset_average_color_mediaasset_blurhash_and_more"),
        ("poster", "0002_community_post_postmedia_post_post_community_recent_and_more"),
    ]

    operations = [
        migrations.RunPython(moderators_create, moderators_delete),
    ]
