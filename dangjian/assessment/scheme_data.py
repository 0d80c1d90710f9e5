# ruff: noqa: E501  (scheme text is data: long Chinese standards stay on one line)
"""The demo mine's scheme (六考一评): 6 categories, 67 criteria, 100 points plus capped bonus.

Loaded by ``services.schemes.scheme_load_standard`` through the ordinary services (so it is
validated exactly like a scheme typed in the pages). Each criterion: ``code``, ``title``,
``standard`` (评分标准), ``points``, ``method`` (manual / deduction / count / indicator /
survey), ``methods`` (evidence methods), ``evidence`` (佐证材料), and as needed ``indicator`` +
``formula``, ``audience`` (survey), ``deductions`` [(情形, 每次扣分)], ``veto``, ``bonus``.

Indicator values: percentages are 0–100, except ``development.steps_on_time`` (a ratio 0–1);
counts (days, cases, persons) are plain numbers.
"""

from __future__ import annotations

from typing import Any

NAME = "{year}年度基层党支部“六考一评”考核方案"
BONUS_CAP = 5
DESCRIPTION = (
    "按照“六考一评”要求，对基层党支部党建、宣传、党风廉政、工会、共青团、社会治安及武装保卫"
    "六个方面实行量化考核，基本分100分，另设加分项（加分合计不超过5分）；一票否决项触发的，"
    "保留得分但不评定星级。考核采取听取汇报、查阅资料、实地查看、网站汇总、走访座谈、"
    "满意度测评等方式，能由系统台帐自动计算的指标一律以台帐记录为准，由定性向定量转变。"
)

DOCS = ["documents", "system"]
R_D = ["report", "documents"]
R_D_S = ["report", "documents", "site"]


def _pct(zero_at: float, full_at: float) -> dict[str, Any]:
    return {"kind": "linear", "zero_at": zero_at, "full_at": full_at}


def _steps(*steps: tuple[float, float], lower: bool = False) -> dict[str, Any]:
    formula: dict[str, Any] = {"kind": "steps", "steps": [list(s) for s in steps]}
    if lower:
        formula["lower_is_better"] = True
    return formula


def _per(points: float, direction: str = "deduct") -> dict[str, Any]:
    return {"kind": "per_unit", "points": points, "direction": direction}


SCHEDULE = _steps((100, 1.0), (80, 0.6), (50, 0.3))  # on-schedule rates (%)

