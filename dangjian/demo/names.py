"""Word lists for generated people: names, birthplaces, posts, education (demo and scale data).

Everything is chosen with a seeded ``random.Random`` so that generated data is reproducible.
"""

from __future__ import annotations

import datetime as dt
import random

from dangjian.core.identity import citizen_id_check_char

# The most common Chinese surnames, roughly by frequency (the first ones are drawn more often).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常葛"
)
MALE_GIVEN = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆亮成龙峰建国志新文晨阳东林海兵永春锋"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞秀燕玲桂英华慧红梅琳雪莉颖婷倩洁晶琴云兰凤萍丹"
COMMON_GIVEN = "子思宏家振德庆立安光学保少世金小玉春晓"

# Birthplace area codes (GB/T 2260) around the mine: Huaibei, Suzhou, Bozhou, Fuyang, Bengbu
# in Anhui, and the neighbouring counties of Henan, Jiangsu and Shandong.
AREA_CODES = (
    ("340621", 30),  # 濉溪县
    ("340602", 8),  # 淮北市杜集区
    ("340603", 8),  # 淮北市相山区
    ("340604", 6),  # 淮北市烈山区
    ("341302", 10),  # 宿州市埇桥区
    ("341321", 4),  # 砀山县
    ("341322", 5),  # 萧县
    ("341323", 4),  # 灵璧县
    ("341324", 3),  # 泗县
    ("341602", 4),  # 亳州市谯城区
    ("341621", 3),  # 涡阳县
    ("341622", 3),  # 蒙城县
    ("341202", 2),  # 阜阳市颍州区
    ("341222", 2),  # 太和县
    ("340321", 3),  # 怀远县
    ("411481", 2),  # 永城市
    ("320312", 2),  # 徐州市铜山区
    ("320322", 1),  # 沛县
    ("370402", 1),  # 枣庄市市中区
)
_AREAS = [code for code, _ in AREA_CODES]
_AREA_WEIGHTS = [weight for _, weight in AREA_CODES]

ADDRESSES = (
    "安徽省淮北市濉溪县五沟镇",
    "安徽省淮北市濉溪县濉溪镇",
    "安徽省淮北市相山区人民路",
    "安徽省淮北市杜集区高岳街道",
    "安徽省宿州市埇桥区道东街道",
    "安徽省淮北市烈山区古饶镇",
)

FRONT_LINE_POSTS = {
    "fully_mechanised": ("采煤机司机", "支架工", "输送机司机", "采煤工", "电钳工", "端头维护工"),
    "heading": ("掘进机司机", "锚杆工", "掘进工", "电钳工", "喷浆工", "支护工"),
    "electromechanical": ("电工", "机修工", "提升机司机", "泵工", "变电所值班员"),
    "transport": ("绞车司机", "电机车司机", "信号工", "把钩工", "轨道工"),
    "ventilation": ("通风工", "瓦斯检查工", "防突工", "抽采工", "测风工", "防尘工"),
    "preparation": ("回撤工", "安装工", "支护工", "电钳工", "绞车司机"),
    "washing": ("洗选工", "浮选工", "装车工", "集控员", "化验员"),
    "survey": ("测量工", "地质工", "水文地质工"),
    "logistics": ("炊事员", "物业管理员", "驾驶员", "公寓管理员", "保洁员"),
    "safety": ("安全检查工", "安全监测工", "瓦斯监测员"),
    "office": ("调度员", "网络维护员", "通信工", "仓储管理员"),
}
TEAM_LEAD_POSTS = ("班长", "副班长")
UNIT_STAFF_POSTS = ("区长", "副区长", "技术员", "核算员", "材料员")
OFFICE_POSTS = ("科员", "主管", "副部长", "部长", "工程师", "助理工程师", "办事员")

EDUCATION_MIX = {
    # production units: mostly secondary and vocational schooling
    "production": (
        ("junior", 22),
        ("senior", 46),
        ("college", 20),
        ("bachelor", 11),
        ("master", 1),
    ),
    "office": (("senior", 6), ("college", 24), ("bachelor", 58), ("master", 11), ("doctor", 1)),
}


def pick_weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def person_name(rng: random.Random, gender: str) -> str:
    # Frequency-skewed surname: lower indexes (more common) are drawn more often.
    surname = SURNAMES[int(len(SURNAMES) * rng.random() ** 2)]
    pool = MALE_GIVEN if gender == "M" else FEMALE_GIVEN
    if rng.random() < 0.35:
        return surname + rng.choice(pool)
    return surname + rng.choice(COMMON_GIVEN + pool) + rng.choice(pool)


def area_code(rng: random.Random) -> str:
    return rng.choices(_AREAS, weights=_AREA_WEIGHTS)[0]


def birth_date(rng: random.Random, today: dt.date, min_age: int, max_age: int) -> dt.date:
    start = dt.date(today.year - max_age - 1, today.month, 1) + dt.timedelta(days=40)
    end = dt.date(today.year - min_age, 1, 1)
    return start + dt.timedelta(days=rng.randrange((end - start).days))


def citizen_id(rng: random.Random, birth: dt.date, gender: str, used: set[str]) -> str:
    """A valid, unused GB 11643 ID for this birth date and gender (odd 17th digit = male)."""
    while True:
        order = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
        first17 = f"{area_code(rng)}{birth:%Y%m%d}{order:03d}"
        value = first17 + citizen_id_check_char(first17)
        if value not in used:
            used.add(value)
            return value


MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "187",
    "188",
    "189",
    "198",
    "199",
)


def phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
