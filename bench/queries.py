"""The one page every HTTP variant serves: the viewer's home feed, 20 posts."""

HOME_FEED_QUERY = """
query HomeFeed {
  homeFeed(first: 20) {
    edges {
      cursor
      node {
        id body createdAt likeCount replyCount viewerHasLiked hashtags
        author { id username displayName }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# PostGraphile names the same things its own way; bench/peer/setup.sql adds the feed
# function and the viewerHasLiked / hashtags computed columns.
PEER_HOME_FEED_QUERY = """
query HomeFeed {
  homeFeed(first: 20) {
    edges {
      cursor
      node {
        nodeId body createdAt likeCount replyCount viewerHasLiked hashtags
        author: socialUserByAuthorId { nodeId username displayName }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


# Compiled-path bench (bench/compiled_bench.py): three pages, each as ours, the peer's and
# (for the feeds) the hand-written view's path. The profile's user is set per run.
# Media: the post's images (bench/seed_media.py attaches them to a quarter of the posts);
# PostGraphile reads the same denormalised jsonb column, as it stores them.
_POST = """id body createdAt likeCount replyCount viewerHasLiked hashtags
        author { id username displayName }
        mentions { id username displayName }
        media { url width height }"""
_PEER_POST = """nodeId body createdAt likeCount replyCount viewerHasLiked hashtags
        author: socialUserByAuthorId { nodeId username displayName }
        mentions: socialPostmentionsByPostId(orderBy: POSITION_ASC) {
          nodes { user: socialUserByUserId { nodeId username displayName } } }
        mediaJson"""


def _feed(root: str, post: str) -> str:
    return f"""query Feed {{
  {root}(first: 20) {{
    edges {{ cursor node {{ {post} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""


def profile_query(username: str) -> str:
    return f"""query Profile {{
  user(username: "{username}") {{
    id username displayName bio followerCount followingCount postCount viewerFollows
    posts(first: 10) {{
      edges {{ cursor node {{ id body createdAt likeCount replyCount viewerHasLiked hashtags }} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
    followers(first: 10) {{
      edges {{ cursor node {{ id username displayName viewerFollows }} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""


def peer_profile_query(username: str) -> str:
    return f"""query Profile {{
  user: socialUserByUsername(username: "{username}") {{
    nodeId username displayName bio followerCount followingCount postCount viewerFollows
    posts: socialPostsByAuthorId(first: 10, orderBy: [CREATED_AT_DESC, ID_DESC]) {{
      edges {{ cursor node {{ nodeId body createdAt likeCount replyCount viewerHasLiked hashtags }} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
    followers: socialFollowsByFolloweeId(first: 10, orderBy: [CREATED_AT_DESC, ID_DESC]) {{
      edges {{ cursor node {{ user: socialUserByFollowerId {{ nodeId username displayName viewerFollows }} }} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""  # noqa: E501


HOME_PAGE_QUERY = _feed("homeFeed", _POST)
PUBLIC_PAGE_QUERY = _feed("publicFeed", _POST)
PEER_HOME_PAGE_QUERY = _feed("homeFeed", _PEER_POST)
PEER_PUBLIC_PAGE_QUERY = _feed("publicFeed", _PEER_POST)
