from django.core.management.base import BaseCommand, CommandError

from gongzhi.cases.open311 import issue_key
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue an Open311 API key for a client; the key is printed as the last line (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's name")

    def handle(self, *args, name, **opts):
        try:
            key = issue_key(SYSTEM, name)  # the operator's command
        except DomainError as e:
            raise CommandError(e.message) from e
        self.stdout.write(f"Open311 key for {name}:")
        self.stdout.write(key)
