"""The ops app's own task: a probe through a queue, to see that its workers take work and how fast."""

from __future__ import annotations

import time

from django_tasks import task


@task()
def probe(seconds: float = 0.0) -> float:
    """Wait ``seconds`` (a long task, to watch a worker's death and the task's re-run) and return it.
    ``gongzhi status --probe QUEUE`` enqueues it with ``.using(queue_name=...)``."""
    time.sleep(max(0.0, float(seconds)))
    return float(seconds)
