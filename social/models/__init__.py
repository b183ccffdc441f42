from social.models.blocks import Block
from social.models.follows import Follow
from social.models.media import Media
from social.models.mutes import Mute
from social.models.posts import Like, Post, PostHashtag, PostMention
from social.models.reports import ModeratorAction, Report
from social.models.requests import FollowRequest
from social.models.sessions import Session, SessionRevocation
from social.models.tokens import RefreshToken
from social.models.users import User

__all__ = [
    "Block",
    "Follow",
    "FollowRequest",
    "Like",
    "Media",
    "ModeratorAction",
    "Mute",
    "Post",
    "PostHashtag",
    "PostMention",
    "RefreshToken",
    "Report",
    "Session",
    "SessionRevocation",
    "User",
]