PARTY_BUILDING: list[dict[str, Any]] = [
    {
        "code": "A01",
        "title": "按期召开支部党员大会",
        "standard": "每季度至少召开一次支部党员大会，到会人数超过应到会人数半数。按期召开率100%得满分，"
        "80%以上得60%，50%以上得30%，其余不得分。",
        "points": 1.5,
        "method": "indicator",
        "indicator": "orglife.branch_assembly_on_schedule",
        "formula": SCHEDULE,
        "methods": DOCS,
        "evidence": "会议通知、签到表、会议记录（系统会议台帐）",
    },
    {
        "code": "A02",
        "title": "按期召开支部委员会会议",
        "standard": "支部委员会一般每月召开一次，研究支部重要工作。按期召开率100%得满分，80%以上得60%，"
        "50%以上得30%，其余不得分。",
        "points": 1.5,
        "method": "indicator",
        "indicator": "orglife.committee_meeting_on_schedule",
        "formula": SCHEDULE,
        "methods": DOCS,
        "evidence": "支委会会议记录（系统会议台帐）",
    },
    {
        "code": "A03",
        "title": "按期召开党小组会",
        "standard": "各党小组每月召开一次党小组会，组织党员学习、交流思想。按期召开率100%得满分，"
        "80%以上得60%，50%以上得30%，其余不得分。",
        "points": 1,
        "method": "indicator",
        "indicator": "orglife.group_meeting_on_schedule",
        "formula": SCHEDULE,
        "methods": DOCS,
        "evidence": "党小组会记录（系统会议台帐）",
    },
    {
        "code": "A04",
        "title": "按时上好党课",
        "standard": "每季度至少讲授一次党课，支部书记每年至少讲一次党课。按期讲授率100%得满分，"
        "80%以上得60%，50%以上得30%，其余不得分。",
        "points": 1.5,
        "method": "indicator",
        "indicator": "orglife.party_lecture_held",
        "formula": SCHEDULE,
        "methods": DOCS,
        "evidence": "党课讲稿、课件、签到表",
    },
    {
        "code": "A05",
        "title": "规范开展主题党日活动",
        "standard": "每月相对固定一天开展主题党日，主题鲜明、形式多样、党员参与面广。"
        "按月开展率100%得满分，80%以上得60%，50%以上得30%，其余不得分。",
        "points": 2,
        "method": "indicator",
        "indicator": "orglife.theme_day_held",
        "formula": SCHEDULE,
        "methods": ["documents", "site", "system"],
        "evidence": "活动方案、影像资料、活动记录",
    },
    {
        "code": "A06",
        "title": "会议达到法定人数",
        "standard": "须计法定人数的会议全部达到法定人数得满分，低于100%的按比例折算，低于80%不得分。",
        "points": 1,
        "method": "indicator",
        "indicator": "orglife.quorum_rate",
        "formula": _pct(80, 100),
        "methods": DOCS,
        "evidence": "签到表",
    },
    {
        "code": "A07",
        "title": "党员参加组织生活",
        "standard": "党员参会率达到95%以上得满分，70%以下不得分，其间按比例折算；无故连续缺席的"
        "党员应有谈话记录。",
        "points": 1.5,
        "method": "indicator",
        "indicator": "orglife.attendance_rate",
        "formula": _pct(70, 95),
        "methods": DOCS,
        "evidence": "签到记录、请假记录",
    },
    {
        "code": "A08",
        "title": "组织生活经常化",
        "standard": "距最近一次组织生活不超过30天得满分，31至45天得50%，超过45天不得分（防止“沉睡支部”）。",
        "points": 1,
        "method": "indicator",
        "indicator": "orglife.silent_days",
        "formula": _steps((30, 1.0), (45, 0.5), lower=True),
        "methods": DOCS,
        "evidence": "系统会议台帐",
    },
    {
        "code": "A09",
        "title": "会议记录规范归档",
        "standard": "“三会一课”记录要素齐全、纪要及时归档。归档率100%得满分，60%以下不得分，其间按比例折算。",
        "points": 1,
        "method": "indicator",
        "indicator": "orglife.minutes_archived",
        "formula": _pct(60, 100),
        "methods": DOCS,
        "evidence": "会议纪要、归档记录",
    },
    {
        "code": "A10",
        "title": "召开高质量组织生活会",
        "standard": "每年召开一次组织生活会，会前开展谈心谈话、征求意见，会上认真开展批评和自我批评。"
        "按期召开得满分，应开未开不得分。",
        "points": 1,
        "method": "indicator",
        "indicator": "orglife.life_meeting_held",
        "formula": _steps((100, 1.0)),
        "methods": ["documents", "interview", "system"],
        "evidence": "会议方案、谈心谈话记录、对照检查材料、整改清单",
    },
    {
        "code": "A11",
        "title": "开展民主评议党员",
        "standard": "每年按程序开展民主评议党员，评定等次并运用评议结果。年度评议已完成得满分；"
        "考核期内尚未完成的得50%。",
        "points": 1,
        "method": "indicator",
        "indicator": "appraisal.completed",
        "formula": _steps((1, 1.0), (0, 0.5)),
        "methods": DOCS,
        "evidence": "民主评议方案、测评表、评议结果",
    },
    {
        "code": "A12",
        "title": "发展党员程序规范",
        "standard": "坚持“十六字”总要求，严格按25个步骤发展党员，各环节按期办理。按期完成率100%得满分，"
        "60%以下不得分，其间按比例折算。",
        "points": 1.5,
        "method": "indicator",
        "indicator": "development.steps_on_time",
        "formula": _pct(0.6, 1.0),
        "methods": DOCS,
        "evidence": "发展党员工作记录、入党材料",
    },
    {
        "code": "A13",
        "title": "发展党员无超期办理",
        "standard": "发展党员各步骤在最迟办理日期前完成。每有一件超期未办扣0.5分，扣完为止。",
        "points": 1,
        "method": "indicator",
        "indicator": "development.overdue_cases",
        "formula": _per(0.5),
        "methods": DOCS,
        "evidence": "发展党员工作记录",
    },
    {
        "code": "A14",
        "title": "党费按月足额交纳",
        "standard": "党员按月足额交纳党费。按月交纳率100%得满分，80%以下不得分，其间按比例折算。",
        "points": 1.5,
        "method": "indicator",
        "indicator": "dues.paid_on_time",
        "formula": _pct(80, 100),
        "methods": DOCS,
        "evidence": "党费收缴台帐",
    },
    {
        "code": "A15",
        "title": "无欠交党费党员",
        "standard": "及时督促党员交纳党费。每有一名党员欠交党费扣0.2分，扣完为止。",
        "points": 1,
        "method": "indicator",
        "indicator": "dues.arrears_members",
        "formula": _per(0.2),
        "methods": DOCS,
        "evidence": "党费收缴台帐",
    },
    {
        "code": "A16",
        "title": "组织关系转接及时",
        "standard": "党员组织关系转出、转入及时办理，介绍信按期回执。无积压得满分，积压1件得50%，"
        "积压2件及以上不得分。",
        "points": 1,
        "method": "indicator",
        "indicator": "transfers.backlog",
        "formula": _steps((0, 1.0), (1, 0.5), lower=True),
        "methods": DOCS,
        "evidence": "组织关系介绍信存根、回执",
    },
    {
        "code": "A17",
        "title": "失联党员排查处置",
        "standard": "定期排查与党组织失去联系的党员并按规定处置。无失联党员得满分，每有一名扣0.25分。",
        "points": 0.5,
        "method": "indicator",
        "indicator": "people.lost_contact",
        "formula": _per(0.25),
        "methods": DOCS,
        "evidence": "党员名册、排查记录",
    },
    {
        "code": "A18",
        "title": "党员信息采集维护",
        "standard": "党员基本信息完整准确、动态更新。信息完整率100%得满分，80%以下不得分，其间按比例折算。",
        "points": 1,
        "method": "indicator",
        "indicator": "people.profile_complete",
        "formula": _pct(80, 100),
        "methods": DOCS,
        "evidence": "党员信息库",
    },
    {
        "code": "A19",
        "title": "一线职工中党员比例",
        "standard": "注重在生产一线发展党员，一线职工中党员比例达到15%以上得满分，5%以下不得分，"
        "其间按比例折算。",
        "points": 1,
        "method": "indicator",
        "indicator": "people.front_line_ratio",
        "formula": _pct(5, 15),
        "methods": DOCS,
        "evidence": "党员名册、职工花名册",
    },
    {
        "code": "A20",
        "title": "党员教育培训",
        "standard": "制定年度学习计划，组织党员集中学习习近平新时代中国特色社会主义思想和党的创新理论，"
        "党员年度集中学习培训不少于32学时。无计划扣1分，学时不足每人次扣0.1分，扣完为止。",
        "points": 2.5,
        "methods": R_D,
        "evidence": "学习计划、学习记录、培训签到",
    },
    {
        "code": "A21",
        "title": "领导班子建设",
        "standard": "按“四好班子”标准加强支部班子建设：政治素质好、经营业绩好、团结协作好、作风形象好；"
        "落实民主集中制，“三重一大”事项集体决策。根据听取汇报、走访座谈情况评分。",
        "points": 3,
        "methods": ["report", "documents", "interview"],
        "evidence": "班子会议记录、“三重一大”决策记录、谈话记录",
    },
    {
        "code": "A22",
        "title": "党管人才与人才使用",
        "standard": "坚持党管人才，把党员培养成技术骨干、把技术骨干培养成党员；建立后备人才库，"
        "人才选拔使用程序规范。无人才培养计划扣1分，程序不规范每项扣0.5分。",
        "points": 2,
        "methods": R_D,
        "evidence": "人才培养计划、“双培养”台帐",
    },
    {
        "code": "A23",
        "title": "党员安全责任区和党员示范岗",
        "standard": "划定党员安全责任区、设立党员示范岗，做到有标识、有职责、有考核。每缺一项扣0.5分，"
        "扣完为止。",
        "points": 2.5,
        "method": "deduction",
        "methods": ["documents", "site"],
        "evidence": "责任区划分表、示范岗台帐、现场标识",
        "deductions": [
            ("党员安全责任区未划定或无标识", 0.5),
            ("党员示范岗无职责、无考核", 0.5),
            ("责任区内发生轻伤及以上事故", 1),
        ],
    },
    {
        "code": "A24",
        "title": "党员安全督查隐患排查",
        "standard": "组织党员开展安全督查，排查整改事故隐患，落实“五定”闭环管理。每查出并整改销号"
        "一项隐患加0.5分，最高得满分。",
        "points": 2,
        "method": "count",
        "formula": _per(0.5, "add"),
        "methods": ["documents", "site"],
        "evidence": "隐患排查台帐、整改验收记录",
    },
    {
        "code": "A25",
        "title": "党务公开",
        "standard": "按规定公开党务，内容真实、程序规范、及时更新。每缺一项扣0.5分，扣完为止。",
        "points": 1.5,
        "method": "deduction",
        "methods": ["site", "website"],
        "evidence": "党务公开栏、公开记录",
        "deductions": [("应公开事项未公开", 0.5), ("公开内容超过一个月未更新", 0.5)],
    },
    {
        "code": "A26",
        "title": "项目化管理和支部品牌",
        "standard": "落实“一个支部一项品牌”，品牌有活动方案、考核细则和结果运用（“三个有”）；"
        "规定动作、自选动作按计划推进。每缺一个“有”扣0.5分。",
        "points": 2,
        "methods": R_D_S,
        "evidence": "品牌创建方案、项目台帐",
    },
    {
        "code": "A27",
        "title": "党员公开承诺践诺",
        "standard": "党员结合岗位作出公开承诺，年中有检查、年底有评议。未组织承诺扣1分，"
        "未检查践诺情况扣0.5分。",
        "points": 2,
        "methods": ["documents", "site", "interview"],
        "evidence": "承诺书、践诺检查记录",
    },
    {
        "code": "A28",
        "title": "发生重大安全生产事故（一票否决）",
        "standard": "考核期内所在单位发生重大及以上安全生产责任事故的，实行一票否决，取消星级评定资格。",
        "points": 0,
        "veto": True,
        "methods": ["report", "documents", "site"],
        "evidence": "事故调查报告",
    },
    {
        "code": "A29",
        "title": "党建创新成果（加分项）",
        "standard": "党建创新成果、党建品牌获集团公司表彰的加1分，获省部级及以上表彰的加3分，"
        "同一成果按最高一项计，加分不超过3分。",
        "points": 3,
        "bonus": True,
        "methods": R_D,
        "evidence": "表彰文件、证书",
    },
]

