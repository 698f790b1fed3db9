"""How domain values are written for people and for JSON.

Instants are written in Beijing time with their offset (`2026-03-05T10:00:00+08:00`), whatever offset the
event used, so two answers about the same instant are the same string. Dates are `YYYY-MM-DD`. Act and
case-kind titles come from the published event catalog (``Titles``, handed in by the composition root), so a
reason sentence names an act as the catalog does ("受理申诉、控告、检举"), not by its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from esledger.domain.calendar import BEIJING


@dataclass(frozen=True)
class Titles:
    """The catalog's Chinese titles of acts and case kinds; a name the catalog does not list stands for itself."""

    acts: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)

    def act(self, name: str) -> str:
        return self.acts.get(name, name)

    def kind(self, name: str) -> str:
        return self.kinds.get(name, name)


def instant_json(instant: datetime | None) -> str | None:
    """An aware instant as RFC 3339 in Beijing time (+08:00); None stays None."""
    return instant.astimezone(BEIJING).isoformat() if instant else None


def date_json(day: date | None) -> str | None:
    return day.isoformat() if day else None


def plain(value: Any) -> Any:
    """A JSON-ready copy: a dataclass by its own to_json or else its fields, instants and dates as above,
    enums as their value, tuples as lists, mappings as dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        return value.to_json() if hasattr(value, "to_json") else fields_json(value)
    if isinstance(value, datetime):
        return instant_json(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def fields_json(obj: Any) -> dict[str, Any]:
    """A dataclass's fields, each made plain: the to_json of the simple records."""
    return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}


def beijing_text(instant: datetime) -> str:
    """'北京时间2026-03-05 10:00': an instant as a reviewer reads it."""
    return "北京时间" + instant.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def end_of_day_text(day: date) -> str:
    """'北京时间2026-03-15 24:00': the end of a period's last day."""
    return f"北京时间{day.isoformat()} 24:00"


def article_text(article: str, items: tuple[str, ...] | list[str] = (), law: str | None = None) -> str:
    """'第十七条第（一）（四）项' for ("17", ["一", "四"]); with a law, '《行政执法监督条例》第三十九条' (the seed's
    articles are written bare, as everywhere in this project); an article that is not a number is written as is."""
    if not article.isdigit():
        return article
    head = f"{law or ''}第{_chinese_number(int(article))}条"
    return head + ("第" + "".join(f"（{i}）" for i in items) + "项" if items else "")


def clause_text(article: int, paragraph: int, law: str | None = None) -> str:
    """'第九条第二款'; with a law, '《行政执法监督条例》第二十七条第二款'."""
    return f"{law or ''}第{_chinese_number(article)}条第{_chinese_number(paragraph)}款"


def yuan_text(fen: int) -> str:
    """Integer fen as yuan, without floating point: 3000 -> '30.00元'."""
    return f"{fen // 100}.{fen % 100:02d}元"


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return str(n)
