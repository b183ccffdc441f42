"""Every list field of the schema has a declared bound, and each bound holds."""

from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from graph.errors import MAX_USER_ERRORS
from graph.ids import global_id
from graph.schema import schema
from graph.security.list_bounds import list_bound
from social.models import PostMention
from social.text import MAX_HASHTAGS_PER_POST, MAX_MENTIONS_PER_POST
from tests.conftest import GqlCall
from tests.factories import make_post, make_user


def _list_fields(graphql_schema: GraphQLSchema) -> list[tuple[str, str, Any]]:
    fields = []
    for type_ in graphql_schema.type_map.values():
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            for name, field in type_.fields.items():
                field_type = field.type
                if isinstance(field_type, GraphQLNonNull):
                    field_type = field_type.of_type
                if isinstance(field_type, GraphQLList):
                    fields.append((type_.name, name, field))
    return fields


def undeclared_list_fields(graphql_schema: GraphQLSchema) -> list[str]:
    """List fields the node limit has no bound for: neither a `first` nor a declared one."""
    missing = []
    for type_name, name, field in _list_fields(graphql_schema):
        item = get_named_type(field.type).name
        if "first" not in field.args and list_bound(graphql_schema, type_name, name, item) is None:
            missing.append(f"{type_name}.{name}")
    return missing


def test_every_list_field_of_the_schema_has_a_bound() -> None:
    # A new list field must declare its bound in graph/security/list_bounds.py (and the
    # code must enforce it), or the node limit would count it as nothing.
    assert undeclared_list_fields(schema._schema) == []


def test_a_list_field_without_a_bound_is_found() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def tags(self) -> list[str]:
            return []

    assert undeclared_list_fields(strawberry.Schema(query=Query)._schema) == ["Query.tags"]


def test_no_list_of_lists_and_every_first_is_an_int() -> None:
    # The cost walk reads `first` as an Int and bounds the outer list only.
    for _, _, field in _list_fields(schema._schema):
        item = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        inner = item.of_type
        inner = inner.of_type if isinstance(inner, GraphQLNonNull) else inner
        assert not isinstance(inner, GraphQLList)
    for type_ in schema._schema.type_map.values():
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            for field in type_.fields.values():
                if "first" in field.args:
                    assert str(field.args["first"].type) == "Int"


CREATE = "mutation ($body: String!) { createPost(input: {body: $body}) { post { id } errors { field code message } } }"  # noqa: E501


@pytest.mark.django_db
def test_a_post_mentions_at_most_the_bound(gql: GqlCall) -> None:
    author = make_user("author")
    names = [f"@name{i}" for i in range(MAX_MENTIONS_PER_POST + 1)]
    refused = gql(CREATE, {"body": " ".join(names)}, as_user=author)["data"]["createPost"]
    assert refused["post"] is None
    assert refused["errors"] == [
        {
            "field": "body",
            "code": "INVALID",
            "message": f"Mention at most {MAX_MENTIONS_PER_POST} people in one post.",
        }
    ]
    accepted = gql(CREATE, {"body": " ".join(names[:-1])}, as_user=author)["data"]["createPost"]
    assert accepted["errors"] == [] and accepted["post"] is not None


@pytest.mark.django_db
def test_a_post_carries_at_most_the_bound_of_hashtags(gql: GqlCall) -> None:
    author = make_user("author")
    tags = [f"#t{i}" for i in range(MAX_HASHTAGS_PER_POST + 1)]
    refused = gql(CREATE, {"body": " ".join(tags)}, as_user=author)["data"]["createPost"]
    assert refused["post"] is None and refused["errors"][0]["field"] == "body"
    assert f"at most {MAX_HASHTAGS_PER_POST} hashtags" in refused["errors"][0]["message"]
    accepted = gql(CREATE, {"body": " ".join(tags[:-1])}, as_user=author)["data"]["createPost"]
    assert accepted["errors"] == []


@pytest.mark.django_db
def test_rows_written_outside_the_services_are_read_up_to_the_bound(gql: GqlCall) -> None:
    author = make_user("author")
    post = make_post(author, "plain")
    users = [make_user(f"m{i}") for i in range(MAX_MENTIONS_PER_POST + 5)]
    PostMention.objects.bulk_create(
        PostMention(post=post, user=user, position=i) for i, user in enumerate(users)
    )
    query = "query ($id: ID!) { post(id: $id) { mentions { username } } }"
    result = gql(query, {"id": global_id("Post", post.pk)})
    assert len(result["data"]["post"]["mentions"]) == MAX_MENTIONS_PER_POST


MARK_READ = (
    "mutation ($ids: [ID!]) { markNotificationsRead(ids: $ids) { errors { field code message } } }"
)


@pytest.mark.django_db
def test_mark_read_refuses_more_ids_than_a_payload_has_errors(gql: GqlCall) -> None:
    viewer = make_user("viewer")
    ids = [global_id("Notification", 10_000 + i) for i in range(MAX_USER_ERRORS + 1)]
    errors = gql(MARK_READ, {"ids": ids}, as_user=viewer)["data"]["markNotificationsRead"]["errors"]
    assert errors == [
        {
            "field": "ids",
            "code": "TOO_LONG",
            "message": f"Mark at most {MAX_USER_ERRORS} notifications at once.",
        }
    ]
    # At the bound: one error per unknown id, no more.
    errors = gql(MARK_READ, {"ids": ids[:-1]}, as_user=viewer)["data"]["markNotificationsRead"]
    assert len(errors["errors"]) == MAX_USER_ERRORS
