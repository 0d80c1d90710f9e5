"""The approved personal-data inventory (PI-01, PI-02): every field of every model, classified.

Rules as data: ``INVENTORY`` maps each model label (``"people.Person"``) to a ``ModelInventory``
— the purpose of the table (用途), the legal basis for processing it (法律依据) and every field
name listed explicitly under one level. Nothing is classified by default: a field that is not
listed is *unclassified*, and the test suite (``core/tests/test_inventory.py``) and
``dangjian inventory --check`` fail on it, as they do on an entry that is no longer a field.
``docs/privacy-inventory.md`` is generated from this module (``dangjian inventory --output``).

Levels — classify a field by the most sensitive thing it can hold:

L1  Not personal: configuration and rule tables, counters, digests, organisation data
    (names, tree, terms, assessment of branches). No PIPL basis needed.
L2  Internal identifiers and technical metadata linked to a person but revealing nothing about
    them by themselves: primary keys of person-linked rows, uids, usernames, employee numbers,
    foreign keys to persons and accounts (and to organisations, in a row about a person), IP
    addresses and user agents, account state, timestamps of a person's actions.
L3  Personal information (PIPL Art. 4): name, gender, birth date, ethnicity, education, post,
    unit, political status (党员身份) and Party organisation, membership dates and stages,
    meeting attendance, dues amounts and income base, appraisal grades and votes, scores of
    persons, free text about persons.
L4  Sensitive personal information (PIPL Art. 28; GB/T 35273 Annex B) and authentication data:
    citizen ID number and its blind index, phone, home address, health data, discipline (处分)
    records, integrity files, and change histories that carry such values; password hashes,
    MFA secrets, session keys, token hashes, recovery codes. AC-03 requires them masked unless
    the viewer holds a ``view_full_*``/``reveal_*`` permission; CRY-02 requires identifiers and
    contacts sealed with SM4-GCM.

Purposes and legal bases are written in Chinese because assessors read them. The legal bases
are the developers' proposal from the laws and Party regulations in force; the Party
committee's personal-information officer confirms them in the PIA (PI-08).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models


class Level(enum.IntEnum):
    L1 = 1
    L2 = 2
    L3 = 3
    L4 = 4

    @property
    def code(self) -> str:
        return self.name

    @property
    def meaning(self) -> str:
        return LEVEL_MEANINGS[self]


LEVEL_MEANINGS: dict[Level, str] = {
    Level.L1: "非个人信息：配置与规则表、计数、摘要值、组织数据"
    "（组织名称、组织树、届期、对党组织的考核）",
    Level.L2: "内部标识：与个人关联但本身不揭示个人情况——人员相关记录的主键、UID、用户名、工号、"
    "指向人员或账户的外键（以及人员记录中指向组织的外键）、IP地址与客户端、账户状态、"
    "个人操作的时间",
    Level.L3: "个人信息（《个人信息保护法》第四条）：姓名、性别、出生日期、民族、学历、岗位、单位、"
    "政治面貌与所在党组织、入党转正等党籍日期与发展阶段、参会情况、党费金额与基数、评议等次与投票、"
    "个人得分、关于个人的自由文本",
    Level.L4: "敏感个人信息（《个人信息保护法》第二十八条；GB/T 35273 附录B）及鉴别信息："
    "身份证号及其盲索引、手机号、家庭住址、健康信息、处分记录、廉洁档案及载有这些值的变更记录；"
    "密码哈希、多因素认证密钥、"
    "会话标识、令牌哈希、恢复码。按 AC-03 应默认脱敏、须专门权限方可查看明文",
}


@dataclass(frozen=True)
class ModelInventory:
    """One model's entry: purpose, legal basis, each field under exactly one level."""

    purpose: str
    basis: str
    fields: Mapping[Level, tuple[str, ...]]
    notes: Mapping[str, str] = field(default_factory=dict)  # field → why this level (Chinese)

    def __post_init__(self) -> None:
        if not self.purpose.strip() or not self.basis.strip():
            raise ValueError("每个模型都须写明用途和法律依据。")
        seen: set[str] = set()
        for names in self.fields.values():
            for name in names:
                if name in seen:
                    raise ValueError(f"字段 {name} 被列在多个级别下。")
                seen.add(name)
        unknown = sorted(set(self.notes) - seen)
        if unknown:
            raise ValueError(f"说明针对未列出的字段：{', '.join(unknown)}")
        levels = set(self.levels.values())
        if self.basis.startswith(NO_PERSONAL_DATA) and levels - {Level.L1}:
            raise ValueError("声明不处理个人信息的模型只能有 L1 字段。")
        if Level.L4 in levels and not any(a in self.basis for a in PROTECTIVE_ARTICLES):
            raise ValueError(
                "有 L4 字段的模型须写明保护依据（《个人信息保护法》第二十八条或第五十一条）。"
            )

    @property
    def levels(self) -> dict[str, Level]:
        """Field name → level."""
        return {name: level for level, names in self.fields.items() for name in names}


# --- legal bases (reused below, completed per model) -----------------------------------------