PUBLICITY: list[dict[str, Any]] = [
    {
        "code": "B01",
        "title": "政治理论学习",
        "standard": "落实理论学习制度，学习有计划、有记录、有心得。无计划扣1分，记录不全每次扣0.5分。",
        "points": 2,
        "methods": R_D,
        "evidence": "学习计划、学习记录、心得体会",
    },
    {
        "code": "B02",
        "title": "意识形态工作责任制",
        "standard": "落实意识形态工作责任制，定期研判意识形态领域情况，加强阵地管理。每发现一项问题"
        "按扣分情形扣分，扣完为止。",
        "points": 2,
        "method": "deduction",
        "methods": ["report", "documents", "interview"],
        "evidence": "意识形态工作研判记录、阵地管理台帐",
        "deductions": [
            ("未按季度研判意识形态工作", 0.5),
            ("宣传阵地、微信群管理不到位", 0.5),
            ("发生负面舆情处置不及时", 1),
        ],
    },
    {
        "code": "B03",
        "title": "宣传阵地建设",
        "standard": "党建园地、宣传栏、电子屏等阵地内容鲜活、及时更新。阵地缺失扣1分，超过一个月"
        "未更新扣0.5分。",
        "points": 1.5,
        "methods": ["site"],
        "evidence": "现场查看",
    },
    {
        "code": "B04",
        "title": "网站和信息报送",
        "standard": "积极向企业网站、党建信息平台报送信息，每季度被采用一篇加0.25分，最高得满分。",
        "points": 2,
        "method": "count",
        "formula": _per(0.25, "add"),
        "methods": ["website"],
        "evidence": "网站采用稿件统计",
    },
    {
        "code": "B05",
        "title": "形势任务教育",
        "standard": "围绕中心工作开展形势任务教育，职工知晓率高。未开展扣1分，走访职工知晓率低扣0.5分。",
        "points": 1.5,
        "methods": ["report", "interview"],
        "evidence": "宣讲材料、活动记录",
    },
    {
        "code": "B06",
        "title": "先进典型选树宣传",
        "standard": "发现、培树、宣传身边先进典型，弘扬劳模精神、工匠精神。无典型选树扣1分。",
        "points": 1.5,
        "methods": R_D,
        "evidence": "典型事迹材料、宣传报道",
    },
    {
        "code": "B07",
        "title": "党员满意度测评",
        "standard": "由支部党员对支部工作进行满意度测评。满意度100分得满分，60分以下不得分，"
        "其间按比例折算；有效测评人数不足时不计分。",
        "points": 1.5,
        "method": "survey",
        "audience": "members",
        "formula": _pct(60, 100),
        "methods": ["survey"],
        "evidence": "满意度测评结果",
    },
    {
        "code": "B08",
        "title": "上级媒体采用稿件（加分项）",
        "standard": "稿件被省部级及以上媒体采用，每篇加0.5分，加分不超过2分。",
        "points": 2,
        "method": "count",
        "bonus": True,
        "formula": _per(0.5, "add"),
        "methods": ["website", "documents"],
        "evidence": "媒体刊发截图、报样",
    },
]

