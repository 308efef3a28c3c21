"""Users and groups in v1 shapes, per flavor.

Cloud identifies people by account id only (user keys and user names were removed for privacy in 2019),
Data Center by user name and user key. Shapes follow the demisto, baton-confluence and text2confl
recordings in ../shared/confluence-samples/api.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .site import Group, User
from .v1_common import View, iso, sub

__all__ = ["render_group", "render_user", "render_user_search_result", "user_operations"]

_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)  # when nothing in the site dates a user


def user_operations(user: User) -> list[dict]:
    # Cloud's "can use Confluence" product permission: a deactivated (unlicensed) account has none, as
    # in the baton-confluence search fixture.
    return [{"targetType": "application", "operation": "use"}] if user.active else []


def render_user(view: View, user: User, expand: set[str] | None = None) -> dict:
    expand = expand or set()
    if not view.cloud:
        return {
            "type": "known",
            "username": user.username,
            "userKey": user.user_key,
            "profilePicture": {"path": "/images/icons/profilepics/default.svg", "width": 48, "height": 48,
                               "isDefault": True},
            "displayName": user.display_name,
            "_links": {"self": view.url(f"/rest/api/user?key={user.user_key}")},
            "_expandable": {"status": ""},
        }
    out: dict = {
        "type": "known",
        "accountId": user.account_id,
        "accountType": "atlassian",
        "email": user.email,
        "publicName": user.display_name,
        "profilePicture": {"path": f"/wiki/aa-avatar/{user.account_id}", "width": 48, "height": 48,
                           "isDefault": False},
        "displayName": user.display_name,
        "isExternalCollaborator": False,
        # Present in current Cloud answers (text2confl recording, 2025).
        "isGuest": False,
        "locale": "en_US",
        "accountStatus": "active" if user.active else "inactive",
    }
    expandable: dict[str, str] = {}
    if "operations" in expand:
        out["operations"] = user_operations(user)
    else:
        expandable["operations"] = ""
    if "details" in expand:
        out["details"] = {"business": {"position": "", "department": "", "location": ""},
                          "personal": {"phone": "", "im": "", "website": "", "email": user.email}}
    personal = view.site.spaces.get(f"~{user.username}")
    if "personalSpace" in expand and personal is not None:
        from .v1_spaces import render_space  # spaces render users too: imported late to avoid a cycle
        out["personalSpace"] = render_space(view, personal, sub(expand, "personalSpace"))
    else:
        expandable["personalSpace"] = ""
    out["_expandable"] = expandable
    out["_links"] = {"self": view.url(f"/rest/api/user?accountId={user.account_id}")}
    return out


def _last_seen(view: View, user: User) -> datetime:
    """A plausible `lastModified` for a user search hit: the user's latest edit in the site."""
    times = [v.at for c in view.site.content.values() for v in c.versions if v.by == user.username]
    return max(times, default=_EPOCH)


def render_user_search_result(view: View, user: User, expand: set[str]) -> dict:
    """One hit of Cloud's `search/user` (demisto recording): the user wrapped in search-result fields."""
    return {"user": render_user(view, user, sub(expand, "user") | expand), "title": user.display_name,
            "excerpt": "", "url": f"/people/{user.account_id}", "breadcrumbs": [], "entityType": "user",
            "iconCssClass": "aui-iconfont-user", "lastModified": iso(_last_seen(view, user)), "score": 0.0}


def render_group(view: View, group: Group) -> dict:
    out: dict = {"type": "group", "name": group.name}
    if view.cloud:
        out["id"] = group.id
    out["_links"] = {"self": view.url(f"/rest/api/group/{group.name}")}
    return out
