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
