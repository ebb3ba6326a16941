from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.services import issue_api_token


class Command(BaseCommand):
    help = "Issue an API token for a user; the token is printed as the last line (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for")

    def handle(self, *args, username, name, **opts):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户{username}不存在 (no such user)")
        try:
            key = issue_api_token(SYSTEM, user, name)
        except DomainError as e:
            raise CommandError(e.message) from e
        self.stdout.write(key)
