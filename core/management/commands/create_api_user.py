from django.core.management.base import BaseCommand, CommandParser

from core.accounts import api_user_ensure


class Command(BaseCommand):
    help = (
        "Create an API user if needed and print a new API token (shown only now; "
        "it expires after API_TOKEN_TTL_DAYS)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--staff", action="store_true", help="May use /admin/.")
        parser.add_argument(
            "--superuser", action="store_true", help="Staff with every permission."
        )
        parser.add_argument(
            "--password", help="Set this password (otherwise none is usable)."
        )

    def handle(
        self,
        *args,
        username: str,
        staff: bool,
        superuser: bool,
        password: str | None,
        **options,
    ) -> None:
        credentials = api_user_ensure(
            username=username, is_staff=staff, is_superuser=superuser, password=password
        )
        verb = "created" if credentials.was_created else "exists"
        self.stderr.write(
            f"user {username} {verb} (staff: {credentials.user.is_staff})"
        )
        self.stdout.write(credentials.token)
