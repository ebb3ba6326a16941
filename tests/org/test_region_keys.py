"""Unique constraints of place-bound rows lead with region_id (the distribution key for sharding by
region) where the rule stays the same: an active grid assignment is still one per (grid, person, kind)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from gongzhi.org.models import Grid, GridAssignment, Person

pytestmark = pytest.mark.django_db


def test_active_grid_assignment_is_unique_and_keyed_by_region(world):
    constraint = next(c for c in GridAssignment._meta.constraints if c.name == "org_uniq_active_grid_assignment")
    assert constraint.fields[0] == "region"
    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    person = Person.objects.filter(region=world.comm_a).order_by("id").first()
    kind = GridAssignment.Kind.GRID_WORKER
    GridAssignment.objects.filter(grid=grid, person=person, kind=kind).delete()
    GridAssignment.objects.create(grid=grid, person=person, kind=kind, region=grid.region, start_date="2026-01-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        GridAssignment.objects.create(grid=grid, person=person, kind=kind, region=grid.region, start_date="2026-02-01")
    # every assignment's region is its grid's: the demo and the service write it so
    assert not GridAssignment.objects.exclude(region=grid.region).filter(grid__region=grid.region).exists()