DISCIPLINE: list[dict[str, Any]] = [
    {
        "code": "C01",
        "title": "党风廉政建设责任制",
        "standard": "落实全面从严治党主体责任和“一岗双责”，签订党风廉政建设责任书，责任分解到人。"
        "未签订扣1分，责任未分解扣1分，未开展检查扣0.5分。",
        "points": 2.5,
        "methods": R_D,
        "evidence": "责任书、责任分解表、检查记录",
    },
    {
        "code": "C02",
        "title": "廉洁教育和警示教育",
        "standard": "每季度至少开展一次廉洁教育或警示教育。每缺一次扣0.5分，扣完为止。",
        "points": 2,
        "method": "deduction",
        "methods": R_D,
        "evidence": "廉洁教育记录、警示教育影像资料",
        "deductions": [("每缺一次廉洁教育或警示教育", 0.5), ("重要节点未开展廉洁提醒", 0.5)],
    },
    {
        "code": "C03",
        "title": "落实中央八项规定精神",
        "standard": "严格执行中央八项规定及其实施细则精神，持之以恒纠治“四风”。发现问题按情形扣分，"
        "扣完为止。",
        "points": 2,
        "method": "deduction",
        "methods": ["documents", "interview"],
        "evidence": "公务接待、公务用车台帐",
        "deductions": [
            ("公务接待、公务用车不规范", 1),
            ("存在形式主义、官僚主义问题被通报", 1),
        ],
    },
    {
        "code": "C04",
        "title": "廉洁风险防控",
        "standard": "排查岗位廉洁风险点，制定防控措施，重点岗位人员定期轮岗。未排查扣1分，措施不落实"
        "扣0.5分。",
        "points": 2,
        "methods": R_D,
        "evidence": "风险点排查表、防控措施",
    },
    {
        "code": "C05",
        "title": "信访举报和作风建设",
        "standard": "及时受理、处置信访举报，按期办结率100%；作风建设有措施、有成效。超期未办结每件"
        "扣0.5分。",
        "points": 1.5,
        "methods": ["documents", "interview"],
        "evidence": "信访举报处置台帐",
    },
    {
        "code": "C06",
        "title": "群众评议党风廉政建设",
        "standard": "由职工群众对支部党风廉政建设情况进行评议。评议得分100分得满分，60分以下不得分，"
        "其间按比例折算；有效评议人数不足时不计分。",
        "points": 2,
        "method": "survey",
        "audience": "masses",
        "formula": _pct(60, 100),
        "methods": ["survey"],
        "evidence": "群众评议结果",
    },
    {
        "code": "C07",
        "title": "发生严重违纪违法问题（一票否决）",
        "standard": "考核期内支部班子成员或党员发生严重违纪违法、受到撤销党内职务及以上处分的，"
        "实行一票否决。",
        "points": 0,
        "veto": True,
        "methods": ["documents"],
        "evidence": "纪律处分决定",
    },
]

