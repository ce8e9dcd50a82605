"""What each sheet holds: its columns, their names in both languages, and the accepted values.

Column names and choice labels are spelled out here in Chinese and English rather than looked up
through gettext, because they are a file format: a sheet with Chinese headers must be read the
same whatever language the importing user has chosen, and whether or not a catalogue is compiled.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import models
from django.utils import translation

from huxue.people.forces import ForceGroup, ForceType
from huxue.people.models import Person
from huxue.posts.models import School


def is_zh(language: str | None = None) -> bool:
    return (language or translation.get_language() or "").lower().startswith("zh")


def join(names: list[str]) -> str:
    """A list of names as a sentence in the active language writes it: 姓名、手机号 / Name, Phone."""
    return ("、" if is_zh() else ", ").join(names)


def fold(text: object) -> str:
    """The form in which headers and choice values are compared: NFKC, case-folded, no spaces."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s*:'’_\-./]+", "", folded)


_PAREN = re.compile(r"[(\[（【].*?[)\]）】]")


@dataclass(frozen=True)
class Choices:
    """The values a choice column accepts: code, English label, Chinese names (first one shown)."""

    model_choices: type[models.Choices]
    zh: dict[str, tuple[str, ...]]

    def label(self, code: str, language: str | None = None) -> str:
        if is_zh(language) and code in self.zh:
            return self.zh[code][0]
        with translation.override("en"):
            return str(self.model_choices(code).label)

    def labels(self, language: str | None = None) -> list[str]:
        return [self.label(code, language) for code in self.model_choices.values]

    def lookup(self) -> dict[str, str]:
        """folded spelling → code, for every spelling we accept, in any language."""
        table: dict[str, str] = {}
        for code, label in self.model_choices.choices:
            for spelling in (code, str(label), *self.zh.get(code, ())):
                table.setdefault(fold(spelling), code)
            with translation.override("en"):
                table.setdefault(fold(str(label)), code)
        return table


FORCE_TYPES = Choices(
    ForceType,
    {
        ForceType.POLICE: ("民警", "警察", "公安民警"),
        ForceType.AUXILIARY: ("辅警", "辅助警察", "警务辅助人员"),
        ForceType.GUARD: ("专业保安员", "保安员", "保安"),
        ForceType.SCHOOL_SECURITY: ("学校保卫人员", "保卫人员", "校园保卫人员", "保卫干部"),
        ForceType.STAFF: ("教职员工", "教职工", "教师", "老师"),
        ForceType.PARENT: ("家长志愿者", "家长"),
        ForceType.COMMUNITY: ("群众志愿者", "社区志愿者", "志愿者", "群防群治力量"),
    },
)
VETTING = Choices(
    Person.Vetting,
    {
        Person.Vetting.PENDING: ("待审查", "审查中", "未审查"),
        Person.Vetting.PASSED: ("通过", "已通过", "合格"),
        Person.Vetting.FAILED: ("未通过", "不通过", "不合格"),
    },
)
TRAINING = Choices(
    Person.Training,
    {
        Person.Training.NONE: ("未培训",),
        Person.Training.TRAINED: ("已培训", "培训合格"),
        Person.Training.EXPIRED: ("培训过期", "已过期"),
    },
)
STAGES = Choices(
    School.Stage,
    {
        School.Stage.KINDERGARTEN: ("幼儿园",),
        School.Stage.PRIMARY: ("小学",),
        School.Stage.MIDDLE: ("初中", "初级中学", "中学"),
        School.Stage.HIGH: ("高中", "高级中学"),
        School.Stage.NINE_YEAR: ("九年一贯制学校", "九年一贯制"),
        School.Stage.VOCATIONAL: ("职业学校", "中等职业学校", "职业高中", "中职"),
    },
)

YES = frozenset(
    fold(v)
    for v in ("是", "有", "已发", "已发放", "已领", "y", "yes", "true", "1", "√", "✓", "✔", "对")
)
NO = frozenset(
    fold(v)
    for v in ("否", "无", "没有", "未发", "未发放", "未领", "n", "no", "false", "0", "×", "✗", "✘")
)


def yes_no(value: bool, language: str | None = None) -> str:
    if is_zh(language):
        return "是" if value else "否"
    return "yes" if value else "no"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    choices: Choices | None = None
    boolean: bool = False
    # Examples listed on the template's second sheet for a column that is not a choice.
    hints: tuple[str, ...] = ()

    def label(self, language: str | None = None) -> str:
        return self.zh if is_zh(language) else self.en

    def spellings(self) -> set[str]:
        return {fold(s) for s in (self.key, self.zh, self.en, *self.aliases)}


@dataclass(frozen=True)
class SheetSpec:
    kind: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    _by_spelling: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            for spelling in column.spellings():
                self._by_spelling.setdefault(spelling, column.key)

    def title(self, language: str | None = None) -> str:
        return self.zh if is_zh(language) else self.en

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def match(self, header: object) -> str | None:
        """The column key a header cell names, or None. "手机号(必填)" names the phone column."""
        if header is None:
            return None
        text = str(header)
        key = self._by_spelling.get(fold(text))
        if key is None and _PAREN.search(text):
            key = self._by_spelling.get(fold(_PAREN.sub("", text)))
        return key

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]


# Offices head the unit column of a people sheet 学校 or 所属学校 when everyone on it serves at a
# school. Such a column is the unit column, matched against schools only (see names_school).
SCHOOL_AS_UNIT = ("所属学校", "学校", "所在学校", "school")
_SCHOOL_AS_UNIT = frozenset(fold(s) for s in SCHOOL_AS_UNIT)


