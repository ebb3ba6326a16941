"""Plan pages: the tree, the accountability page, the forms (errors redisplayed with the field marked),
the inbox with its actions."""

from __future__ import annotations

from gongzhi.core.actors import SYSTEM
from gongzhi.plans import services as PS
from gongzhi.plans.models import Adjustment, Feedback, Goal, SupervisionFlag, Task

from .conftest import days


def test_tree_and_accountability_page(pw, users, client):
    PS.report_progress(SYSTEM, pw.t_comm, value=50, note="已签字50户")
    PS.add_feedback(SYSTEM, pw.goal, source="resident", text="希望尽快开工")
    client.force_login(users["street_cadre"])
    page = client.get("/plans/").content.decode()
    assert "老旧小区加装电梯" in page and "征求居民意见" in page and "区委办发" not in page
    assert "按计划推进" in page
    page = client.get(f"/plans/goals/{pw.goal.pk}/").content.decode()
    assert 'id="goal-progress"><b>16.7%' in page  # (0 + 50 + 0) / 3
    assert "区委办发〔2026〕3号" in page and "已签字50户" in page and "希望尽快开工" in page
    assert f"/plans/goals/{pw.goal.pk}/tasks/new/" in page and "关闭目标" in page  # a planner's page
    client.force_login(users["other_street_cadre"])
    assert client.get(f"/plans/goals/{pw.goal.pk}/").status_code == 404
    assert "老旧小区加装电梯" not in client.get("/plans/").content.decode()
    client.force_login(users["grid_worker"])
    page = client.get(f"/plans/goals/{pw.goal.pk}/").content.decode()
    assert f"/plans/goals/{pw.goal.pk}/tasks/new/" not in page and "关闭目标" not in page


def test_create_goal_and_task_forms_show_the_reason(pw, users, client):
    client.force_login(users["street_cadre"])
    r = client.post(
        "/plans/goals/new/",
        {
            "title": "夜间照明提升",
            "source_kind": "directive",
            "directive_ref": "",
            "directive_issuer": pw.dgov.code,
            "region": pw.street_a.code,
            "lead_unit": pw.gov_a.code,
            "starts_on": pw.today.isoformat(),
            "due_on": days(pw, 60).isoformat(),
        },
    )
    page = r.content.decode()
    assert r.status_code == 200 and "请填写上级部署的文件文号" in page and 'aria-invalid="true"' in page
    r = client.post(
        "/plans/goals/new/",
        {
            "title": "夜间照明提升",
            "source_kind": "directive",
            "directive_ref": "街办〔2026〕2号",
            "directive_issuer": pw.dgov.code,
            "region": pw.street_a.code,
            "lead_unit": pw.gov_a.code,
            "starts_on": pw.today.isoformat(),
            "due_on": days(pw, 60).isoformat(),
        },
    )
    goal = Goal.objects.get(title="夜间照明提升")
    assert r.status_code == 302 and r["Location"] == f"/plans/goals/{goal.pk}/tasks/new/"
    form = {
        "title": "更换路灯",
        "unit": "",
        "deadline": days(pw, 30).isoformat(),
        "quality_standard": "夜间全亮",
        "indicator_name": "更换盏数",
        "target": "40",
        "baseline": "0",
        "weight": "1",
    }
    r = client.post(f"/plans/goals/{goal.pk}/tasks/new/", form)
    page = r.content.decode()
    assert "请指定责任单位" in page and 'aria-invalid="true"' in page
    r = client.post(f"/plans/goals/{goal.pk}/tasks/new/", {**form, "unit": pw.gov_a.code, "deadline": ""})
    assert "请填写完成时限" in r.content.decode()
    assert not goal.tasks.exists()
    r = client.post(f"/plans/goals/{goal.pk}/tasks/new/", {**form, "unit": pw.gov_a.code})
    assert r.status_code == 302 and goal.tasks.get().unit == pw.gov_a
    client.force_login(users["grid_worker"])
    assert client.get("/plans/goals/new/").status_code == 404