UNION: list[dict[str, Any]] = [
    {
        "code": "D01",
        "title": "职代会和厂务公开",
        "standard": "按规定召开职工代表大会（职工大会），落实厂务公开，职工合理化建议有答复。"
        "未召开扣1分，厂务公开不及时扣0.5分。",
        "points": 2,
        "methods": ["documents", "site"],
        "evidence": "职代会资料、厂务公开栏",
    },
    {
        "code": "D02",
        "title": "困难职工帮扶",
        "standard": "建立困难职工档案，落实“两节”送温暖和日常帮扶。发现问题按情形扣分，扣完为止。",
        "points": 2,
        "method": "deduction",
        "methods": ["documents", "interview"],
        "evidence": "困难职工档案、帮扶记录",
        "deductions": [
            ("困难职工档案不全或未动态更新", 0.5),
            ("应帮扶未帮扶", 1),
            ("帮扶资金发放无签字凭证", 0.5),
        ],
    },
    {
        "code": "D03",
        "title": "劳动竞赛和技术创新",
        "standard": "围绕安全生产开展劳动竞赛、技术比武和“五小”创新活动。未开展扣1分，成果未推广"
        "扣0.5分。",
        "points": 1.5,
        "methods": R_D,
        "evidence": "竞赛方案、创新成果",
    },
    {
        "code": "D04",
        "title": "职工之家建设",
        "standard": "职工之家（小家）设施完好、管理规范、使用正常。设施缺失或闲置扣0.5分。",
        "points": 1,
        "methods": ["site"],
        "evidence": "现场查看",
    },
    {
        "code": "D05",
        "title": "女职工工作",
        "standard": "落实女职工特殊劳动保护，开展女职工关爱活动。未落实扣0.5分。",
        "points": 1,
        "methods": R_D,
        "evidence": "女职工工作记录",
    },
    {
        "code": "D06",
        "title": "群众安全监督",
        "standard": "发挥群监员作用，开展群众性安全监督检查。发现问题按情形扣分，扣完为止。",
        "points": 1.5,
        "method": "deduction",
        "methods": ["documents", "site"],
        "evidence": "群监员检查记录",
        "deductions": [("群监员未按月开展监督检查", 0.5), ("查出问题未跟踪整改", 0.5)],
    },
    {
        "code": "D07",
        "title": "职工文体活动",
        "standard": "组织职工开展健康向上的文体活动，每开展一次加0.5分，最高得满分。",
        "points": 1.5,
        "method": "count",
        "formula": _per(0.5, "add"),
        "methods": ["documents", "site"],
        "evidence": "活动方案、影像资料",
    },
    {
        "code": "D08",
        "title": "职工群众满意度",
        "standard": "由职工群众对工会工作进行满意度测评。满意度100分得满分，60分以下不得分，"
        "其间按比例折算。",
        "points": 1.5,
        "method": "survey",
        "audience": "masses",
        "formula": _pct(60, 100),
        "methods": ["survey"],
        "evidence": "满意度测评结果",
    },
]

