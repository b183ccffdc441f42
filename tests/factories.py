"""Test data builders: the services themselves, so tests build what users build."""

from itertools import count

from social.models import Post, User

_seq = count(1)
PASSWORD = "a-long-test-password-9"


def make_user(username: str | None = None, *, password: str = PASSWORD, **fields: object) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    user = User(
        username=username,
        email=fields.pop("email", f"{username.lower()}@example.com"),  # type: ignore[arg-type]
        display_name=fields.pop("display_name", username.capitalize()),  # type: ignore[arg-type]
        **fields,
    )
    user.set_password(password)
    user.save()
    return user


def make_post(author: User, body: str = "Hello there", *, reply_to: Post | None = None) -> Post:
    from social.services.posts import post_create

    return post_create(author=author, body=body, reply_to=reply_to)


def make_follow(follower: User, followee: User) -> None:
    from social.services.follows import follow_create

    follow_create(follower=follower, followee=followee)


def make_like(user: User, post: Post) -> None:
    from social.services.likes import like_create

    like_create(user=user, post=post)
