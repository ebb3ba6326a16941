"""Browser tests of goals → tasks → responsibility against the real server with demo data: a unit's
inbox (report progress, a refused adjustment request, completion with evidence) and a goal's
accountability page (progress, status, timeline, approving an adjustment)."""

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_tree_and_accountability_page(page, server_url):
    login(page, server_url, "district")
    page.click("header >> text=目标任务")
    page.wait_for_url(re.compile(r"/plans/$"))
    goals = page.locator("#plan-tree .goal")
    assert goals.count() >= 5
    # Filter: the overdue goals set by a directive from above.
    page.select_option("select[name=status]", "overdue")
    page.select_option("select[name=source]", "directive")
    page.click("form.card button")
    page.wait_for_url(re.compile(r"status=overdue"))
    tags = page.locator("#plan-tree h2 .tag").all_inner_texts()
    assert tags and set(tags) == {"逾期"}
    page.locator("#plan-tree h2 a").first.click()
    page.wait_for_url(re.compile(r"/plans/goals/\d+/$"))
    assert page.locator("#goal-status").inner_text() == "逾期"
    progress = float(page.locator("#goal-progress b").inner_text().rstrip("%"))
    assert 0 < progress < 100
    assert page.locator("#tasks tr[data-task]").count() >= 3
    assert page.locator("#timeline li.flag").count() >= 1  # the periodic check's overdue flags
    assert page.locator("#timeline li.progress").count() >= 1
    # the directive it came from, by its document number
    assert re.search(r"[办政]发〔\d{4}〕\d+号", page.locator(".card table").first.inner_text())


def test_inbox_loop_with_adjustment_and_evidence(page, server_url):
    login(page, server_url, "community")
    page.goto(server_url + "/plans/inbox/")
    card = page.locator(".inbox-task", has_text="调整待审批").first
    task_id = card.get_attribute("data-task")
    goal_href = card.locator("p.muted a").first.get_attribute("href")
    # A second adjustment request while one waits: refused, the reason shown on the form.
    card.locator("summary", has_text="申请调整").click()
    card.locator(f"#id_a{task_id}-reason").fill("再延期一周")
    card.locator(f"#id_a{task_id}-deadline").fill("2099-01-01")
    card.locator("form:has(input[value=adjust]) button").click()
    card = page.locator(f".inbox-task[data-task='{task_id}']")
    assert "待审批的调整申请" in card.locator(".errorlist").first.inner_text()
    # Report progress.
    card.locator("summary", has_text="报告进度").click()
    card.locator(f"#id_p{task_id}-value").fill("30")
    card.locator(f"#id_p{task_id}-note").fill("浏览器测试：已清理30栋")
    card.locator("form:has(input[value=progress]) button").click()
    page.wait_for_url(re.compile(r"/plans/inbox/$"))
    assert "进度已报告" in page.locator(".messages").inner_text()

    # The district approves the adjustment on the goal's accountability page.
    page.context.clear_cookies()
    login(page, server_url, "district")
    page.goto(server_url + goal_href)
    item = page.locator("#pending li").first
    item.locator("input[name=note]").fill("同意延期")
    item.locator("button[value=approve]").click()
    page.wait_for_url(re.compile(r"/plans/goals/\d+/$"))
    assert "已批准" in page.locator("#adjustments").inner_text()
    assert "浏览器测试：已清理30栋" in page.locator("#timeline").inner_text()

    # The community completes the task with a resolved request as evidence; it leaves the inbox.
    page.context.clear_cookies()
    login(page, server_url, "community")
    number = page.request.get(server_url + "/api/v1/cases/requests?state=resolved,confirmed,closed&limit=1").json()[0][
        "number"
    ]
    page.goto(server_url + "/plans/inbox/")
    card = page.locator(f".inbox-task[data-task='{task_id}']")
    card.locator("summary", has_text="标记完成").click()
    card.locator(f"#id_d{task_id}-evidence_kind").select_option("request")
    card.locator(f"#id_d{task_id}-evidence_id").fill(number)
    card.locator("form:has(input[value=done]) button").click()
    page.wait_for_url(re.compile(r"/plans/inbox/$"))
    assert "任务已完成" in page.locator(".messages").inner_text()
    assert page.locator(f".inbox-task[data-task='{task_id}']").count() == 0
    page.goto(server_url + goal_href)
    assert number in page.locator("#links").inner_text()
    assert "完成佐证" in page.locator("#links").inner_text()
