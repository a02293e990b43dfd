"""The demo college of the regulation, 齐鲁医药学院: its units, one person per role, and the
college-wide groups. Used by ``manage.py seed_demo`` and by tests; idempotent."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts import services
from accounts.models import Unit, User
from accounts.roles import CollegeRole, UnitRole

DEMO_PASSWORD = "Caiji@2026"
COLLEGE_NAME = "齐鲁医药学院"

F, T, D = Unit.Kind.FUNCTIONAL, Unit.Kind.TEACHING, Unit.Kind.DIRECT
UNITS: list[tuple[str, str, str]] = [
    ("1001", "党政办公室", F),
    ("1002", "教务处", F),
    ("1003", "人事处", F),
    ("1004", "学生处", F),
    ("1005", "科研处", F),
    ("1006", "招生就业处", F),
    ("1007", "国有资产管理处", F),
    ("1008", "财务处", F),
    ("1009", "图书馆", D),
    ("1010", "国际交流处", F),
    ("1011", "团委", F),
    ("1012", "教学质量监控管理处", F),
    ("2001", "临床医学院", T),
    ("2002", "护理学院", T),
    ("2003", "药学院", T),
    ("2004", "医学技术学院", T),
    ("2005", "公共卫生学院", T),
    ("2006", "基础医学院", T),
    ("2007", "口腔医学院", T),
    ("2008", "马克思主义学院", T),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "建国",
    "丽娟",
    "志强",
    "海燕",
    "晓明",
    "秀英",
    "文博",
    "静怡",
    "子涵",
    "国栋",
    "雪梅",
    "宏伟",
    "春华",
    "立新",
    "玉兰",
    "振宇",
    "慧敏",
    "家豪",
    "淑芬",
    "光明",
    "晨曦",
    "佳琪",
    "永刚",
    "美玲",
]
# Unit roles given to the person with this suffix in every unit (工号 = unit code + suffix).
ROLE_SUFFIXES: list[tuple[str, UnitRole]] = [
    ("01", UnitRole.COLLECTOR),
    ("02", UnitRole.SOURCE_REVIEWER),
    ("03", UnitRole.SOURCE_REVIEWER),
    ("04", UnitRole.HEAD),
]
SECOND_REVIEWER_SUFFIX = "05"
# College-wide people: 工号, name, unit code, role.
COLLEGE_PEOPLE: list[tuple[str, str, str, CollegeRole]] = [
    ("000001", "孔德明", "1001", CollegeRole.LEADERSHIP),
    ("000002", "宋立平", "1001", CollegeRole.LEADERSHIP),
    ("101206", "夏文静", "1012", CollegeRole.OFFICE),
    ("101207", "韩晓东", "1012", CollegeRole.COLLECTION_GROUP),
    ("101208", "卢雅琴", "1012", CollegeRole.COLLECTION_GROUP),
    ("101209", "邵明远", "1012", CollegeRole.COLLEGE_REVIEW_GROUP),
]
# Heads of the main responsible offices sit in the college review group (regulation 一(二)3).
REVIEW_GROUP_HEADS = ["100204", "100304"]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    unit: str
    roles: str


def _name(index: int) -> str:
    return SURNAMES[(index * 7) % len(SURNAMES)] + GIVEN[(index * 5) % len(GIVEN)]


def _person(username: str, name: str, unit: Unit) -> User:
    person = User.objects.filter(username=username).first()
    if person is None:
        person = services.person_create(
            actor=None,
            username=username,
            name=name,
            unit=unit,
            password=None,
            phone=f"1380531{username[-4:]}",
            email=f"{username}@qlmu.example.cn",
            must_change_password=False,
        )
    return person


@transaction.atomic
def seed_demo() -> bool:
    """Create the demo college. Returns False when it was already there (nothing changes)."""
    created = not Unit.objects.filter(code=UNITS[0][0]).exists()
    units = {}
    for code, name, kind in UNITS:
        unit = Unit.objects.filter(code=code).first()
        units[code] = unit or services.unit_create(actor=None, code=code, name=name, kind=kind)
    index = 0
    for code, unit in units.items():
        suffixes = list(ROLE_SUFFIXES)
        if unit.kind != Unit.Kind.TEACHING:
            suffixes.append((SECOND_REVIEWER_SUFFIX, UnitRole.SECOND_REVIEWER))
        for suffix, role in suffixes:
            index += 1
            person = _person(code + suffix, _name(index), unit)
            services.role_assign(actor=None, user=person, role=role, unit=unit)
    for username, name, code, role in COLLEGE_PEOPLE:
        person = _person(username, name, units[code])
        services.role_assign(actor=None, user=person, role=role)
    for username in REVIEW_GROUP_HEADS:
        services.role_assign(
            actor=None,
            user=User.objects.get(username=username),
            role=CollegeRole.COLLEGE_REVIEW_GROUP,
        )
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", email="", password=None, name="系统管理员")
    # Hashing is slow by design: hash the shared demo password once for every new account.
    User.objects.filter(password__startswith="!").update(password=make_password(DEMO_PASSWORD))
    return created
