"""What a field's selection reads of the posts and users below it: the `PostShape` a read
of the read model needs so that every field selected finds its value loaded."""

import weakref

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from graph.context import Info
from graph.internals import field_nodes
from social.caches import SizedLRU, sized_lru_cache
from social.reads.views import PostShape, UserFlags

# Paths by the field's nodes in the parsed document, which the parser cache reuses for the
# same query text: a repeated query skips the walk. Directives are not applied (a field
# under @skip counts as selected), so the paths depend on the document alone.
# Clients choose the documents: an LRU of GRAPHQL_DOCUMENT_CACHE_SIZE entries, which refers
# to its nodes weakly, so it keeps no document alive that the document cache let go
# (graph/security/documents.py bounds their bytes); an id reused by another node misses.
_paths_by_nodes: SizedLRU[
    tuple[int, ...], tuple[tuple[weakref.ref[FieldNode], ...], frozenset[str]]
] = SizedLRU("GRAPHQL_DOCUMENT_CACHE_SIZE")


def selected_paths(info: Info) -> frozenset[str]:
    """Dotted paths of the fields selected under the current field ("edges.node.hashtags"),
    through fragments (which add their fields at the same level)."""
    nodes, fragments = field_nodes(info)
    key = tuple(id(node) for node in nodes)
    cached = _paths_by_nodes.get(key)
    if cached is not None and all(a() is b for a, b in zip(cached[0], nodes, strict=True)):
        return cached[1]
    paths: set[str] = set()

    def walk(selection_set: SelectionSetNode | None, prefix: str) -> None:
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                path = f"{prefix}.{name}" if prefix else name
                paths.add(path)
                walk(selection.selection_set, path)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, prefix)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set, prefix)

    for node in nodes:
        walk(node.selection_set, "")
    result = frozenset(paths)
    _paths_by_nodes.put(key, (tuple(weakref.ref(node) for node in nodes), result))
    return result


def _under(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _user_flags(paths: frozenset[str], user: str) -> UserFlags | None:
    """The viewer's flags selected on the user at `user`; None when none is."""
    flags = UserFlags(
        viewer_follows=_under(user, "viewerFollows") in paths,
        follows_viewer=_under(user, "followsViewer") in paths,
        viewer_mutes=_under(user, "viewerMutes") in paths,
        viewer_blocks=_under(user, "viewerBlocks") in paths,
        blocks_viewer=_under(user, "blocksViewer") in paths,
        follow_requested=_under(user, "viewerFollowRequested") in paths,
    )
    return flags if flags != UserFlags(False, False) else None


# Per document's paths: one shape object shared by the requests and subscriptions of a
# document (an LRU of GRAPHQL_DOCUMENT_CACHE_SIZE: the documents are the clients').
@sized_lru_cache("GRAPHQL_DOCUMENT_CACHE_SIZE")
def post_shape(paths: frozenset[str], post: str) -> PostShape:
    """The shape of the post at the path `post` ("" for the field's own object)."""
    parent = _under(post, "replyTo")
    mentions = _under(post, "mentions")
    return PostShape(
        viewer_has_liked=_under(post, "viewerHasLiked") in paths,
        author=_user_flags(paths, _under(post, "author")),
        hashtags=_under(post, "hashtags") in paths,
        mentions=(_user_flags(paths, mentions) or UserFlags(False, False))
        if mentions in paths
        else None,
        reply_to=post_shape(paths, parent) if parent in paths else None,
    )


def selected_post_shape(info: Info, post: str = "") -> PostShape:
    return post_shape(selected_paths(info), post)


# The fields that read the database when resolved: the connections.
_CONNECTIONS = frozenset({"replies", "posts", "followers", "following"})
_FLAGS = frozenset(
    {
        "viewerHasLiked",
        "viewerFollows",
        "followsViewer",
        "viewerMutes",
        "viewerBlocks",
        "blocksViewer",
        "viewerFollowRequested",
    }
)


def reaches_database(paths: frozenset[str]) -> bool:
    """Whether a selection (`selected_paths`) reads the database when resolved."""
    return any(path.rpartition(".")[2] in _CONNECTIONS for path in paths)


def shows_flags(paths: frozenset[str]) -> bool:
    """Whether a selection asks for a viewer's flags (liked, follows, blocks...)."""
    return any(path.rpartition(".")[2] in _FLAGS for path in paths)
