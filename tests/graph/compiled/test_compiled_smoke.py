from tests.graph.compiled.conftest import World


def test_public_feed_smoke(both, world: World) -> None:
    q = """{ publicFeed(first: 5) { edges { cursor node { id body createdAt editedAt likeCount replyCount viewerHasLiked hashtags mentions { id username viewerFollows } author { id username displayName email viewerFollows followsViewer } replyTo { id } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""  # noqa: E501
    for viewer in world.viewers:
        r = both(q, viewer=viewer)
        assert r["data"]["publicFeed"]["edges"]


def test_smoke_really_compiles(run, world: World, django_assert_num_queries) -> None:
    q = """{ publicFeed(first: 5) { edges { cursor node { id body author { username } } } } }"""
    run(q)
    with django_assert_num_queries(1) as captured:
        r = run(q, viewer=world.alice)
    print(captured.captured_queries[0]["sql"][:3000])
    print(r)
