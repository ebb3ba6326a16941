"""The WSGI application for bench/bench_command.py's HTTP mode: gongzhi.wsgi with the command centres'
read path chosen by GONGZHI_BENCH_READ_PATH ("grains", the default, or "days": the day tables only, the
path before the month and year grains), so that both are measured by the same bench run."""

import importlib
import os

from gongzhi.wsgi import application  # sets Django up

__all__ = ["application"]

# imported after the setup (it imports models)
importlib.import_module("gongzhi.command.queries").READ_PATH = os.environ.get("GONGZHI_BENCH_READ_PATH", "grains")
