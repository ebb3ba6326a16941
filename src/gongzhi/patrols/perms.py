"""The patrols module's actions, in the one permission table (``org.permissions``).

Recording a patrol is the grid worker's (of their own grids: ``services.may_record``) and a cadre's
within their area; setting how often grids are patrolled is for community and street cadres and the
district administrator."""

from __future__ import annotations

from gongzhi.org.kinds import StaffRoleKind as R

from .services import RECORD, SET_CADENCE

ROLE_ACTIONS = {
    R.GRID_WORKER: frozenset({RECORD}),
    R.COMMUNITY_CADRE: frozenset({RECORD, SET_CADENCE}),
    R.STREET_CADRE: frozenset({RECORD, SET_CADENCE}),
    R.DISTRICT_ADMIN: frozenset({RECORD, SET_CADENCE}),
}
LABELS = {RECORD: "记录网格巡查", SET_CADENCE: "设置巡查周期"}