_HR = (
    "《个人信息保护法》第十三条第一款第（二）项：按照依法制定的劳动规章制度"
    "和依法签订的集体合同实施人力资源管理所必需"
)
_PARTY = (
    "《个人信息保护法》第十三条第一款第（三）项：履行法定职责或者法定义务所必需"
    "（《公司法》第十八条：公司中根据党章设立党的组织、开展党的活动，公司为其提供必要条件；"
    "第一百七十条：国家出资公司中党的组织发挥领导作用）"
)
_SECURITY = (
    "《网络安全法》第二十一条（网络安全等级保护义务；2025年修正后为第二十三条）；"
    "GB/T 22239-2019 第三级 8.1.4.1 身份鉴别、8.1.4.2 访问控制；"
    "《个人信息保护法》第五十一条（加密等安全技术措施）"
)
_LOG = (
    "《网络安全法》第二十一条第（三）项（2025年修正后为第二十三条第（三）项）："
    "记录网络运行状态和网络安全事件，留存网络日志不少于六个月；GB/T 22239-2019 8.1.4.3 安全审计"
)
_NONE = NO_PERSONAL_DATA = "不处理个人信息（配置或组织数据），无需个人信息处理的合法性基础"
# A model with an L4 field must name the protective basis: one of these articles of the PIPL.
PROTECTIVE_ARTICLES = ("第二十八条", "第五十一条")
_CHARTER = "《中国共产党章程》"
_BRANCH = "《中国共产党支部工作条例（试行）》"
_SOE = "《中国共产党国有企业基层组织工作条例（试行）》"
_EDUCATION = "《中国共产党党员教育管理工作条例》"
_DEVELOPMENT = "《中国共产党发展党员工作细则》"
_DUES = "《关于中国共产党党费收缴、使用和管理的规定》（中共中央组织部，2008年）"
_STARS = "矿党委“双评”（星级党支部、星级党员）考核制度（本地制度）"
_PARTY_REF = (
    "《个人信息保护法》第十三条第一款第（三）项（履行法定职责或者法定义务，见 people.Person）"
)
_STAFF = (
    "经办人账户及其操作时间（L2）：《个人信息保护法》第十三条第一款第（二）项"
    "（职工履行岗位职责，人力资源管理所必需）"
)
_SENSITIVE = (
    "L4 字段按敏感个人信息处理：《个人信息保护法》第二十八条第二款（特定目的、充分必要、"
    "严格保护措施）、第五十一条（加密、去标识化、操作权限）"
)
_FOLLOWS = (
    "随所依据的业务数据：职工数据为《个人信息保护法》第十三条第一款第（二）项（人力资源管理），"
    "党务数据为同款第（三）项（履行法定职责或者法定义务，见 people.Person）"
)
_ORG_ASSESS = "对党组织的考核（" + _SOE + "：党建工作责任制考核），考核数据本身不是个人信息"
_VETO_BASIS = (
    "否决理由中可能出现的党员处分信息（L4）：" + _PARTY_REF + "，并须符合《个人信息保护法》"
    "第二十八条第二款（特定目的、充分必要、严格保护措施）"
)

_L1, _L2, _L3, _L4 = Level.L1, Level.L2, Level.L3, Level.L4

# Notes shared by several fields.
_FILE_NAME = "上传时的原文件名，常含人员姓名"
_ORG_IN_PERSON_ROW = (
    "人员记录中指向组织的外键，作为关联标识（L2）；人员本身的所属组织见 people.Person"
)
_DISCIPLINE_VETO = (
    "一票否决项“发生严重违纪违法问题”以纪律处分决定为佐证，此处可能写明党员所受处分，按L4管理"
)


