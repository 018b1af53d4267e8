"""Builders shared by the photo tests: a small corpus site, a drawn landscape, image encoding.

(A uniquely named module rather than conftest: test folders are collected together, and every
folder has a conftest.)
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from PIL import Image, ImageDraw

from core.settings import PROJECT_ROOT, Settings

PAIRS = [
    ("春风化雨千山绿", "旭日临窗万户红"),
    ("山清水秀风光好", "人寿年丰喜事多"),
    ("青山不老千年翠", "绿水长流万古清"),
    ("湖光潋滟晴方好", "山色空蒙雨亦奇"),
    ("远山含笑迎春到", "绿水扬波送福来"),
    ("千山竞秀春光美", "万木争荣景色新"),
    ("一湖春水映明月", "两岸垂杨拂暖风"),
    ("山高月小松涛静", "水落石出柳岸深"),
    ("湖边柳色青如染", "岭上梅花白似霜"),
    ("碧水青山皆入画", "清风明月总关情"),
    ("登山始见天高远", "临海方知地广深"),
    ("雪压青松松更翠", "风吹古柳柳尤柔"),
    ("家犬守门知客到", "山鸡报晓唤人来"),
    ("小狗摇尾迎新岁", "喜鹊登梅报早春"),
    ("花开富贵家家乐", "竹报平安户户欢"),
    ("月照长江千里白", "风吹大海万重波"),
    ("江山如画春常在", "岁月如歌福永存"),
    ("大海扬波迎旭日", "高天展翅舞春风"),
    ("古寺钟声传远岭", "深林鸟语绕清溪"),
    ("楼台倒影入池塘", "花木繁阴连径路"),
    ("一帆风顺年年好", "万事如意步步高"),
    ("天高云淡秋光好", "水碧山青景色新"),
    ("松间明月照", "石上清泉流"),
    ("春到人间花弄影", "风来水上月流光"),
    ("白雪红梅迎瑞岁", "青山绿水贺新春"),
    ("山中鸟语声声脆", "林下泉流处处清"),
    ("一江春水向东去", "两岸青山入画来"),
    ("湖心亭外千帆过", "柳浪桥边百鸟鸣"),
    ("窗含西岭千秋雪", "门泊东吴万里船"),
    ("小桥流水人家", "古道西风瘦马"),
]


def write_site(root: Path) -> Settings:
    (root / "data" / "prepared").mkdir(parents=True)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "prepared" / "train.tsv").write_text(
        "".join(f"{u}\t{d}\n" for u, d in PAIRS), encoding="utf-8"
    )
    (root / "data" / "raw" / "badwords.txt").write_text("坏词\n", encoding="utf-8")
    return replace(
        Settings.from_env(),
        data_dir=root / "data",
        models_dir=PROJECT_ROOT / "data" / "models",
        tagger="local",
        rate_limit_photo="10000/minute",
    )


def scene(size: tuple[int, int] = (640, 480), marker: bool = False) -> Image.Image:
    """A landscape drawing: sky, sun, mountains and a lake. marker paints a pure green band along the
    top edge, so a test can tell where the top of the picture ended up."""
    width, height = size
    image = Image.new("RGB", size, (120, 170, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (width * 0.7, height * 0.1, width * 0.8, height * 0.1 + width * 0.1), fill=(250, 250, 250)
    )  # white: not the gold of the text
    draw.polygon(
        [(0, height * 0.7), (width * 0.3, height * 0.25), (width * 0.55, height * 0.7)], fill=(70, 110, 70)
    )
    draw.polygon(
        [(width * 0.35, height * 0.7), (width * 0.7, height * 0.35), (width, height * 0.7)],
        fill=(90, 130, 80),
    )
    draw.rectangle((0, height * 0.7, width, height), fill=(40, 90, 150))
    if marker:
        draw.rectangle((0, 0, width, max(4, height // 12)), fill=(0, 255, 0))
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()
