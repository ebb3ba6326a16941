import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
django_application = get_wsgi_application()

from gongzhi.api.fastpath import FastIntake  # noqa: E402  (after Django is set up)
from gongzhi.ops.slowclients import BodyReadTimeout  # noqa: E402

# Filing a request through the API takes a lean route; every other call is Django's. A body that
# stops arriving fails after GONGZHI_BODY_READ_TIMEOUT seconds instead of holding its worker.
application = BodyReadTimeout(FastIntake(django_application))
