"""Viewer flags fetched as annotations and handed to the objects they describe.

A feed row is one Post with its author and parent joined in; a flag such as
"the viewer follows this post's author" is an Exists() annotation on that row.
`copying_iterable` moves such annotations onto the related objects as they are
fetched, so `post.author.viewer_follows` is set without a query per row.
"""

from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.db.models.query import ModelIterable

from social.models import Follow, Like

M = TypeVar("M", bound=Model)


def _copy(obj: Model, annotation: str, target: str) -> None:
    if not hasattr(obj, annotation):
        return
    *path, attribute = target.split(".")
    holder: Any = obj
    for name in path:
        # Only objects already fetched (select_related): never a query from here.
        holder = holder._state.fields_cache.get(name)
        if holder is None:
            return
    setattr(holder, attribute, getattr(obj, annotation))


def copying_iterable(copies: Sequence[tuple[str, str]]) -> type[ModelIterable]:
    """An iterable class copying each (annotation, "relation.attribute") as rows arrive."""

    class CopyingIterable(ModelIterable):
        def __iter__(self) -> Iterator[Any]:
            for obj in super().__iter__():
                for annotation, target in copies:
                    _copy(obj, annotation, target)
                yield obj

    return CopyingIterable


def with_iterable(queryset: QuerySet[M], iterable: type[ModelIterable]) -> QuerySet[M]:
    queryset = queryset.all()
    # Kept by every clone (filter, order_by, slicing), and accepted by Prefetch.
    queryset._iterable_class = iterable
    return queryset


def fetched_flag(obj: Model, name: str, fetch: Callable[[], bool]) -> bool:
    """The flag `name` fetched with `obj` (an annotation, or copied onto it), else `fetch()`
    once: the answer is kept on the object for the next read."""
    flag = getattr(obj, name, None)
    if flag is None:
        flag = fetch()
        setattr(obj, name, flag)
    return bool(flag)


def viewer_follows(viewer_id: int, user_ref: str) -> Exists:
    """Whether the viewer follows the user whose id is at `user_ref`."""
    return Exists(Follow.objects.filter(follower_id=viewer_id, followee_id=OuterRef(user_ref)))


def follows_viewer(viewer_id: int, user_ref: str) -> Exists:
    """Whether the user whose id is at `user_ref` follows the viewer."""
    return Exists(Follow.objects.filter(follower_id=OuterRef(user_ref), followee_id=viewer_id))


def likes_and_follows(
    *, viewer_ids: Collection[int], post_ids: Collection[int], people: Collection[int]
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Many viewers' flags at once, in two queries: the (viewer, post) likes among `post_ids`,
    and the (follower, followee) follows between the viewers and `people`, either way.

    For the live side, which shows objects to many viewers in one read: each viewer's
    `viewer_has_liked` is `(viewer, post) in likes`, `viewer_follows` is `(viewer, user) in
    follows`, `follows_viewer` is `(user, viewer) in follows`.
    """
    likes = set(
        Like.objects.filter(user_id__in=viewer_ids, post_id__in=post_ids).values_list(
            "user_id", "post_id"
        )
    )
    follows = set(
        Follow.objects.filter(
            Q(follower_id__in=viewer_ids, followee_id__in=people)
            | Q(follower_id__in=people, followee_id__in=viewer_ids)
        ).values_list("follower_id", "followee_id")
    )
    return likes, follows