INVENTORY: dict[str, ModelInventory] = {
    # --- core ---------------------------------------------------------------------------------
    "core.Rule": ModelInventory(
        purpose="业务规则的当前取值及其来源（规则即数据），各模块据此计算和提醒",
        basis=_NONE,
        fields={_L1: ("id", "key", "category", "name", "value", "unit", "source", "updated_at")},
    ),
    "core.Job": ModelInventory(
        purpose="后台任务（导入、导出、台帐生成）的进度与结果，供发起人查看；"
        "导出文件到期删除（PI-05）",
        basis=_FOLLOWS,
        fields={
            _L2: (
                "id",
                "uid",
                "kind",
                "owner",
                "status",
                "phase",
                "done",
                "total",
                "input_file",
                "output_file",
                "created_at",
                "finished_at",
            ),
            _L3: ("message", "params", "result"),
        },
        notes={
            "params": "导入文件名、导出筛选条件",
            "result": "导入逐行错误（可含工号等）、导出行数",
        },
    ),
    # --- accounts -----------------------------------------------------------------------------
    "accounts.User": ModelInventory(
        purpose="系统登录账户：身份鉴别、账户状态与锁定、密码有效期、三员角色",
        basis=_HR + "（职工使用内部信息系统）；" + _SECURITY,
        fields={
            _L2: (
                "id",
                "last_login",
                "is_superuser",
                "username",
                "is_staff",
                "is_active",
                "date_joined",
                "admin_role",
                "must_change_password",
                "password_changed_at",
                "failed_logins",
                "locked_until",
                "is_demo",
                "enabled_at",
                "groups",
                "user_permissions",
            ),
            _L3: ("first_name", "last_name", "email", "display_name"),
            _L4: ("password",),
        },
        notes={
            "password": "Argon2id 哈希（AUTH-09），属鉴别信息",
            "first_name": "Django 账户模型自带字段；本系统的表单、接口和导入均不采集，"
            "始终为空（PI-02）",
            "last_name": "同 first_name：不采集，始终为空",
            "email": "同 first_name：不采集，始终为空",
            "groups": "Django 权限组，本系统不使用（业务角色见 accounts.RoleAssignment）",
            "user_permissions": "Django 单项权限，本系统不使用",
        },
    ),
    "accounts.Role": ModelInventory(
        purpose="业务角色的定义：权限集合与数据范围（配置）",
        basis=_NONE + "；GB/T 22239-2019 8.1.4.2 访问控制",
        fields={_L1: ("id", "code", "name", "scope_kind", "permissions", "description")},
    ),
    "accounts.RoleAssignment": ModelInventory(
        purpose="账户在某一组织节点（或部门）上被授予的业务角色，决定其数据范围（AC-02）",
        basis=_SECURITY,
        fields={
            _L2: ("id", "user", "role", "party_org", "department", "granted_at", "granted_by"),
        },
        notes={"granted_by": "授权人的用户名"},
    ),
    "accounts.PasswordHistory": ModelInventory(
        purpose="最近若干个密码的哈希，防止重复使用旧密码（AUTH-03）",
        basis=_SECURITY,
        fields={_L2: ("id", "user", "created_at"), _L4: ("password",)},
        notes={"password": "旧密码的 Argon2id 哈希"},
    ),
    "accounts.ApiToken": ModelInventory(
        purpose="接口令牌：只保存SM3哈希，明文前缀供持有人识别和吊销（AUTH-10）",
        basis=_SECURITY,
        fields={
            _L2: (
                "id",
                "user",
                "name",
                "prefix",
                "created_at",
                "last_used_at",
                "expires_at",
                "revoked_at",
            ),
            _L4: ("key_hash",),
        },
        notes={
            "prefix": "独立生成的随机前缀，不是密钥的一部分",
            "key_hash": "令牌的 SM3 哈希，属鉴别信息",
        },
    ),
    "accounts.LoginFailure": ModelInventory(
        purpose="按来源IP记录登录失败，实施每IP限流（AUTH-06）",
        basis=_SECURITY + "；GB/T 22239-2019 8.1.4.1 b）登录失败处理",
        fields={_L2: ("id", "ip", "at")},
    ),
    "accounts.UsernameLock": ModelInventory(
        purpose="不存在账户的用户名的失败计数与锁定，使响应不泄露用户名是否存在（AUTH-05）",
        basis=_SECURITY + "；GB/T 22239-2019 8.1.4.1 b）登录失败处理",
        fields={_L2: ("id", "username", "failed_logins", "locked_until", "updated_at")},
        notes={"username": "登录时输入的用户名（小写），系统中并无此账户"},
    ),
    "accounts.UserSession": ModelInventory(
        purpose="账户的服务器会话，供本人和安全管理员查看、结束会话（SESS-04、SESS-06）",
        basis=_SECURITY + "；GB/T 22239-2019 8.1.4.10 剩余信息保护",
        fields={
            _L2: ("user", "created_at", "last_seen", "ip", "user_agent"),
            _L4: ("session",),
        },
        notes={"session": "会话标识（与 django_session 主键相同），持有即可登录，属鉴别信息"},
    ),
    "accounts.MfaDevice": ModelInventory(
        purpose="TOTP 多因素认证器：密钥以SM4-GCM加密保存，记录防重放时间步与失败锁定"
        "（AUTH-07、AUTH-08）",
        basis=_SECURITY + "；GB/T 22239-2019 8.1.4.1 d）两种或两种以上组合的鉴别技术",
        fields={
            _L2: (
                "id",
                "user",
                "created_at",
                "confirmed_at",
                "last_step",
                "last_used_at",
                "failures",
                "locked_until",
            ),
            _L4: ("secret_sealed",),
        },
        notes={"secret_sealed": "TOTP 密钥密文（SM4-GCM），属鉴别信息"},
    ),
    "accounts.MfaRecoveryCode": ModelInventory(
        purpose="一次性恢复码，只保存加盐SM3哈希（AUTH-08）",
        basis=_SECURITY,
        fields={_L2: ("id", "device", "used_at"), _L4: ("code_hash",)},
        notes={"code_hash": "salt$SM3(salt‖code)，属鉴别信息"},
    ),
    # --- audit --------------------------------------------------------------------------------
    "audit.AuditEvent": ModelInventory(
        purpose="安全审计记录：何人、何时、从何处、对何对象做了什么及结果，"
        "SM3哈希链防篡改（AUD-01至AUD-05）",
        basis=_LOG + "；《个人信息保护法》第五十四条（合规审计）；" + _SENSITIVE,
        fields={
            _L1: ("prev_hash", "hash"),
            _L2: (
                "id",
                "occurred_at",
                "actor_id",
                "actor_name",
                "ip",
                "user_agent",
                "request_id",
                "channel",
                "event_type",
                "object_type",
                "object_id",
                "outcome",
            ),
            _L3: ("object_repr", "reason"),
            _L4: ("changes",),
        },
        notes={
            "actor_name": "操作人的用户名",
            "object_repr": "对象的显示名，人员为“姓名（工号）”",
            "reason": "查看明文等操作填写的事由",
            "changes": "变更前后值；身份证号等密封字段已脱敏（PI-03），"
            "但党籍状态（含开除党籍）为明文，故按L4管理",
        },
    ),
    "audit.AuditChainHead": ModelInventory(
        purpose="审计哈希链的链头（最后一条记录的哈希），追加时加锁保证链的线性",
        basis=_LOG,
        fields={_L1: ("id", "last_hash", "last_event_id")},
    ),
    "audit.AuditPurgeFlag": ModelInventory(
        purpose="SQLite 上保留期清理进行中的标志行（仅清理事务内存在）",
        basis=_LOG,
        fields={_L1: ("id", "started_at")},
    ),
    # --- orgs ---------------------------------------------------------------------------------
    "orgs.PartyOrg": ModelInventory(
        purpose="党组织树（党委、党总支、党支部、党小组）及其基本信息、届期、撤并与覆盖班队",
        basis="组织数据不涉及个人信息，依党内法规"
        + _CHARTER
        + _BRANCH
        + _SOE
        + "设置；书记、联系人的姓名和联系电话："
        + _PARTY,
        fields={
            _L1: (
                "id",
                "name",
                "path",
                "depth",
                "sort_order",
                "kind",
                "parent",
                "code",
                "category",
                "unit_situation",
                "established_on",
                "has_committee",
                "term_started_on",
                "term_ends_on",
                "dissolved_on",
                "merged_into",
                "version",
                "covered_units",
            ),
            _L3: ("secretary_name", "contact_name", "contact_phone"),
        },
        notes={
            "contact_phone": "组织的办公联系电话，明文存储、不脱敏；"
            "若录入个人手机号则属L4，须改为加密存储",
        },
    ),
    "orgs.Unit": ModelInventory(
        purpose="行政单位树（矿、区队/车间、科室、班队），用于人员归属和党小组覆盖班队",
        basis=_NONE,
        fields={
            _L1: (
                "id",
                "name",
                "path",
                "depth",
                "sort_order",
                "kind",
                "parent",
                "is_production",
                "party_org",
                "dissolved_on",
            )
        },
    ),
    "orgs.Department": ModelInventory(
        purpose="政工职能部门及其职能领域（用于考核大项归口和部门数据范围）",
        basis=_NONE,
        fields={_L1: ("id", "name", "domain", "party_org", "sort_order")},
    ),
    "orgs.OrgEvent": ModelInventory(
        purpose="党组织调整记录（成立、更名、调整隶属、合并、拆分、撤销、换届），用于还原历史组织",
        basis=_NONE + "；" + _BRANCH,
        fields={
            _L1: (
                "id",
                "org",
                "kind",
                "effective_on",
                "old_name",
                "new_name",
                "old_parent",
                "new_parent",
                "related_org",
                "note",
                "created_at",
            )
        },
    ),
    # --- people -------------------------------------------------------------------------------
    "people.Person": ModelInventory(
        purpose="职工（含党员）基本信息与党籍信息：人员管理、党员管理、组织生活、党费、"
        "统计分析的基础数据；身份证号、手机号、家庭住址以SM4-GCM加密保存并默认脱敏，"
        "查看明文须权限和事由并记审计（CRY-02、PI-03、PI-04）",
        basis=_HR
        + "（工号、姓名、性别、出生日期、民族、学历、岗位、单位、身份证号、手机号、家庭住址）；"
        + _PARTY
        + "，党内法规"
        + _CHARTER
        + _EDUCATION
        + "（政治面貌、所在党组织、入党与转正日期、党籍状态、失联和流动党员管理）；"
        + _SENSITIVE,
        fields={
            _L2: ("id", "uid", "employee_no", "user", "version", "created_at", "updated_at"),
            _L3: (
                "name",
                "gender",
                "ethnicity",
                "birth_date",
                "education",
                "post",
                "unit",
                "is_front_line",
                "political_status",
                "party_org",
                "party_group",
                "joined_party_on",
                "regularised_on",
                "lost_contact",
                "lost_contact_on",
                "is_mobile",
                "mobile_destination",
                "is_employed",
            ),
            _L4: (
                "citizen_id_sealed",
                "citizen_id_bidx",
                "phone_sealed",
                "phone_bidx",
                "address_sealed",
                "membership_status",
            ),
        },
        notes={
            "citizen_id_sealed": "身份证号密文（SM4-GCM，AAD 绑定表、行、字段）",
            "citizen_id_bidx": "身份证号的 HMAC-SM3 盲索引，可用于精确比对，与明文同级",
            "phone_sealed": "手机号密文（SM4-GCM）",
            "phone_bidx": "手机号的 HMAC-SM3 盲索引，与明文同级",
            "address_sealed": "家庭住址密文（SM4-GCM）",
            "membership_status": "党籍状态含“开除党籍”"
            "（《中国共产党纪律处分条例》规定的党纪处分），属处分记录，按L4管理",
            "unit": "所在单位/班队（人员本身的归属，L3）",
            "party_org": "所在党组织（揭示党员身份，L3）",
            "mobile_destination": "流动党员外出流向（地区或单位），不是行踪轨迹",
        },
    ),
    "people.PersonChange": ModelInventory(
        purpose="人员记录的变更历史（谁、何时、改了什么）及当时所在的党组织和单位",
        basis=_HR + "；" + _PARTY + "；" + _LOG + "；" + _SENSITIVE,
        fields={
            _L2: ("id", "person", "changed_at", "actor_name", "source"),
            _L3: ("party_org", "party_org_name", "unit", "unit_name"),
            _L4: ("changes",),
        },
        notes={
            "actor_name": "操作人的用户名",
            "changes": "变更前后值；身份证号、手机号、住址已脱敏，"
            "党籍状态（含开除党籍）为明文，故按L4管理",
            "party_org": "人员当时所在党组织（L3）",
            "unit": "人员当时所在单位（L3）",
        },
    ),
    "people.AnalyticsSnapshot": ModelInventory(
        purpose="人员结构分析页面的统计结果，按查看者的数据范围缓存（只供数据范围相同的用户读取）",
        basis=_FOLLOWS,
        fields={_L1: ("id", "version", "computed_at"), _L2: ("scope_key",), _L3: ("data",)},
        notes={
            "scope_key": "查看者数据范围的摘要；“本人”范围的摘要与个人对应",
            "data": "按年龄、党龄、学历、性别等的汇总人数；范围很小时可推知个人，按个人信息管理",
        },
    ),
    # --- orglife ------------------------------------------------------------------------------
    "orglife.MeetingType": ModelInventory(
        purpose="组织生活类型规则（三会一课、主题党日等）：频次、适用组织、法定人数",
        basis=_NONE + "；规则来源" + _BRANCH,
        fields={
            _L1: (
                "id",
                "code",
                "name",
                "frequency",
                "applies_to",
                "requires_committee",
                "required",
                "quorum",
                "quorum_share",
                "source",
                "note",
                "sort_order",
                "version",
            )
        },
    ),
    "orglife.Meeting": ModelInventory(
        purpose="组织生活会议（计划、通知、签到、纪要、归档），用于落实和检查三会一课等制度",
        basis=_PARTY + "，党内法规" + _CHARTER + _BRANCH + "（三会一课、组织生活会、主题党日）",
        fields={
            _L1: (
                "id",
                "org",
                "meeting_type",
                "title",
                "planned_at",
                "held_on",
                "period_start",
                "period_end",
                "location",
                "state",
                "signin_nonce",
                "signin_opened_at",
                "quorate",
                "invited_count",
                "present_count",
                "version",
            ),
            _L2: ("created_by", "created_at", "updated_at"),
            _L3: ("host", "topic", "content", "resolutions", "speakers"),
        },
        notes={
            "signin_nonce": "签到二维码的随机数，签到结束即失效；不属于个人信息",
            "host": "主持人姓名",
            "speakers": "发言人姓名",
            "topic": "议题，常涉及具体人员（如讨论接收预备党员）",
            "content": "会议记录，记载个人发言",
            "resolutions": "决议事项，常涉及具体人员",
        },
    ),
    "orglife.MeetingAttendance": ModelInventory(
        purpose="会议的应到人员及出席、缺席、请假和签到情况，用于法定人数和参加组织生活情况统计",
        basis=_PARTY
        + "，党内法规"
        + _CHARTER
        + "（党员参加党的组织生活）"
        + _BRANCH
        + "；"
        + _SENSITIVE,
        fields={
            _L2: ("id", "meeting", "person", "checked_in_at"),
            _L3: ("status", "is_voting", "method"),
            _L4: ("reason",),
        },
        notes={
            "is_voting": "有表决权（正式党员）与否，揭示党员身份",
            "reason": "缺席/请假事由，常含病假、住院等健康信息，按L4管理",
        },
    ),
    "orglife.MeetingFile": ModelInventory(
        purpose="会议照片和附件（签到表、纪要等），随机文件名保存在私有目录，经权限检查下载",
        basis=_PARTY + "，党内法规" + _BRANCH,
        fields={
            _L1: ("id", "meeting", "kind", "stored_name", "content_type", "size"),
            _L2: ("uploaded_by", "uploaded_at"),
            _L3: ("original_name",),
        },
        notes={"original_name": _FILE_NAME},
    ),
    # --- dues ---------------------------------------------------------------------------------
    "dues.MemberCategory": ModelInventory(
        purpose="党员交纳党费的类别及计算方式（规则表）",
        basis=_NONE + "；规则来源" + _DUES,
        fields={
            _L1: (
                "id",
                "code",
                "name",
                "kind",
                "scheme",
                "fixed_min_fen",
                "fixed_max_fen",
                "base_note",
                "source",
                "sort_order",
                "active",
            )
        },
    ),
    "dues.IncomeComponent": ModelInventory(
        purpose="党费计算基数的收入项目（计入或扣除，规则表）",
        basis=_NONE + "；规则来源" + _DUES,
        fields={
            _L1: ("id", "code", "name", "sign", "schemes", "source", "sort_order", "active"),
        },
    ),
    "dues.DuesBracket": ModelInventory(
        purpose="党费交纳比例档次（规则表）",
        basis=_NONE + "；规则来源" + _DUES,
        fields={_L1: ("id", "scheme", "upper_fen", "rate", "source")},
    ),
    "dues.DuesAssessment": ModelInventory(
        purpose="党员党费年初核定：交费类别、月基数及收入项目、比例、月交纳额",
        basis=_PARTY + "，党内法规" + _CHARTER + _DUES,
        fields={
            _L2: (
                "id",
                "person",
                "party_org",
                "year",
                "created_by",
                "created_at",
                "updated_at",
            ),
            _L3: ("category", "components", "base_fen", "rate", "monthly_fen", "note"),
        },
        notes={
            "party_org": _ORG_IN_PERSON_ROW,
            "category": "交费类别（如离退休、困难党员），揭示个人状况",
            "components": "月收入各项金额（分）：收入状况，GB/T 35273 可视为个人财产信息",
            "base_fen": "月收入基数（分）",
        },
    ),
    "dues.DuesChange": ModelInventory(
        purpose="年度内工资变动引起的党费基数和月交纳额调整",
        basis=_PARTY + "，党内法规" + _DUES,
        fields={
            _L2: ("id", "assessment", "created_at"),
            _L3: (
                "effective_month",
                "components",
                "base_fen",
                "rate",
                "monthly_fen",
                "reason",
            ),
        },
        notes={"components": "月收入各项金额（分）", "reason": "收入变动原因"},
    ),
    "dues.DuesPayment": ModelInventory(
        purpose="党费交纳记录（按月、按季经批准、补交、代交、自愿多交），用于收缴核对和公开",
        basis=_PARTY + "，党内法规" + _CHARTER + _DUES,
        fields={
            _L2: (
                "id",
                "person",
                "party_org",
                "payer_person",
                "recorded_by",
                "created_at",
            ),
            _L3: (
                "paid_on",
                "kind",
                "bills_fen",
                "voluntary_fen",
                "amount_fen",
                "to_centre",
                "is_proxy",
                "payer_name",
                "approval_note",
                "note",
            ),
        },
        notes={"party_org": _ORG_IN_PERSON_ROW, "payer_name": "代交人姓名或说明"},
    ),
    "dues.DuesBill": ModelInventory(
        purpose="党员每月应交党费账单及其结清情况，用于欠交提醒和统计",
        basis=_PARTY + "，党内法规" + _DUES,
        fields={
            _L2: (
                "id",
                "person",
                "party_org",
                "year",
                "month",
                "month_index",
                "payment",
                "created_at",
            ),
            _L3: ("amount_fen", "status", "paid_on"),
        },
        notes={"party_org": _ORG_IN_PERSON_ROW},
    ),
    "dues.DuesExpense": ModelInventory(
        purpose="党组织的党费上缴和使用记录，用于党费收支公开",
        basis="党费收支属组织数据，依"
        + _DUES
        + "公开；用途说明中可能写明的慰问对象等人员信息（L3）："
        + _PARTY_REF
        + "；"
        + _STAFF,
        fields={
            _L1: ("id", "party_org", "spent_on", "kind", "amount_fen"),
            _L2: ("recorded_by", "created_at"),
            _L3: ("purpose",),
        },
        notes={"purpose": "用途说明，可能写明慰问对象等具体人员"},
    ),
    # --- development --------------------------------------------------------------------------
    "development.StepRule": ModelInventory(
        purpose="发展党员25个步骤的规则表：阶段、责任主体、所需材料、前置步骤、时间间隔",
        basis=_NONE + "；规则来源" + _DEVELOPMENT,
        fields={
            _L1: (
                "id",
                "number",
                "stage",
                "name",
                "responsible",
                "documents",
                "predecessors",
                "interval_from",
                "interval_unit",
                "min_interval",
                "max_interval",
                "hard_max_interval",
                "counts_probation",
                "min_days",
                "min_hours",
                "min_age_years",
                "sets_status",
                "source",
                "updated_at",
            )
        },
    ),
    "development.DevelopmentCase": ModelInventory(
        purpose="发展党员档案：一名发展对象从入党申请到转正归档的进度、期限、延长预备期和终止",
        basis=_PARTY + "，党内法规" + _CHARTER + _DEVELOPMENT,
        fields={
            _L2: ("id", "person", "branch", "created_at", "updated_at"),
            _L3: (
                "state",
                "current_stage",
                "last_step",
                "next_step",
                "next_earliest",
                "next_latest",
                "extension_count",
                "extension_months",
                "extension_decided_on",
                "extension_reason",
                "closed_on",
                "closed_reason",
            ),
        },
        notes={
            "branch": _ORG_IN_PERSON_ROW,
            "state": "含“取消预备党员资格”（组织处置，非党纪处分）",
            "extension_reason": "延长预备期的原因",
            "closed_reason": "终止发展或取消预备党员资格的原因",
        },
    ),
    "development.StepRecord": ModelInventory(
        purpose="发展党员各步骤的完成记录：日期、学时、是否按期及超期原因",
        basis=_PARTY + "，党内法规" + _DEVELOPMENT,
        fields={
            _L2: ("id", "case", "recorder", "recorder_name", "created_at"),
            _L3: (
                "step",
                "completed_on",
                "started_on",
                "hours",
                "window_earliest",
                "window_latest",
                "on_time",
                "late_reason",
                "note",
            ),
        },
        notes={"recorder_name": "登记人的用户名"},
    ),
    "development.StepDocument": ModelInventory(
        purpose="发展党员步骤的材料文件（入党申请书、考察材料等），随机文件名保存在私有目录",
        basis=_PARTY + "，党内法规" + _DEVELOPMENT,
        fields={
            _L2: ("id", "uid", "record", "stored_name", "content_type", "size", "uploaded_at"),
            _L3: ("original_name",),
        },
        notes={"original_name": _FILE_NAME},
    ),
    # --- reminders ----------------------------------------------------------------------------
    "reminders.Reminder": ModelInventory(
        purpose="待办提醒：按规则生成的到期事项（如欠交党费、预备期届满、换届），"
        "及其责任组织或相关人员",
        basis=_FOLLOWS,
        fields={
            _L1: ("rule", "category"),
            _L2: (
                "id",
                "key",
                "level",
                "org",
                "person",
                "url",
                "first_seen",
                "last_seen",
                "resolved_at",
            ),
            _L3: ("title", "due_on"),
        },
        notes={
            "key": "提醒的唯一键，含相关记录的ID",
            "title": "事项说明，常含人员姓名",
            "due_on": "到期日，可揭示个人的转正、欠费等日期",
        },
    ),
    "reminders.Notification": ModelInventory(
        purpose="提醒送达某一账户的站内通知及已读状态",
        basis=_FOLLOWS,
        fields={_L2: ("id", "reminder", "user", "created_at", "read_at")},
    ),
    # --- transfers ----------------------------------------------------------------------------
    "transfers.Transfer": ModelInventory(
        purpose="党员组织关系转接（系统内、转出、转入）：介绍信、审批、接收与回执",
        basis=_PARTY + "，党内法规" + _CHARTER + "（党员编入党的组织）" + _EDUCATION,
        fields={
            _L2: (
                "id",
                "person",
                "from_org",
                "to_org",
                "to_group",
                "letter_no",
                "letter_year",
                "letter_seq",
                "requested_by",
                "requested_at",
                "approved_by",
                "approved_at",
                "accepted_by",
                "accepted_at",
            ),
            _L3: (
                "kind",
                "status",
                "external_org",
                "cross_province",
                "reason",
                "issued_on",
                "valid_until",
                "paid_up_to",
                "receipt_on",
                "note",
                "completed_on",
            ),
        },
        notes={
            "from_org": _ORG_IN_PERSON_ROW,
            "to_org": _ORG_IN_PERSON_ROW,
            "to_group": _ORG_IN_PERSON_ROW,
            "external_org": "转往或来自的系统外党组织，揭示去向",
            "requested_by": "发起人的用户名",
            "approved_by": "审批人的用户名",
            "accepted_by": "接收人的用户名",
        },
    ),
    "transfers.LetterCounter": ModelInventory(
        purpose="每年介绍信编号的计数器",
        basis=_NONE,
        fields={_L1: ("id", "year", "last")},
    ),
    # --- appraisal ----------------------------------------------------------------------------
    "appraisal.AppraisalRound": ModelInventory(
        purpose="党支部年度民主评议党员工作（准备、自评、测评、结束）",
        basis=_PARTY + "，党内法规" + _EDUCATION + "（民主评议党员）",
        fields={
            _L1: ("id", "branch", "year", "state", "note", "closed_at"),
            _L2: ("created_by", "created_at"),
        },
    ),
    "appraisal.AppraisalEntry": ModelInventory(
        purpose="被评议党员的个人自评和评定等次",
        basis=_PARTY + "，党内法规" + _EDUCATION + "（民主评议党员）",
        fields={
            _L2: ("id", "round", "person", "self_submitted_at", "graded_at"),
            _L3: ("self_assessment", "grade"),
        },
        notes={"grade": "优秀、合格、基本合格、不合格（不合格导致组织处置，非党纪处分）"},
    ),
    "appraisal.AppraisalEvaluator": ModelInventory(
        purpose="支部书记指定的评议人（党员互评或群众评议）",
        basis=_PARTY + "，党内法规" + _EDUCATION + "（民主评议党员）",
        fields={_L2: ("id", "round", "person"), _L3: ("kind",)},
        notes={"kind": "党员或群众，揭示评议人的政治面貌"},
    ),
    "appraisal.AppraisalVote": ModelInventory(
        purpose="评议人对被评议党员的评价等次（逐人保存，用于计票和复核）",
        basis=_PARTY + "，党内法规" + _EDUCATION + "（民主评议党员）",
        fields={_L2: ("id", "entry", "evaluator", "cast_at"), _L3: ("grade",)},
        notes={"grade": "可关联到评议人和被评议人，非匿名"},
    ),
    # --- ledgers ------------------------------------------------------------------------------
    "ledgers.Ledger": ModelInventory(
        purpose="生成的党支部标准化台帐文件（支部、年度、格式、生成人）",
        basis=_PARTY + "，党内法规" + _BRANCH + "（党支部工作记录）",
        fields={
            _L1: ("id", "branch", "year", "fmt"),
            _L2: ("job", "created_by", "created_at"),
        },
    ),
    # --- surveys ------------------------------------------------------------------------------
    "surveys.Survey": ModelInventory(
        purpose="满意度测评/群众评议：对党支部或某一党员（星级党员群众评议）的测评",
        basis=_PARTY + "，党内法规" + _SOE + "；" + _STARS,
        fields={
            _L1: (
                "id",
                "context",
                "subject_org",
                "audience",
                "opens_on",
                "closes_on",
                "min_respondents",
                "state",
                "closed_at",
            ),
            _L2: ("subject_person", "created_by", "created_at"),
            _L3: ("title",),
        },
        notes={"title": "标题；对个人的测评常含被测评人姓名"},
    ),
    "surveys.Question": ModelInventory(
        purpose="测评题目、题型、选项和权重",
        basis=_NONE,
        fields={_L1: ("id", "survey", "order", "text", "kind", "options", "weight")},
    ),
    "surveys.Participation": ModelInventory(
        purpose="记录某人已参加某次测评（每人一次），与答卷不关联",
        basis=_PARTY + "；" + _HR + "（群众参评）；" + _STARS,
        fields={_L2: ("id", "survey", "person", "answered_on")},
    ),
    "surveys.Response": ModelInventory(
        purpose="匿名答卷：随机主键，不含人员、账户和时间，与参评记录不关联",
        basis=_PARTY + "；" + _STARS,
        fields={_L1: ("id", "survey"), _L3: ("answers",)},
        notes={
            "id": "随机UUID，不指向任何人",
            "answers": "匿名答案；对个人的测评是对被测评人的评价，文字意见可能涉及具体人员",
        },
    ),
    # --- assessment ---------------------------------------------------------------------------
    "assessment.AssessmentScheme": ModelInventory(
        purpose="考核方案（六考一评）：年度、适用组织类型、版本、基本分与加分上限",
        basis=_ORG_ASSESS + "；" + _STAFF,
        fields={
            _L1: (
                "id",
                "party_org",
                "name",
                "year",
                "org_kind",
                "version",
                "based_on",
                "state",
                "total_points",
                "bonus_cap",
                "description",
                "created_at",
            ),
            _L2: ("published_at", "published_by"),
        },
    ),
    "assessment.Category": ModelInventory(
        purpose="考核大项及其责任部门领域和分值",
        basis=_NONE,
        fields={_L1: ("id", "scheme", "code", "name", "domain", "max_points", "sort_order")},
    ),
    "assessment.Criterion": ModelInventory(
        purpose="考核细则：分值、评分标准、评分方式、佐证要求、否决和加分标记、自动指标与公式",
        basis=_NONE,
        fields={
            _L1: (
                "id",
                "category",
                "code",
                "title",
                "standard",
                "max_points",
                "method",
                "evidence_required",
                "evidence_methods",
                "is_veto",
                "is_bonus",
                "indicator_key",
                "survey_audience",
                "formula",
                "sort_order",
            )
        },
    ),
    "assessment.DeductionItem": ModelInventory(
        purpose="扣分类细则的扣分情形及每次扣分",
        basis=_NONE,
        fields={_L1: ("id", "criterion", "text", "points", "sort_order")},
    ),
    "assessment.AssessmentRound": ModelInventory(
        purpose="季度考核或专项考核轮次：考核期、阶段、公示、星级规则快照",
        basis=_ORG_ASSESS + "；" + _STAFF,
        fields={
            _L1: (
                "id",
                "party_org",
                "scheme",
                "name",
                "kind",
                "year",
                "quarter",
                "period_start",
                "period_end",
                "opens_on",
                "closes_on",
                "state",
                "apply_quotas",
                "star_rules",
                "notice_starts_on",
                "notice_ends_on",
                "computed_at",
                "published_at",
                "finalised_at",
                "note",
                "is_public",
                "version",
            ),
            _L2: ("created_by", "created_at"),
        },
    ),
    "assessment.ScorerAssignment": ModelInventory(
        purpose="考核评分分工：哪位评分人负责哪些大项、细则或支部",
        basis=_HR + "（工作分工）；" + _SOE,
        fields={
            _L2: ("id", "round", "user", "department", "category", "criterion", "branch"),
            _L3: ("note",),
        },
    ),
    "assessment.ScoreSheet": ModelInventory(
        purpose="党支部在一个考核轮次中的评分表和结果（总分、名次、星级、一票否决）",
        basis=_ORG_ASSESS + "；" + _STARS + "；" + _VETO_BASIS,
        fields={
            _L1: (
                "id",
                "round",
                "branch",
                "branch_name",
                "total",
                "base_total",
                "bonus_total",
                "category_totals",
                "rank",
                "star",
                "star_by_score",
                "star_note",
                "vetoed",
                "has_innovation",
                "is_model_site",
                "computed_at",
                "version",
            ),
            _L4: ("veto_reason",),
        },
        notes={"veto_reason": "由触发否决的细则及评分理由生成；" + _DISCIPLINE_VETO},
    ),
    "assessment.Score": ModelInventory(
        purpose="评分表中每一细则的自评分、系统计算值和评分人得分，连同理由、佐证与关联记录",
        basis=_ORG_ASSESS + "；" + _STAFF + "；" + _VETO_BASIS,
        fields={
            _L1: (
                "id",
                "sheet",
                "criterion",
                "self_points",
                "self_note",
                "computed_value",
                "computed_points",
                "computed_detail",
                "points",
                "deductions",
                "count_value",
                "override_reason",
                "evidence_methods",
                "vetoed",
                "reopened",
                "version",
            ),
            _L2: ("computed_records", "record_links", "scored_by", "scored_at"),
            _L4: ("reason", "evidence_note"),
        },
        notes={
            "computed_records": "计算所依据记录的ID（可为发展档案、党费记录等人员记录）",
            "record_links": "评分人关联的记录ID",
            "reason": "扣分/调整理由；" + _DISCIPLINE_VETO,
            "evidence_note": "佐证说明；" + _DISCIPLINE_VETO,
        },
    ),
    "assessment.ScoreAttachment": ModelInventory(
        purpose="评分或自评的佐证材料文件（经上传检查，随机文件名）",
        basis=_ORG_ASSESS + "；" + _STAFF + "；材料及其文件名中涉及的人员信息（L3）：" + _PARTY_REF,
        fields={
            _L1: ("id", "score", "file", "size", "by_branch"),
            _L2: ("uploaded_by", "uploaded_at"),
            _L3: ("original_name",),
        },
        notes={"original_name": _FILE_NAME},
    ),
    "assessment.SelfCheck": ModelInventory(
        purpose="党支部自查报告：主要做法、特色亮点、存在问题、下步打算",
        basis=_ORG_ASSESS + "；" + _STAFF,
        fields={
            _L1: ("id", "sheet", "practices", "highlights", "problems", "plans", "version"),
            _L2: ("submitted_at", "submitted_by"),
        },
    ),
    "assessment.SpotCheck": ModelInventory(
        purpose="选点检查：选取的党支部、选取方式与理由、检查情况、示范点",
        basis=_ORG_ASSESS + "；" + _STAFF,
        fields={
            _L1: (
                "id",
                "round",
                "sheet",
                "method",
                "stratum",
                "reason",
                "seed",
                "visited_on",
                "findings",
                "is_model_site",
            ),
            _L2: ("selected_by", "selected_at"),
        },
    ),
    "assessment.Objection": ModelInventory(
        purpose="公示期内对评分表部分细则提出的异议及处理结果",
        basis=_ORG_ASSESS + "；" + _STAFF,
        fields={
            _L1: ("id", "sheet", "text", "state", "resolution", "criteria"),
            _L2: ("raised_by", "raised_at", "resolved_by", "resolved_at"),
        },
    ),
    "assessment.AnnualEvaluation": ModelInventory(
        purpose="年终总评：季度权重、星级规则快照和星级党员权重，发布状态",
        basis=_ORG_ASSESS + "；" + _STARS + "；" + _STAFF,
        fields={
            _L1: (
                "id",
                "party_org",
                "year",
                "weights",
                "star_rules",
                "star_member_weights",
                "state",
                "is_public",
                "computed_at",
                "published_at",
            ),
            _L2: ("created_by",),
        },
    ),
    "assessment.AnnualResult": ModelInventory(
        purpose="党支部的年度考核结果：各季度得分、年度得分、名次、星级及升降（晋位升级）",
        basis=_ORG_ASSESS + "；" + _STARS,
        fields={
            _L1: (
                "id",
                "evaluation",
                "branch",
                "branch_name",
                "quarter_totals",
                "score",
                "rank",
                "star",
                "previous_star",
                "movement",
                "vetoed",
                "note",
            )
        },
    ),
    "assessment.StarMemberRating": ModelInventory(
        purpose="星级党员评定（双评）：党员自评、支部评分、群众评分及综合得分和星级",
        basis=_PARTY + "，党内法规" + _EDUCATION + "；" + _STARS,
        fields={
            _L2: ("id", "evaluation", "person", "branch", "version"),
            _L3: (
                "self_score",
                "branch_score",
                "masses_score",
                "masses_respondents",
                "combined",
                "star",
                "note",
            ),
        },
        notes={"branch": _ORG_IN_PERSON_ROW},
    ),
    # --- dashboard ----------------------------------------------------------------------------
    "dashboard.HomeSnapshot": ModelInventory(
        purpose="首页关键数字和组织预警，按查看者的数据范围缓存（只供数据范围相同的用户读取）",
        basis=_FOLLOWS,
        fields={_L1: ("id", "version", "computed_at"), _L2: ("scope_key",), _L3: ("data",)},
        notes={
            "scope_key": "查看者数据范围的摘要；“本人”范围的摘要与个人对应",
            "data": "按数据范围汇总的数字和预警文字；范围很小时可推知个人，按个人信息管理",
        },
    ),
}


