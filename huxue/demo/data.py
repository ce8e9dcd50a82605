"""Fixed data of the demo city: its places, name lists and the dates its story runs on.

Everything here is plain data. Place codes and the pilot school come from the source report;
stations, most schools, streets, townships, companies and every person are synthetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_SEED = 2019

# The day the source report was published: nothing the demo stores is dated after it.
AS_OF = dt.date(2022, 2, 23)
PILOT_START = dt.date(2019, 5, 6)  # the pilot at 市第六小学 began that spring
ROLLOUT = dt.date(2019, 9, 30)  # the on-site meeting (现场会) that rolled the posts out city-wide
TRAINING_VALID_DAYS = 730

POSTS_TOTAL = 222
MEMBERS_MIN = 3000

PROVINCE = ("230000", "黑龙江省")
CITY = ("230900", "七台河市")
PILOT_SCHOOL = "七台河市第六小学"
PILOT_DISTRICT = "230902"

BUREAU = "七台河市公安局"
COUNTY_BUREAU = "勃利县公安局"
EDUCATION = "七台河市教育局"
COUNTY_EDUCATION = "勃利县教育局"
COMPANY_CITY = "七台河市护安保安服务有限公司"
COMPANY_COUNTY = "勃利县安宁保安服务有限公司"
COMPANY_CITY_REGION = "230903"  # its head office; a branch office in each district

CONSENT_VERSIONS = (
    # (in use from, text version)
    (dt.date(2019, 1, 1), "2019-v1"),
    (dt.date(2021, 3, 1), "2021-v2"),
)


def words(text: str) -> tuple[str, ...]:
    """Lists of names, written as text so that they stay readable."""
    return tuple(text.split())


@dataclass(frozen=True)
class District:
    code: str
    name: str
    latitude: float  # the centre its schools scatter around
    longitude: float
    radius_km: float
    stations: tuple[str, ...]
    schools: int
    county: bool = False


DISTRICTS: tuple[District, ...] = (
    District(
        code="230902",
        name="新兴区",
        latitude=45.800,
        longitude=130.940,
        radius_km=3.2,
        stations=("红旗派出所", "兴华派出所", "北山派出所", "新立派出所", "河畔派出所"),
        schools=30,
    ),
    District(
        code="230903",
        name="桃山区",
        latitude=45.770,
        longitude=131.005,
        radius_km=2.8,
        stations=("桃源派出所", "山湖派出所", "桃西派出所", "东城派出所"),
        schools=26,
    ),
    District(
        code="230904",
        name="茄子河区",
        latitude=45.790,
        longitude=131.068,
        radius_km=3.0,
        stations=("茄南派出所", "河东派出所", "宏伟派出所"),
        schools=18,
    ),
    # 勃利县: its seat near 45.75°N 130.57°E and townships around it. The first two stations
    # police the seat, the others the townships.
    District(
        code="230921",
        name="勃利县",
        latitude=45.755,
        longitude=130.570,
        radius_km=2.5,
        stations=("城东派出所", "城西派出所", "东岗派出所", "南河派出所"),
        schools=26,
        county=True,
    ),
)

# Share of the county's schools that are township schools, and how far the townships lie.
TOWNSHIP_SHARE = 0.4
TOWNSHIP_RADIUS_KM = 16.0
TOWNSHIPS = words("东岗 南河 青松 永丰 长兴 红光 双山 太和")

# Words schools are named after. Generic on purpose: the names are synthetic.
SCHOOL_WORDS = words(
    """育英 育才 启明 朝阳 向阳 红星 东风 光明 新华 兴华 春晖 明德 博文 励志 晨光 阳光 希望
    桃李 星火 求实 振兴 幸福 和平 友谊 建新 立新 前进 团结 胜利 松涛 青山 湖滨 北山 南山
    东山 育新 文昌 长青 新苗 铁山"""
)

STREETS = words(
    """学府路 育才街 兴华路 光明街 建设路 文化街 和平路 友谊街 长兴路 桃源街 山湖路 中心大街
    新华路 振兴街 胜利路 团结街 民主路 红旗街 东风路 青年街 松江路 北环路 南环路 工农街 矿建路
    春华街"""
)

# Gates: name → (metres north, metres east) of the school's centre point.
GATE_OFFSETS: dict[str, tuple[int, int]] = {
    "南门": (-80, 0),
    "北门": (80, 0),
    "东门": (0, 90),
    "西门": (0, -90),
    "侧门": (40, 85),
    "后门": (85, -30),
}
MAIN_GATE = "正门"

# Duty windows by school stage, on school weekdays. Middle and high schools start earlier and
# finish later than primary schools.
WINDOWS = {
    "primary": "07:00-08:00, 15:30-17:00",
    "nine_year": "07:00-08:00, 16:00-17:30",
    "middle": "06:40-07:30, 17:00-18:00",
    "high": "06:20-07:10, 17:30-18:30",
}

# Surnames with a weight, roughly how common each is in Heilongjiang.
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (item[0], int(item[1:]))
    for item in words(
        """王71 李70 张68 刘54 杨30 赵25 孙25 陈20 于15 高16 徐15 周15 马15 郭14 黄12
    吴12 韩10 胡10 朱10 宋9 姜8 林8 董8 郑8 梁8 冯7 何6 曹6 许6 田6 魏6 付5 孟5 吕5 苏5 贾5
    丁5 杜5 石5 白5 崔5 谢5 唐5 程5 袁4 卢4 蒋4 薛4 范4 姚4 侯4 郝4 金4 罗4 沈4 邹3 陆3 潘3
    夏3 秦3 史3 孔3 康3 常3 尹3 关3 曲3 武3 邓3 彭3 蔡3 阎3 乔2 谭2 毛2 戴2 叶3 朴2 佟1 隋1
    庞1 祁1 鲁1 车1"""
    )
)

# Characters of given names, drawn one or two at a time.
GIVEN_MALE = tuple(
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林晨海峰建国志东文春成庆德洪立永"
    "利福生光宏亮顺金中新兴胜彬博昊然阳振广江铭晓思家嘉天泽睿鸿长树学玉喜宝"
)
GIVEN_FEMALE = tuple(
    "芳娜敏静丽艳娟霞玲燕红梅琳丹萍洁婷雪慧颖倩佳莉欢月秀英华兰凤琴云莹璐晶妍蕾薇淑桂春晓思"
    "欣悦宁萌爽楠微岩冬梦雨新亚彤媛鑫雅珊荣玉洋"
)

# Mainland mobile prefixes in common use.
PHONE_PREFIXES = words(
    """130 131 132 133 134 135 136 137 138 139 150 151 152 155 156 157 158 159 166 176 177 178
    180 181 182 183 185 186 187 188 189 198 199"""
)