YOUTH: list[dict[str, Any]] = [
    {
        "code": "E01",
        "title": "团组织建设",
        "standard": "团组织健全，落实“三会两制一课”制度，按期换届。制度不落实扣0.5分，未按期换届扣1分。",
        "points": 1.5,
        "methods": R_D,
        "evidence": "团组织会议记录、换届材料",
    },
    {
        "code": "E02",
        "title": "青年安全监督岗",
        "standard": "建立青年安全监督岗，定期开展安全监督检查。发现问题按情形扣分，扣完为止。",
        "points": 2,
        "method": "deduction",
        "methods": ["documents", "site"],
        "evidence": "监督岗台帐、检查记录",
        "deductions": [
            ("未设立青年安全监督岗", 1),
            ("监督岗未按月开展检查", 0.5),
            ("查出隐患未跟踪整改", 0.5),
        ],
    },
    {
        "code": "E03",
        "title": "青年突击队和创新创效",
        "standard": "组建青年突击队承担急难险重任务，开展青年创新创效活动。未开展扣1分。",
        "points": 1.5,
        "methods": R_D_S,
        "evidence": "突击队名册、任务记录、创新成果",
    },
    {
        "code": "E04",
        "title": "推优入党",
        "standard": "做好推荐优秀团员作为入党积极分子人选工作，每有一名团员发展对象加0.5分，最高得满分。",
        "points": 1,
        "method": "indicator",
        "indicator": "development.league_recommended",
        "formula": _per(0.5, "add"),
        "methods": DOCS,
        "evidence": "推优材料、发展党员工作记录",
    },
    {
        "code": "E05",
        "title": "青年志愿服务",
        "standard": "组织青年志愿服务活动，每开展一次加0.5分，最高得满分。",
        "points": 1.5,
        "method": "count",
        "formula": _per(0.5, "add"),
        "methods": ["documents", "site"],
        "evidence": "志愿服务记录",
    },
    {
        "code": "E06",
        "title": "青年思想引领",
        "standard": "开展团员青年思想政治教育和主题团日活动。每季度少于一次扣0.5分。",
        "points": 1.5,
        "methods": ["report", "interview"],
        "evidence": "活动记录",
    },
    {
        "code": "E07",
        "title": "团员管理和团费收缴",
        "standard": "团员信息完整，按时收缴团费，做好团员组织关系接转。每发现一项问题扣0.5分。",
        "points": 1,
        "methods": ["documents"],
        "evidence": "团员名册、团费台帐",
    },
]

