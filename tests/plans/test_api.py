"""The plans API: goals, decomposition, the loop, idempotency, errors, figures."""

from __future__ import annotations

from gongzhi.plans.models import Adjustment, Goal, ProgressUpdate, Task

from .conftest import days


def post(client, url, data, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, data, content_type="application/json", **extra)


def test_create_goal_and_decompose_with_idempotency(pw, users, client):
    client.force_login(users["street_cadre"])
    body = {
        "title": "背街小巷整治",
        "source_kind": "directive",
        "directive_ref": "区办发〔2026〕8号",
        "directive_issuer": pw.dgov.code,
        "region": pw.street_a.code,
        "lead_unit": pw.gov_a.code,
        "starts_on": pw.today.isoformat(),
        "due_on": days(pw, 90).isoformat(),
    }
    r = post(client, "/api/v1/plans/goals", body, key="g-1")
    assert r.status_code == 201, r.content
    again = post(client, "/api/v1/plans/goals", body, key="g-1")
    assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert Goal.objects.filter(title="背街小巷整治").count() == 1
    gid = r.json()["id"]
    task = {
        "title": "清理堆物",
        "unit": pw.rc_a.code,
        "deadline": days(pw, 30).isoformat(),
        "quality_standard": "无堆物",
        "indicator_name": "清理点位",
        "target": 12,
    }
    t = post(client, f"/api/v1/plans/goals/{gid}/tasks", task, key="t-1")
    assert t.status_code == 201 and t.json()["unit"] == pw.rc_a.code and t.json()["progress"] == 0
    assert post(client, f"/api/v1/plans/goals/{gid}/tasks", task, key="t-1").json()["id"] == t.json()["id"]
    assert Task.objects.filter(goal_id=gid).count() == 1
    # Bad input: no responsible unit, no deadline — refused with the reason and the field.
    bad = post(client, f"/api/v1/plans/goals/{gid}/tasks", {**task, "unit": ""})
    assert bad.status_code == 400 and bad.json()["field"] == "unit" and "责任单位" in bad.json()["detail"]
    bad = post(client, f"/api/v1/plans/goals/{gid}/tasks", {**task, "deadline": None})
    assert bad.status_code == 400 and bad.json()["field"] == "deadline"
    bad = post(client, f"/api/v1/plans/goals/{gid}/tasks", {**task, "unit": "NOPE"})
    assert bad.status_code == 400 and bad.json()["field"] == "unit"
    assert Task.objects.filter(goal_id=gid).count() == 1
    g = client.get(f"/api/v1/plans/goals/{gid}").json()
    assert g["status"] == "on_track" and len(g["task_list"]) == 1 and g["timeline"][0]["kind"] == "goal"


