"""Fictional Chinese names for demo data (deterministic given a random.Random)."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤扎次格"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红文辉建国志宏海燕晨宇浩然欣怡子涵梓轩雨桐思远嘉琪晓东卓玛央金多吉旦增次仁拉姆德吉"
FIRM_WORDS = [
    "正和",
    "明德",
    "同心",
    "信达",
    "高原",
    "雪域",
    "天山",
    "长安",
    "瀚海",
    "致远",
    "立信",
    "恒正",
    "公诚",
    "博识",
    "知行",
    "金石",
    "求是",
    "昆仑",
    "雅江",
    "格桑",
    "湘江",
    "齐鲁",
    "中原",
    "浦江",
    "岭南",
    "天府",
    "津门",
    "京华",
    "八桂",
    "彩云",
    "陇原",
    "河湟",
    "塞上",
    "巴渝",
    "黔中",
    "北疆",
]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def firm_name(rng: random.Random, city: str, used: set[str]) -> str:
    for _ in range(1000):
        name = f"{city}{rng.choice(FIRM_WORDS)}{rng.choice(FIRM_WORDS)}律师事务所"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of fictional firm names")