# --- introspection ---------------------------------------------------------------------------


def dangjian_models() -> list[type[models.Model]]:
    """Every concrete model defined in the project (proxies add no fields)."""
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("dangjian") and not model._meta.proxy
    ]


def model_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The columns a model stores: concrete fields plus its own many-to-many fields."""
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def field_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model_fields(model)]


def classification(label: str, field_name: str) -> Level:
    """The level of ``label``'s ``field_name``; ``KeyError`` if it is not inventoried."""
    entry = INVENTORY.get(label)
    level = entry.levels.get(field_name) if entry else None
    if level is None:
        raise KeyError(f"{label}.{field_name} 未列入数据清单")
    return level


def unclassified(
    inventory: Mapping[str, ModelInventory] | None = None,
    models_: Iterable[type[models.Model]] | None = None,
) -> list[str]:
    """Fields of the project's models missing from the inventory, as ``"app.Model.field"``."""
    inventory = INVENTORY if inventory is None else inventory
    missing: list[str] = []
    for model in dangjian_models() if models_ is None else models_:
        label = model._meta.label
        entry = inventory.get(label)
        known = entry.levels if entry else {}
        missing += [f"{label}.{name}" for name in field_names(model) if name not in known]
    return missing


def stale(
    inventory: Mapping[str, ModelInventory] | None = None,
    models_: Iterable[type[models.Model]] | None = None,
) -> list[str]:
    """Inventory entries that are no longer fields (or whose model is gone)."""
    inventory = INVENTORY if inventory is None else inventory
    present = {
        model._meta.label: set(field_names(model))
        for model in (dangjian_models() if models_ is None else models_)
    }
    gone: list[str] = []
    for label, entry in inventory.items():
        names = present.get(label, set())
        gone += [f"{label}.{name}" for name in entry.levels if name not in names]
    return gone


