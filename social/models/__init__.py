from social.models.follows import Follow
from social.models.posts import Like, Post, PostHashtag, PostMention
from social.models.requests import FollowRequest
from social.models.sessions import Session, SessionRevocation
from social.models.tokens import RefreshToken
from social.models.users import User

__all__ = [
    "Follow",
    "FollowRequest",
    "Like",
    "Post",
    "PostHashtag",
    "PostMention",
    "RefreshToken",
    "Session",
    "SessionRevocation",
    "User",
]
