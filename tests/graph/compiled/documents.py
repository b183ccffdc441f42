"""Random query documents over the contract's User, Post and Notification fields.

Each document comes with its variables. The generator mixes selections, aliases, named
fragments, inline fragments (on Node too), __typename, @include/@skip on literals and on
variables, nested connections with page sizes as literals or variables, `after` cursors
taken from pages read earlier (and, now and then, a broken one), and root fields the
compiler does not handle, so one document can mix both executors.
"""

import json
import random
from dataclasses import dataclass, field
from typing import Any

POST_SCALARS = [
    "id", "body", "createdAt", "editedAt", "likeCount", "replyCount", "viewerHasLiked",
    "hashtags", "__typename",
]  # fmt: skip
USER_SCALARS = [
    "id", "username", "displayName", "bio", "avatarUrl", "dateJoined", "email",
    "followerCount", "followingCount", "postCount", "viewerFollows", "followsViewer",
    "emailVerified", "isLocked", "viewerMutes", "viewerBlocks", "blocksViewer",
    "viewerFollowRequested", "__typename",
]  # fmt: skip
NOTIFICATION_SCALARS = ["id", "kind", "createdAt", "read", "__typename"]
MEDIA_SCALARS = [
    "id", "url", "thumbnailUrl", "width", "height", "mimeType", "altText", "__typename",
]  # fmt: skip
SEARCHES = ["a", "AL", "bob", "o'b", "%", "_", "e", " ca ", "🎉", "", "zzz", "\\"]
BROKEN_CURSORS = ["not-a-cursor", "WyJvdGhlciIsMV0", "", "WyJwdWJsaWMiLCJ4IiwxXQ"]


@dataclass
class Document:
    query: str
    variables: dict[str, Any]


