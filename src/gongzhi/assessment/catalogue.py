"""The default indicator catalogue and scheme, as data (installed by the demo and by
``services.install_catalogue``).  Every formula is checked by :mod:`gongzhi.assessment.formula` on the
way in, exactly like one typed by a user."""

from __future__ import annotations

# code: (name, formula, fusion element, description)
DEFAULT_INDICATORS: dict[str, tuple[str, str, str, str]] = {
    "satisfaction": (
        "群众满意率",
        "satisfaction_rate",
        "",
        "已评价诉求中满意或基本满意的占比（群众满意是标尺，seed 003）",
    ),
    "resolution": ("问题解决率", "resolution_rate", "", "已评价诉求中居民确认已解决的占比"),
    "response": ("及时响应率", "response_rate", "", "派单后按时限（紧急2小时、其他24小时）响应的占比"),
    "on_time": ("按时办结率", "on_time_rate", "", "已办结诉求中在截止时间前办结的占比"),
    "no_return": ("派单准确率", "1 - return_rate", "", "派单后未被回退的占比"),
    "speed": ("办理速度", "1 - min(1, median_hours_to_resolution / 168)", "", "办结时长中位数相对7天的余量"),
    "tasks_on_time": ("任务按时完成率", "task_on_time_rate", "", "目标任务（目标→任务→责任）按时完成的占比"),
    "volunteer": ("志愿服务活跃度", "min(1, volunteer_hours_per_1k / 500)", "", "每千人年志愿服务时长，500小时为满分"),
    "service_reach": ("公共服务覆盖", "service_coverage", "", "距最近服务点1.5公里内的户数占比"),
    # four-element evaluation of fusion party-building (seed 002)
    "co_activities": (
        "联建活动开展",
        "min(1, activities_per_alliance / 6)",
        "concept",
        "每个党建联合体年均联建活动次数，6次（“五个一”加年终考评）为满分",
    ),
    "grid_cobuild": ("网格共建", "grid_cobuild_share", "concept", "有驻区单位共建的网格占比"),
    "alliance_units": ("联合体覆盖单位", "alliance_unit_share", "structure", "区域内单位加入党建联合体的占比"),
    "party_grids": ("功能型网格党组织", "party_grid_share", "structure", "建有功能型网格党组织的网格占比"),
    "platform_channels": (
        "平台受理",
        "platform_share",
        "platform",
        "经平台渠道（网页、网格员、接口、Open311）受理的诉求占比",
    ),
    "active_grids": ("平台活跃", "active_grid_share", "platform", "考核期内有诉求记录的网格占比（平台不闲置）"),
    "meetings_1142": ("1142会议机制", "meetings_1142_kept", "mechanism", "到期应开的1142会议实际召开的占比"),
    "whistle_ack": ("吹哨报到", "whistle_ack_rate", "mechanism", "被吹哨部门在时限内报到的占比"),
    # lower is better: every matter pushed below the responsibility list costs a fifth (seeds 001, 002)
    "no_pushdown": (
        "不向基层转嫁责任",
        "1 - min(1, pushdowns / 5)",
        "",
        "考核期内派给比权责清单规定层级更低单位的事项（向基层转嫁事项）越少越好，5件及以上为0（种子001、002）",
    ),
}

# area kind: {indicator: (base weight, shift)}.  Positive shift: more weight where the area is more
# complex (urban) or more remote (rural).
DEFAULT_WEIGHTS: dict[str, dict[str, tuple[float, float]]] = {
    "urban": {
        "satisfaction": (0.25, 0.0),
        "resolution": (0.20, 0.0),
        "response": (0.15, 1.0),
        "on_time": (0.15, 1.0),
        "tasks_on_time": (0.10, 0.5),
        "meetings_1142": (0.10, 0.0),
        "volunteer": (0.05, -0.5),
    },
    "rural": {
        "satisfaction": (0.25, 0.5),
        "resolution": (0.20, 0.0),
        "service_reach": (0.15, 1.0),
        "speed": (0.10, 1.0),
        "tasks_on_time": (0.10, 0.0),
        "meetings_1142": (0.10, -0.5),
        "volunteer": (0.10, 0.5),
    },
}
