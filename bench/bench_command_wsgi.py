"""The WSGI application for bench/bench_command.py's HTTP mode: gongzhi.wsgi with the command centres'
read path chosen by GONGZHI_BENCH_READ_PATH ("grains", the default, or "days": the day tables only, the
path before the month and year grains) and the figures cache by GONGZHI_BENCH_FIGURES_CACHE ("0": off),
so that every configuration is measured by the same bench run."""

import importlib
import os

from gongzhi.wsgi import application  # sets Django up

__all__ = ["application"]

# imported after the setup (it imports models)
queries = importlib.import_module("gongzhi.command.queries")
queries.READ_PATH = os.environ.get("GONGZHI_BENCH_READ_PATH", "grains")
if os.environ.get("GONGZHI_BENCH_FIGURES_CACHE") == "0":
    queries.FIGURES_CACHE_SECONDS = 0