SECURITY: list[dict[str, Any]] = [
    {
        "code": "F01",
        "title": "社会治安综合治理责任制",
        "standard": "落实社会治安综合治理领导责任制，签订责任书，定期研究部署。未签订扣1分，"
        "未研究部署扣1分。",
        "points": 2.5,
        "methods": R_D,
        "evidence": "综治责任书、会议记录",
    },
    {
        "code": "F02",
        "title": "矛盾纠纷排查调处",
        "standard": "每月开展矛盾纠纷排查，做到早发现、早报告、早化解。发现问题按情形扣分，扣完为止。",
        "points": 2.5,
        "method": "deduction",
        "methods": ["documents", "interview"],
        "evidence": "矛盾纠纷排查台帐、调处记录",
        "deductions": [
            ("未按月开展排查", 0.5),
            ("矛盾纠纷未及时上报", 1),
            ("发生越级上访", 1),
        ],
    },
    {
        "code": "F03",
        "title": "内部治安保卫",
        "standard": "要害部位、重点物资管理制度健全，人防、物防、技防落实到位。发现问题按情形扣分。",
        "points": 2,
        "method": "deduction",
        "methods": ["site", "documents"],
        "evidence": "要害部位管理台帐、现场查看",
        "deductions": [("要害部位管理制度不健全", 0.5), ("发生盗窃等治安案件", 1)],
    },
    {
        "code": "F04",
        "title": "民兵和武装工作",
        "standard": "民兵组织健全，按要求参加整组、训练，做好国防教育和兵役登记。未落实每项扣0.5分。",
        "points": 2,
        "methods": R_D,
        "evidence": "民兵名册、训练记录",
    },
    {
        "code": "F05",
        "title": "法治宣传教育",
        "standard": "落实普法责任，开展法治宣传教育。未开展扣1分。",
        "points": 1.5,
        "methods": R_D,
        "evidence": "普法活动记录",
    },
    {
        "code": "F06",
        "title": "应急处置演练",
        "standard": "开展反恐防范、消防和突发事件应急处置演练，每开展一次加1分，最高得满分。",
        "points": 2,
        "method": "count",
        "formula": _per(1, "add"),
        "methods": ["documents", "site"],
        "evidence": "演练方案、影像资料、总结评估",
    },
    {
        "code": "F07",
        "title": "平安单位创建",
        "standard": "开展平安单位创建，职工群众安全感强。未开展扣1分，走访中职工反映问题未解决扣0.5分。",
        "points": 1.5,
        "methods": ["report", "interview"],
        "evidence": "创建方案、走访记录",
    },
    {
        "code": "F08",
        "title": "发生群体性事件或重大治安案件（一票否决）",
        "standard": "考核期内发生有影响的群体性事件、重大刑事治安案件的，实行一票否决。",
        "points": 0,
        "veto": True,
        "methods": ["report", "documents"],
        "evidence": "事件报告",
    },
]

CATEGORIES: list[dict[str, Any]] = [
    {
        "code": "A",
        "name": "党建工作",
        "domain": "organisation",
        "points": 40,
        "criteria": PARTY_BUILDING,
    },
    {
        "code": "B",
        "name": "宣传思想工作",
        "domain": "publicity",
        "points": 12,
        "criteria": PUBLICITY,
    },
    {
        "code": "C",
        "name": "党风廉政建设",
        "domain": "discipline",
        "points": 12,
        "criteria": DISCIPLINE,
    },
    {"code": "D", "name": "工会工作", "domain": "union", "points": 12, "criteria": UNION},
    {"code": "E", "name": "共青团工作", "domain": "youth_league", "points": 10, "criteria": YOUTH},
    {
        "code": "F",
        "name": "社会治安及武装保卫",
        "domain": "security",
        "points": 14,
        "criteria": SECURITY,
    },
]