def test_loop_through_the_api(pw, users, client):
    from tests.plans.test_services import _request

    client.force_login(users["community_cadre"])
    inbox = client.get("/api/v1/plans/inbox").json()
    assert [t["id"] for t in inbox] == [pw.t_comm.pk]
    r = post(
        client,
        f"/api/v1/plans/tasks/{pw.t_comm.pk}/progress",
        {"value": 30, "note": "签字30户", "version": 1},
        key="p-1",
    )
    assert r.status_code == 201 and r.json()["progress"] == 30
    # A retry repeats the request exactly and gets the first answer; the key with another body is refused.
    assert (
        post(
            client,
            f"/api/v1/plans/tasks/{pw.t_comm.pk}/progress",
            {"value": 30, "note": "签字30户", "version": 1},
            key="p-1",
        ).status_code
        == 201
    )
    assert (
        post(client, f"/api/v1/plans/tasks/{pw.t_comm.pk}/progress", {"value": 30, "version": 1}, key="p-1").status_code
        == 422
    )
    assert ProgressUpdate.objects.filter(task=pw.t_comm).count() == 1
    stale = post(client, f"/api/v1/plans/tasks/{pw.t_comm.pk}/progress", {"value": 35, "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    adj = post(
        client,
        f"/api/v1/plans/tasks/{pw.t_comm.pk}/adjustments",
        {"kind": "deadline", "deadline": days(pw, 75).isoformat(), "reason": "业主外出"},
        key="a-1",
    )
    assert adj.status_code == 201 and adj.json()["status"] == "requested"
    direct = post(
        client,
        f"/api/v1/plans/tasks/{pw.t_comm.pk}/adjustments",
        {"kind": "deadline", "deadline": days(pw, 75).isoformat(), "reason": "x", "direct": True},
    )
    assert direct.status_code == 403
    # A task outside one's area is not even visible.
    assert post(client, f"/api/v1/plans/tasks/{pw.t_dept.pk}/progress", {"value": 1}).status_code == 404
    client.force_login(users["street_cadre"])
    d = post(client, f"/api/v1/adjustments/{adj.json()['id']}/decide", {"approve": True})
    assert d.status_code == 404  # wrong prefix: the plans API lives under /api/v1/plans/
    d = post(client, f"/api/v1/plans/adjustments/{adj.json()['id']}/decide", {"approve": True, "note": "同意"})
    assert d.status_code == 200 and d.json()["status"] == "approved"
    assert Task.objects.get(pk=pw.t_comm.pk).deadline == days(pw, 75)
    client.force_login(users["auditor"])
    # Visible to the auditor, but not the auditor's unit's task: forbidden, with the reason.
    no = post(client, f"/api/v1/plans/tasks/{pw.t_comm.pk}/progress", {"value": 1})
    assert no.status_code == 403 and "责任单位" in no.json()["detail"]
    f = post(client, f"/api/v1/plans/tasks/{pw.t_comm.pk}/flags", {"kind": "quality", "detail": "签字不实"}, key="f")
    assert f.status_code == 201 and f.json()["automatic"] is False
    client.force_login(users["street_cadre"])
    assert post(client, f"/api/v1/plans/flags/{f.json()['id']}/resolve", {"resolution": "已核实"}).status_code == 200
    req = _request(pw, pw.comm_a)
    client.force_login(users["grid_worker"])
    done = post(
        client, f"/api/v1/plans/tasks/{pw.t_comm.pk}/done", {"evidence_kind": "request", "evidence_id": req.number}
    )
    assert done.status_code == 200 and done.json()["state"] == "done"
    fb = post(
        client,
        f"/api/v1/plans/goals/{pw.goal.pk}/feedback",
        {"source": "resident", "text": "满意", "rating": "satisfied"},
        key="fb",
    )
    assert fb.status_code == 201
    task = client.get(f"/api/v1/plans/tasks/{pw.t_comm.pk}").json()
    assert [a["status"] for a in task["adjustments"]] == ["approved"] and len(task["updates"]) == 2
    assert Adjustment.objects.count() == 1


def test_figures_endpoint_is_scoped(pw, users, client):
    client.force_login(users["street_cadre"])
    q = f"start={pw.today.isoformat()}&end={days(pw, 120).isoformat()}"
    r = client.get(f"/api/v1/plans/figures?region={pw.street_a.code}&{q}&kind=tasks")
    assert r.status_code == 200 and r.json()["tasks"] == 2 and len(r.json()["records"]) == 2
    assert client.get(f"/api/v1/plans/figures?region={pw.street_b.code}&{q}").status_code == 403
    assert client.get(f"/api/v1/plans/figures?region={pw.street_a.code}&{q}&kind=bad").status_code == 400
    lst = client.get("/api/v1/plans/goals").json()
    assert [g["id"] for g in lst] == [pw.goal.pk] and lst[0]["tasks"] == 3
    client.force_login(users["other_street_cadre"])
    assert client.get("/api/v1/plans/goals").json() == []
    assert client.get(f"/api/v1/plans/goals/{pw.goal.pk}").status_code == 404
