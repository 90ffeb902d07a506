"""Chinese first, English second: the language codes and the one bilingual text type.

Everything a reporter, a community worker or an officer reads exists in both languages;
this module is the only definition of what that means, so pages, posters, the site and
the reward rules cannot drift apart in how they pick a language.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def pick(lang: Lang, zh: str, en: str) -> str:
    """The text for ``lang`` of a pair given as two fields (``name`` / ``name_en``)."""
    return en if lang == "en" else zh


class Text(BaseModel):
    """A text in Chinese and in English; neither may be empty."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return pick(lang, self.zh, self.en)
