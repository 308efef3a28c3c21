"""People: the profile macros, shown as a mention of the user (`@Display Name`).

Names come from the users the sync knows; an unknown user keeps their id, is recorded as an
"unresolved-mention" link and gets a warning (see LinksMixin.mention).
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from ..images import standalone
from ..registry import is_inline, parameter, register


@register("profile", "profile-picture")
def profile(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    user = el.find("ri:user")  # inside the `user` parameter
    if user is None:
        # Older storage names the user as text: their user name.
        username = parameter(el, "user").strip() or parameter(el, "username").strip()
        if not username:
            converter.warn(f"a {el.get('ac:name')} macro names no user")
            return ""
        user = BeautifulSoup("", "html.parser").new_tag("ri:user", attrs={"ri:username": username})
    mention = converter.mention(user)
    return mention if is_inline(parent_tags) or not standalone(el) else f"\n\n{mention}\n\n"
