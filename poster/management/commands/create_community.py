from django.core.management.base import BaseCommand, CommandParser

from drafts.models import DraftKind
from poster.communities import community_ensure


class Command(BaseCommand):
    help = "Create a community if it does not exist (all post kinds allowed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--title", default="")

    def handle(self, *args, name: str, title: str, **options) -> None:
        community = community_ensure(
            name=name, title=title or name, allowed_kinds=list(DraftKind.values)
        )
        self.stdout.write(community.name)