def test_inbox_actions(pw, users, client):
    from tests.plans.test_services import _request

    client.force_login(users["community_cadre"])
    page = client.get("/plans/inbox/").content.decode()
    assert "征求居民意见" in page and "审批手续" not in page and "剩余60天" in page
    r = client.post(
        "/plans/inbox/",
        {
            "action": "progress",
            "task": pw.t_comm.pk,
            f"p{pw.t_comm.pk}-value": "25",
            f"p{pw.t_comm.pk}-note": "入户",
            f"p{pw.t_comm.pk}-version": "1",
        },
    )
    assert r.status_code == 302
    assert Task.objects.get(pk=pw.t_comm.pk).progress == 25
    # A stale form: the conflict is shown on the form, nothing changes.
    r = client.post(
        "/plans/inbox/",
        {"action": "progress", "task": pw.t_comm.pk, f"p{pw.t_comm.pk}-value": "30", f"p{pw.t_comm.pk}-version": "1"},
    )
    assert r.status_code == 200 and "已被他人修改" in r.content.decode()
    r = client.post(
        "/plans/inbox/",
        {
            "action": "adjust",
            "task": pw.t_comm.pk,
            f"a{pw.t_comm.pk}-kind": "deadline",
            f"a{pw.t_comm.pk}-deadline": days(pw, 80).isoformat(),
            f"a{pw.t_comm.pk}-reason": "业主外出",
        },
    )
    assert r.status_code == 302 and Adjustment.objects.get().status == "requested"
    r = client.post(
        "/plans/inbox/",
        {
            "action": "done",
            "task": pw.t_comm.pk,
            f"d{pw.t_comm.pk}-evidence_kind": "request",
            f"d{pw.t_comm.pk}-evidence_id": "",
        },
    )
    assert "请提供完成佐证" in r.content.decode()
    req = _request(pw, pw.comm_a)
    r = client.post(
        "/plans/inbox/",
        {
            "action": "done",
            "task": pw.t_comm.pk,
            f"d{pw.t_comm.pk}-evidence_kind": "request",
            f"d{pw.t_comm.pk}-evidence_id": req.number,
        },
    )
    assert r.status_code == 302 and Task.objects.get(pk=pw.t_comm.pk).state == "done"
    # Not one's own task: refused.
    r = client.post(
        "/plans/inbox/", {"action": "progress", "task": pw.t_dept.pk, f"p{pw.t_dept.pk}-value": "1"}, follow=True
    )
    assert "不在您的待办中" in r.content.decode()
    assert Task.objects.get(pk=pw.t_dept.pk).progress == 0


def test_goal_page_actions(pw, users, client):
    adj = PS.request_adjustment(SYSTEM, pw.t_comm, kind="deadline", deadline=days(pw, 70), reason="r")
    client.force_login(users["auditor"])
    r = client.post(
        f"/plans/goals/{pw.goal.pk}/",
        {"action": "flag", "fl-task": pw.t_comm.pk, "fl-kind": "quality", "fl-detail": ""},
    )
    assert "请说明督办原因" in r.content.decode()
    client.post(
        f"/plans/goals/{pw.goal.pk}/",
        {"action": "flag", "fl-task": pw.t_comm.pk, "fl-kind": "quality", "fl-detail": "抽查不合格"},
    )
    flag = SupervisionFlag.objects.get()
    client.force_login(users["street_cadre"])
    client.post(f"/plans/goals/{pw.goal.pk}/", {"action": "approve", "adjustment": adj.pk, "note": "同意"})
    assert Task.objects.get(pk=pw.t_comm.pk).deadline == days(pw, 70)
    client.post(f"/plans/goals/{pw.goal.pk}/", {"action": "resolve", "flag": flag.pk, "resolution": "已整改"})
    assert SupervisionFlag.objects.get().resolution == "已整改"
    r = client.post(
        f"/plans/goals/{pw.goal.pk}/",
        {"action": "feedback", "fb-source": "unit", "fb-unit": pw.cgj.code, "fb-text": "材料齐全"},
    )
    assert r.status_code == 302 and Feedback.objects.get().unit == pw.cgj
    r = client.post(f"/plans/goals/{pw.goal.pk}/", {"action": "close", "version": pw.goal.version}, follow=True)
    assert "还有未完成的任务" in r.content.decode()
    page = client.get(f"/plans/goals/{pw.goal.pk}/").content.decode()
    assert "抽查不合格" in page and "已整改" in page and "材料齐全" in page and "调整时限" in page
    r = client.post("/plans/check/", follow=True)
    assert "检查完成" in r.content.decode()


def test_task_page(pw, users, client):
    client.force_login(users["department_staff"])
    page = client.get(f"/plans/tasks/{pw.t_dept.pk}/").content.decode()
    assert "审批手续" in page and "一次性告知" in page and "报告进度" in page
    r = client.post(
        f"/plans/tasks/{pw.t_dept.pk}/",
        {"action": "progress", f"p{pw.t_dept.pk}-value": "4", f"p{pw.t_dept.pk}-note": "办结4件"},
    )
    assert r.status_code == 302 and Task.objects.get(pk=pw.t_dept.pk).current_value == 4
    page = client.get(f"/plans/tasks/{pw.t_dept.pk}/").content.decode()
    assert "办结4件" in page and pw.cgj.name in page