def names_school(header: object) -> bool:
    """Whether a header cell is one of the school spellings of the unit column ("学校(必填)" is)."""
    if header is None:
        return False
    text = str(header)
    return fold(text) in _SCHOOL_AS_UNIT or fold(_PAREN.sub("", text)) in _SCHOOL_AS_UNIT


PEOPLE = SheetSpec(
    kind="people",
    zh="人员",
    en="People",
    columns=(
        Column("name", "姓名", "Name", ("名字", "full name"), required=True),
        Column(
            "force_type",
            "力量类型",
            "Force type",
            ("力量", "人员类型", "人员类别", "类型", "force"),
            required=True,
            choices=FORCE_TYPES,
        ),
        Column(
            "phone",
            "手机号",
            "Phone",
            (
                "手机",
                "手机号码",
                "联系电话",
                "电话",
                "移动电话",
                "mobile",
                "mobile number",
                "phone number",
                "mobile phone",
            ),
            required=True,
        ),
        Column(
            "id_number",
            "身份证号",
            "ID number",
            (
                "身份证",
                "身份证号码",
                "公民身份号码",
                "证件号码",
                "resident id number",
                "id",
                "id no",
                "id card number",
            ),
            required=True,
        ),
        Column(
            "unit",
            "所属单位",
            "Unit",
            ("单位", "单位名称", "organisation", "organization", *SCHOOL_AS_UNIT),
        ),
        Column(
            "vetting_status",
            "背景审查",
            "Vetting status",
            ("背景审查状态", "审查状态", "政审", "vetting", "background check"),
            choices=VETTING,
        ),
        Column(
            "vetted_on", "审查日期", "Vetted on", ("背景审查日期", "checked on", "vetting date")
        ),
        Column(
            "training_status",
            "培训状态",
            "Training status",
            ("培训", "培训情况", "training"),
            choices=TRAINING,
        ),
        Column("trained_on", "培训日期", "Trained on", ("training date",)),
        Column(
            "armband_issued",
            "已发红袖标",
            "Armband issued",
            (
                "红袖标",
                "发放红袖标",
                "是否发放红袖标",
                "red armband",
                "armband",
                "red armband issued",
            ),
            boolean=True,
        ),
        Column(
            "vest_issued",
            "已发红马甲",
            "Vest issued",
            ("红马甲", "发放红马甲", "是否发放红马甲", "red vest", "vest", "red vest issued"),
            boolean=True,
        ),
        Column(
            "child_school",
            "子女学校",
            "Child's school",
            ("子女就读学校", "子女所在学校", "孩子学校", "child school"),
        ),
        Column(
            "consent_version",
            "同意书版本",
            "Consent text version",
            ("知情同意书版本", "同意书", "consent version", "consent"),
        ),
    ),
)

SCHOOLS = SheetSpec(
    kind="schools",
    zh="学校",
    en="Schools",
    columns=(
        Column(
            "name", "学校名称", "School", ("学校", "名称", "name", "school name"), required=True
        ),
        Column(
            "stage",
            "学段",
            "Stage",
            ("学校类型", "类型", "school type"),
            required=True,
            choices=STAGES,
        ),
        Column(
            "pupils", "学生人数", "Pupils", ("学生数", "在校生人数", "number of pupils", "students")
        ),
        Column(
            "station",
            "属地派出所",
            "Police station",
            ("派出所", "辖区派出所", "station"),
            required=True,
        ),
        Column(
            "region_code",
            "行政区划代码",
            "Region code",
            ("区划代码", "行政区划", "region"),
            hints=("230902", "230903", "230904", "230921"),
        ),
        Column("address", "地址", "Address", ("学校地址",)),
        Column("latitude", "纬度", "Latitude", ("lat",), required=True),
        Column("longitude", "经度", "Longitude", ("lon", "lng"), required=True),
    ),
)

POSTS = SheetSpec(
    kind="posts",
    zh="护学岗",
    en="Guard posts",
    columns=(
        Column("school", "学校名称", "School", ("学校", "school name"), required=True),
        Column(
            "gate",
            "校门",
            "Gate",
            ("岗位", "岗位名称", "门", "gate name", "post", "name"),
            required=True,
        ),
        Column("latitude", "纬度", "Latitude", ("lat",)),
        Column("longitude", "经度", "Longitude", ("lon", "lng")),
        Column(
            "geofence_m",
            "打卡范围(米)",
            "Geofence radius (m)",
            ("打卡范围", "地理围栏半径", "围栏半径", "geofence radius", "geofence", "radius"),
            hints=("20–2000", "150"),
        ),
        Column(
            "windows",
            "值守时段",
            "Duty windows",
            ("时段", "护学时段", "上岗时段", "windows", "duty window"),
            required=True,
            hints=("07:00-08:00", "07:00-08:00, 15:30-17:00"),
        ),
        Column(
            ForceGroup.POLICE,
            "民警或辅警人数",
            "Police or auxiliary",
            ("民警辅警", "民警/辅警", "民警", "police"),
        ),
        Column(
            ForceGroup.GUARD,
            "保安或保卫人数",
            "Guards or school security",
            ("保安", "保安/保卫", "guard", "guards", "guard or school security"),
        ),
        Column(ForceGroup.STAFF, "教职员工人数", "Teachers and staff", ("教职员工", "staff")),
        Column(ForceGroup.VOLUNTEER, "志愿者人数", "Volunteers", ("志愿者", "volunteer")),
    ),
)

SPECS: dict[str, SheetSpec] = {spec.kind: spec for spec in (PEOPLE, SCHOOLS, POSTS)}
