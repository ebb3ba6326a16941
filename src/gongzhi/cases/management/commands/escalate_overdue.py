from django.core.management.base import BaseCommand

from gongzhi.cases import services


class Command(BaseCommand):
    help = "Escalate overdue requests to the level above and flag emergency bypasses not filed in time (run from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="enqueue the background task instead")

    def handle(self, *args, enqueue, **opts):
        if enqueue:
            from gongzhi.cases.tasks import escalate_overdue

            result = escalate_overdue.enqueue()
            self.stdout.write(f"enqueued {result.id}")
            return
        n = services.escalate_overdue()
        b = services.flag_unfiled_bypasses()
        self.stdout.write(f"escalated {n} overdue request(s); flagged {b} unfiled bypass(es)")
