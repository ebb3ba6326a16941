"""What the public record's pages call each kind of entry (the event type), by app and by type.

The pages show these labels, never the raw type code; a type without a label here shows its
contract's line of doc (``core.contracts``), so a new event type is never unnamed.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from gongzhi.core import contracts

LABELS = {
    "alliances.activity.recorded": _("联合体活动记录"),
    "alliances.applied": _("联合体申请组建"),
    "alliances.approved": _("联合体批准组建"),
    "alliances.fund.recorded": _("联合体经费收支"),
    "alliances.goal.approved": _("联合体目标批准"),
    "alliances.goal.rejected": _("联合体目标退回"),
    "alliances.lists.agreed": _("联合体三张清单确认"),
    "alliances.meeting.recorded": _("联合体会议记录"),
    "alliances.member.declined": _("成员单位谢绝加入"),
    "alliances.member.exited": _("成员单位退出"),
    "alliances.member.joined": _("成员单位加入"),
    "alliances.member.removed": _("成员单位除名"),
    "alliances.member.requested": _("邀请成员单位"),
    "alliances.points.published": _("联合体积分公布"),
    "alliances.quarter.closed": _("联合体季度结算"),
    "alliances.rated": _("联合体星级评定"),
    "alliances.rectification.opened": _("整顿方案启动"),
    "alliances.rectification.reviewed": _("整顿复评"),
    "alliances.rectification.task_done": _("整顿任务完成"),
    "alliances.rejected": _("联合体组建未获批准"),
    "alliances.support.recorded": _("优秀等次政策资金倾斜"),
    "cases.pushdown.decided": _("向基层下派的决定"),
    "cases.pushdown.requested": _("向基层下派申请"),
    "consult.ballot_published": _("表决选票公开"),
    "consult.roll_recorded": _("投票人名册记录"),
    "consult.statement_submitted": _("议事观点提交"),
    "consult.statement_voted": _("议事观点表态"),
    "org.power_defined": _("权力清单事项设立"),
    "org.power_grant_ended": _("权力授予终止"),
    "org.power_granted": _("权力授予"),
    "alliances.rules.published": _("联合体积分规则发布"),
    "alliances.score.corrected": _("联合体季度得分更正"),
    "alliances.task.claimed": _("联合体项目认领"),
    "alliances.task.completed": _("联合体项目完成"),
    "assessment.indicator_changed": _("考核指标变更"),
    "assessment.indicator_defined": _("考核指标新增"),
    "assessment.run_completed": _("考核完成"),
    "assessment.scheme_created": _("考核方案建立"),
    "assessment.weights_changed": _("考核权重调整"),
    "burden.definition.created": _("报表定义建立"),
    "burden.demand.issued": _("向基层下达任务"),
    "burden.item.completed": _("基层完成一项任务"),
    "burden.order.issued": _("减负令下达"),
    "burden.report.generated": _("报表生成"),
    "cases.bypass.started": _("紧急先行处置"),
    "cases.bypass.unfiled": _("紧急处置逾期未补录"),
    "cases.mediation.closed": _("调解结案"),
    "cases.mediation.opened": _("调解立案"),
    "cases.request.submit": _("诉求登记"),
    "cases.request.accept": _("诉求受理"),
    "cases.request.dispatch": _("诉求派单"),
    "cases.request.start": _("开始办理"),
    "cases.request.return": _("诉求回退"),
    "cases.request.resolve": _("诉求办结"),
    "cases.request.confirm": _("诉求评价"),
    "cases.request.close": _("诉求关闭"),
    "cases.request.reopen": _("诉求重办"),
    "cases.request.escalate": _("诉求升级"),
    "cases.request.merge": _("诉求合并"),
    "cases.request.not_ours": _("非本级职责"),
    "cases.request.cancel": _("诉求撤销"),
    "cases.request.whistle": _("街道吹哨"),
    "cases.request.report": _("部门报到"),
    "cases.request.followup": _("诉求回访"),
    "consult.analysis_updated": _("议事意见分组更新"),
    "consult.statement_moderated": _("议事观点审核"),
    "consult.topic_created": _("议题发起"),
    "consult.vote_opened": _("表决开始"),
    "consult.vote_tallied": _("表决计票"),
    "core.region_created": _("区域新增"),
    "core.regions_paired": _("城乡结对"),
    "incidents.assigned": _("应急任务分配"),
    "incidents.checked_in": _("应急报到"),
    "incidents.declared": _("突发事件启动应急"),
    "incidents.desk_counts": _("应急诉求统计发布"),
    "incidents.mobilised": _("应急动员"),
    "incidents.need_raised": _("应急需求提交资源池"),
    "incidents.note": _("应急情况记录"),
    "incidents.stood_down": _("应急结束"),
    "org.category_created": _("事项类别新增"),
    "org.grid_assigned": _("网格人员配备"),
    "org.grid_created": _("网格划分"),
    "org.grid_party_org_set": _("网格党组织设置"),
    "org.grid_reshaped": _("网格边界调整"),
    "org.household_linked": _("人员关联住户"),
    "org.member_added": _("成员加入单位"),
    "org.member_left": _("成员离开单位"),
    "org.party_org_flagged": _("党组织待整改"),
    "org.party_org_rectified": _("党组织整改完成"),
    "org.responsibility_rule_added": _("职责清单新版本"),
    "org.unit_established": _("单位成立"),
    "org.unit_moved": _("单位隶属调整"),
    "org.unit_updated": _("单位信息变更"),
    "plans.adjustment_approved": _("任务调整获批"),
    "plans.adjustment_rejected": _("任务调整未获批"),
    "plans.adjustment_requested": _("申请调整任务"),
    "plans.feedback_received": _("目标反馈"),
    "plans.flag_raised": _("督办提醒"),
    "plans.flag_resolved": _("督办解除"),
    "plans.review_scheduled": _("设定定期会商"),
    "plans.review_held": _("会商研判"),
    "plans.goal_cancelled": _("目标取消"),
    "plans.goal_closed": _("目标完成"),
    "plans.goal_created": _("目标设立"),
    "plans.progress_reported": _("进展报告"),
    "plans.record_linked": _("记录关联目标"),
    "plans.task_adjusted": _("任务调整"),
    "plans.task_assigned": _("任务分解"),
    "plans.task_done": _("任务完成"),
    "privacy.purged": _("过期个人数据清理"),
    "resources.delivered": _("资源签收"),
    "resources.dispatched": _("资源发出"),
    "resources.matched": _("资源匹配"),
    "resources.need_cancelled": _("需求取消"),
    "resources.need_raised": _("需求登记"),
    "resources.resource_offered": _("资源入池"),
    "resources.resource_withdrawn": _("资源撤出"),
    "resources.response": _("资源方答复"),
    "councils.decision_recorded": _("议事平台会议决定"),
    "councils.established": _("议事平台设立"),
    "councils.matter_step": _("三重一大事项程序"),
    "councils.matter_used": _("三重一大事项执行"),
    "councils.meeting_held": _("议事平台会议纪要"),
    "councils.member_added": _("议事平台成员加入"),
    "volunteers.bank_opened": _("时间银行开设"),
    "volunteers.certificate_verified": _("志愿者证书核验"),
    "volunteers.redeemed": _("积分兑换"),
    "volunteers.registered": _("志愿者注册"),
    "volunteers.rule_published": _("积分规则发布"),
    "volunteers.service_claimed": _("志愿服务申报"),
    "volunteers.service_confirmed": _("志愿服务确认"),
    "volunteers.service_rejected": _("志愿服务未确认"),
    "volunteers.transferred": _("积分通存通兑"),
}


def label(event_type: str) -> str:
    """The kind's label: ours, else the contract's line of doc, else the code itself."""
    found = LABELS.get(event_type)
    if found is not None:
        return str(found)
    declared = contracts.event_types().get(event_type)
    return (declared.doc if declared is not None and declared.doc else "") or event_type


def app_label(app: str) -> str:
    """The app's name (its ``verbose_name``) for a type's first part."""
    try:
        return str(apps.get_app_config(app).verbose_name)
    except LookupError:
        return app


def public_types() -> list[str]:
    """Every event type that can reach the public record (declared public fields, wildcards expanded)."""
    from .public_fields import declared_types

    known = set(contracts.event_types())
    out: set[str] = set()
    for name in declared_types():
        if name.endswith("*"):
            out.update(t for t in known if t.startswith(name[:-1]))
        else:
            out.add(name)
    return sorted(out)


def kind_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(app name, [(type, label), …]), …]`` for a select with one group per app."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for t in public_types():
        groups.setdefault(t.split(".", 1)[0], []).append((t, label(t)))
    return [(app_label(app), sorted(items, key=lambda x: x[1])) for app, items in sorted(groups.items())]