def level_counts(inventory: Mapping[str, ModelInventory] | None = None) -> dict[Level, int]:
    """How many inventoried fields each level has."""
    inventory = INVENTORY if inventory is None else inventory
    counts = dict.fromkeys(Level, 0)
    for entry in inventory.values():
        for level in entry.levels.values():
            counts[level] += 1
    return counts


# --- the document for assessors ----------------------------------------------------------------

DOC_PATH = "docs/privacy-inventory.md"

_HEADER = f"""# 个人信息数据清单（PI-01、PI-02）

本文件由 `dangjian inventory --output {DOC_PATH}` 根据经批准的数据清单
（`dangjian/core/inventory.py`，规则即数据）和各模型的字段定义生成，请勿手工编辑。
清单为每个模型写明用途和法律依据，并把每个字段（含多对多字段）逐一列在 L1–L4 中的一个级别下，
没有默认级别。持续集成中的测试 `dangjian/core/tests/test_inventory.py` 与命令
`dangjian inventory --check` 检查：项目的每个模型字段都已分级（新增字段未分级即失败，PI-01），
清单中没有已不存在的字段（只采集清单列出的字段，PI-02），且本文件与生成结果逐字一致。
法律依据为开发方依据现行法律和党内法规提出的建议，须经党委个人信息保护负责人在个人信息保护
影响评估（PI-08）中确认。
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown() -> str:
    """The inventory as Markdown: the levels, then one table per model (field, level, note)."""
    project_models = dangjian_models()
    counts = level_counts()
    total_fields = sum(len(field_names(m)) for m in project_models)
    lines = [_HEADER, "## 分级", "", "| 级别 | 含义 | 字段数 |", "|---|---|---|"]
    lines += [f"| {lv.code} | {_cell(lv.meaning)} | {counts[lv]} |" for lv in Level]
    lines += [
        "",
        f"共 {len(project_models)} 个模型、{total_fields} 个字段。",
        "",
        "## 各模型字段",
    ]
    for model in project_models:
        label = model._meta.label
        entry = INVENTORY.get(label)
        levels = entry.levels if entry else {}
        notes = entry.notes if entry else {}
        lines += [
            "",
            f"### {label}（{_cell(str(model._meta.verbose_name))}）",
            "",
            f"- 用途：{_cell(entry.purpose) if entry else '**未列入清单**'}",
            f"- 法律依据：{_cell(entry.basis) if entry else '**未列入清单**'}",
            "",
            "| 字段 | 名称 | 级别 | 说明 |",
            "|---|---|---|---|",
        ]
        for f in model_fields(model):
            level = levels.get(f.name)
            lines.append(
                f"| `{f.name}` | {_cell(str(f.verbose_name))} | "
                f"{level.code if level else '**未分级**'} | {_cell(notes.get(f.name, ''))} |"
            )
    return "\n".join(lines) + "\n"
