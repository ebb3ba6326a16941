"""The ``gongzhi`` console script: Django's management commands under one name.

``gongzhi serve``, ``gongzhi demo``, ``gongzhi migrate``, ``gongzhi consensus`` …
are the management commands of the project's apps; ``gongzhi`` alone lists them.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["gongzhi", *argv])
    args[0] = "gongzhi"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
