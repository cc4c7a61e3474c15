"""What a field expects to be written, for re-ranking handwriting (:mod:`engines.handwriting.rerank`).

A field names what it expects in its ``data-expect`` attribute (set by the ``text_field`` macro):

- ``address``: the centre's address book, if one is loaded, and the words of any address;
- ``name``: the commonest Chinese surnames;
- ``service:<code>``: every Simplified text of that service in the catalogue (its name, description,
  questions and choices) — a resident describing a repair uses the repairs service's words;
- anything else: common characters only.

Built from the kiosk's own texts, remembered until the catalogue changes (``catalogue.cached``).
"""
from __future__ import annotations

from sqlite_utils import Database

from core import catalogue
from engines.handwriting.rerank import NOTHING, Expectation

SIMPLIFIED = "zh_Hans_CN"  # the recogniser's model and the vocabulary are Simplified

#: The words of any address on the mainland, whatever the estate.
ADDRESS_WORDS = ("小区 花园 新村 家园 公寓 社区 街道 路 街 巷 弄 号 号楼 栋 幢 座 单元 层 楼 室 房 门 东 西 南 北 中 "
                 "一 二 三 四 五 六 七 八 九 十 楼道 电梯 地下室 车库")
#: The commonest surnames (together about 85 % of people in China), most common first.
SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 "
            "余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 "
            "龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤")


def address_texts(db: Database) -> list[str]:
    """The address book's estate and building names (empty until an address book is loaded)."""
    try:
        from core import addresses  # the centre's address book (issue 10), when present
    except ImportError:
        return []
    return list(addresses.vocabulary(db))


def service_texts(service: catalogue.Service) -> list[str]:
    texts = [service.name, service.description, service.bring, service.duration, service.next_steps]
    for question in service.questions:
        texts += [question.text, question.hint, *(label for _, label in question.options)]
    return texts


def the_kiosks_words(db: Database) -> Expectation:
    """Every visible service's texts at once: what residents of this centre write about (楼道灯, 养老金,
    上门), for pinyin in any field — the field's own service's texts still count first."""
    def build() -> Expectation:
        texts: list[str] = []
        for group in catalogue.list_groups(db, SIMPLIFIED):
            for service in group["services"]:
                texts += service_texts(service)
        return Expectation.from_texts(texts)
    return catalogue.cached(db, ("expect", "*"), build)


def expectation(db: Database, expect: str) -> Expectation:
    """The :class:`Expectation` of a field that says ``data-expect="{expect}"``."""
    if expect == "address":
        return catalogue.cached(db, ("expect", "address"),
                                lambda: Expectation.from_texts([ADDRESS_WORDS, *address_texts(db)]))
    if expect == "name":
        return catalogue.cached(db, ("expect", "name"), lambda: Expectation.from_texts(SURNAMES.split()))
    if expect.startswith("service:"):
        service = catalogue.get_service(db, expect.removeprefix("service:"), SIMPLIFIED)
        if service is None:
            return NOTHING
        return catalogue.cached(db, ("expect", expect), lambda: Expectation.from_texts(service_texts(service)))
    return NOTHING