@dataclass
class Generator:
    rng: random.Random
    # Cursors read from real pages, by cursor kind ("public", "posts", "followers", ...).
    cursors: dict[str, list[str]]
    ids: list[str]
    usernames: list[str]
    tags: list[str]
    variables: dict[str, Any] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    fragments: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def variable(self, graphql_type: str, value: Any) -> str:
        name = self.name("v")
        self.definitions[name] = graphql_type
        self.variables[name] = value
        return f"${name}"

    def directive(self) -> str:
        roll = self.rng.random()
        if roll < 0.8:
            return ""
        which = self.rng.choice(["include", "skip"])
        value = self.rng.random() < 0.5
        if self.rng.random() < 0.5:
            return f" @{which}(if: {str(value).lower()})"
        return f" @{which}(if: {self.variable('Boolean!', value)})"

    def aliased(self, text: str, *, force: bool = False) -> str:
        if force or self.rng.random() < 0.2:
            return f"{self.name('a')}: {text}"
        return text

    def scalars(self, names: list[str]) -> list[str]:
        chosen = self.rng.sample(names, self.rng.randint(1, min(5, len(names))))
        return [self.aliased(name) + self.directive() for name in chosen]

    def wrap(self, type_name: str, selections: list[str]) -> str:
        """The selections as they are, or some of them behind a fragment."""
        roll = self.rng.random()
        if roll < 0.15 and selections:
            name = self.name("F")
            self.fragments[name] = f"fragment {name} on {type_name} {{ {' '.join(selections)} }}"
            return f"...{name}"
        if roll < 0.25 and selections:
            return f"... on {type_name} {{ {' '.join(selections)} }}"
        return " ".join(selections)

    def media(self, field: str) -> str:
        """`field` (Post.media, User.avatar) with some of the Media fields."""
        return (
            f"{self.aliased(field)}{self.directive()} {{ {' '.join(self.scalars(MEDIA_SCALARS))} }}"
        )

    def post(self, depth: int) -> str:
        selections = self.scalars(POST_SCALARS)
        if self.rng.random() < 0.3:
            selections.append(self.media("media"))
        if depth > 0:
            if self.rng.random() < 0.5:
                selections.append(self.aliased(f"author {{ {self.user(depth - 1)} }}", force=True))
            if self.rng.random() < 0.3:
                selections.append(
                    self.aliased(f"mentions {{ {self.user(depth - 1)} }}", force=True)
                )
            if self.rng.random() < 0.25:
                selections.append(self.aliased(f"replyTo {{ {self.post(depth - 1)} }}", force=True))
            if self.rng.random() < 0.15:
                selections.append(
                    self.aliased(
                        f"replies{self.connection_args('replies', small=True)} {{ {self.connection('Post', depth - 1)} }}",  # noqa: E501
                        force=True,
                    )
                )
        return self.wrap("Post", selections)

    def user(self, depth: int) -> str:
        selections = self.scalars(USER_SCALARS)
        if self.rng.random() < 0.2:
            selections.append(self.media("avatar"))
        if depth > 0:
            for name, kind, node in [
                ("posts", "posts", "Post"),
                ("followers", "followers", "User"),
                ("following", "following", "User"),
            ]:
                if self.rng.random() < 0.15:
                    selections.append(
                        self.aliased(
                            f"{name}{self.connection_args(kind, small=True)} {{ {self.connection(node, depth - 1)} }}",  # noqa: E501
                            force=True,
                        )
                    )
        return self.wrap("User", selections)

    def notification(self, depth: int) -> str:
        selections = self.scalars(NOTIFICATION_SCALARS)
        if self.rng.random() < 0.6:
            selections.append(
                self.aliased(f"actor {{ {self.user(max(depth - 1, 0))} }}", force=True)
            )
        if self.rng.random() < 0.6:
            selections.append(
                self.aliased(f"post {{ {self.post(max(depth - 1, 0))} }}", force=True)
            )
        return self.wrap("Notification", selections)

    def node(self, type_name: str, depth: int) -> str:
        if type_name == "Post":
            return self.post(depth)
        if type_name == "User":
            return self.user(depth)
        return self.notification(depth)

    def connection_args(self, kind: str, *, small: bool = False) -> str:
        args = []
        roll = self.rng.random()
        sizes = [0, 1, 2, 3] if small else [0, 1, 2, 3, 5, 20, 100]
        if roll < 0.4:
            args.append(f"first: {self.rng.choice(sizes)}")
        elif roll < 0.7:
            args.append(f"first: {self.variable('Int', self.rng.choice(sizes))}")
        elif roll < 0.73:
            args.append(f"first: {self.rng.choice([-1, 101])}")  # refused as bad input
        known = self.cursors.get(kind, [])
        roll = self.rng.random()
        if roll < 0.3 and known:
            args.append(f"after: {self.variable('String', self.rng.choice(known))}")
        elif roll < 0.35:
            args.append(f"after: {self.variable('String', self.rng.choice(BROKEN_CURSORS))}")
        elif roll < 0.4 and known:
            args.append(f'after: "{self.rng.choice(known)}"')
        return f"({', '.join(args)})" if args else ""

    def connection(self, node_type: str, depth: int) -> str:
        selections = []
        if self.rng.random() < 0.9:
            edge = []
            if self.rng.random() < 0.6:
                edge.append(self.aliased("cursor"))
            edge.append(f"node {{ {self.node(node_type, depth)} }}")
            if self.rng.random() < 0.1:
                edge.append("__typename")
            selections.append(f"edges {{ {' '.join(edge)} }}")
        if self.rng.random() < 0.6 or not selections:
            info = self.rng.sample(
                ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"],
                self.rng.randint(1, 4),
            )
            selections.append(f"pageInfo {{ {' '.join(info)} }}")
        if self.rng.random() < 0.1:
            selections.append("__typename")
        if self.rng.random() < 0.1:
            # A second, aliased edges list with another selection.
            selections.append(f"{self.name('a')}: edges {{ node {{ id }} }}")
        return " ".join(selections)

    def root(self, signed_in: bool) -> str:
        depth = self.rng.randint(1, 3)
        choices = [
            "publicFeed",
            "homeFeed",
            "hashtagFeed",
            "user",
            "post",
            "node",
            "me",
            "notifications",
            "searchUsers",
            "other",
        ]
        weights = [4, 4 if signed_in else 1, 2, 3, 2, 3, 1, 3 if signed_in else 1, 2, 1]
        which = self.rng.choices(choices, weights)[0]
        match which:
            case "publicFeed" | "homeFeed":
                kind = "public" if which == "publicFeed" else "home"
                return self.aliased(
                    f"{which}{self.connection_args(kind)} {{ {self.connection('Post', depth)} }}"
                )
            case "hashtagFeed":
                tag = self.rng.choice(self.tags)
                tag_arg = f'"{tag}"' if self.rng.random() < 0.5 else self.variable("String!", tag)
                args = self.connection_args("hashtag")
                args = f"(tag: {tag_arg}, {args[1:]}" if args else f"(tag: {tag_arg})"
                return self.aliased(f"hashtagFeed{args} {{ {self.connection('Post', depth)} }}")
            case "user":
                name = self.rng.choice(self.usernames)
                return self.aliased(
                    f"user(username: {self.variable('String!', name)}) {{ {self.user(depth)} }}"
                )
            case "post":
                return self.aliased(
                    f"post(id: {self.variable('ID!', self.rng.choice(self.ids))}) {{ {self.post(depth)} }}"  # noqa: E501
                )
            case "node":
                value = self.rng.choice(self.ids)
                parts = [
                    f"... on {t} {{ {self.node(t, depth)} }}"
                    for t in ("Post", "User", "Notification")
                    if self.rng.random() < 0.7
                ]
                parts.append(self.rng.choice(["id", "__typename", "id __typename"]))
                return self.aliased(
                    f"node(id: {self.variable('ID!', value)}) {{ {' '.join(parts)} }}"
                )
            case "me":
                return self.aliased(f"me {{ {self.user(depth)} }}")
            case "notifications":
                roll = self.rng.random()
                unread = "" if roll < 0.4 else "unreadOnly: true, " if roll < 0.6 else ""
                if roll >= 0.6:
                    unread = f"unreadOnly: {self.variable('Boolean', self.rng.random() < 0.5)}, "
                args = self.connection_args("notifications")
                args = f"({unread}{args[1:]}" if args else (f"({unread[:-2]})" if unread else "")
                return self.aliased(
                    f"notifications{args} {{ {self.connection('Notification', depth)} }}"
                )
            case "searchUsers":
                text = self.rng.choice(SEARCHES)
                literal = self.rng.random() < 0.5
                query = json.dumps(text) if literal else self.variable("String!", text)
                args = self.connection_args("search")
                args = f"(query: {query}, {args[1:]}" if args else f"(query: {query})"
                return self.aliased(f"searchUsers{args} {{ {self.connection('User', depth)} }}")
        return "unreadNotificationCount"

    def document(self, signed_in: bool) -> Document:
        self.variables, self.definitions, self.fragments = {}, {}, {}
        roots = [self.root(signed_in) for _ in range(self.rng.choice([1, 1, 1, 2, 3]))]
        # Two unaliased roots of one name with other arguments would not validate.
        seen: set[str] = set()
        unique = []
        for root in roots:
            head = root.split("(")[0].split(" ")[0]
            if head in seen:
                root = f"{self.name('r')}: {root}" if ":" not in head else root
            seen.add(head)
            unique.append(root)
        definitions = ", ".join(f"${name}: {kind}" for name, kind in self.definitions.items())
        header = f"query Generated{self.counter}({definitions})" if definitions else "query"
        text = f"{header} {{ {' '.join(unique)} }} {' '.join(self.fragments.values())}"
        return Document(text, dict(self.variables))
