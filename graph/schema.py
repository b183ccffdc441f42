"""The one schema: every domain's queries, mutations and subscriptions merged."""

from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graph.accounts.lifecycle import AccountLifecycleMutation
from graph.accounts.mutations import AccountMutation
from graph.accounts.queries import AccountQuery
from graph.accounts.sessions import SessionMutation, SessionQuery
from graph.compiled.executor import compiled_root_field
from graph.extensions import RejectBeforeExecution
from graph.extensions_runner import LeanExtensionsRunner
from graph.internals import RootField, RootFieldHook
from graph.media.mutations import MediaMutation
from graph.notifications.mutations import NotificationMutation
from graph.notifications.queries import NotificationQuery
from graph.notifications.subscriptions import NotificationSubscription
from graph.security.documents import CachedDocuments
from graph.security.errors import ApiSchema
from graph.security.limits import FreshErrorsValidationCache, security_extensions
from graph.security.ratelimit import apply_rate_limits
from graph.social.blocks import BlockMutation, BlockQuery
from graph.social.follow_requests import FollowRequestMutation, FollowRequestQuery
from graph.social.mutations import SocialMutation
from graph.social.mutes import MuteMutation, MuteQuery
from graph.social.queries import SocialQuery
from graph.social.reports import ReportMutation
from observability.graphql import OperationMetrics

Query = merge_types(
    "Query",
    (
        AccountQuery,
        SocialQuery,
        NotificationQuery,
        SessionQuery,
        MuteQuery,
        BlockQuery,
        FollowRequestQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutation,
        SocialMutation,
        NotificationMutation,
        AccountLifecycleMutation,
        SessionMutation,
        MuteMutation,
        ReportMutation,
        BlockMutation,
        FollowRequestMutation,
        MediaMutation,
    ),
)
Subscription = merge_types("Subscription", (NotificationSubscription,))


class CompiledRootFields(RootFieldHook, StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with the root fields of queries that the compiled path
    answers."""

    def answer_root_field(self, field: RootField) -> Any:
        # A root field of a query may be answered by one compiled SQL statement.
        return compiled_root_field(field)


class Schema(ApiSchema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> LeanExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)


# ApiSchema masks unexpected errors; security_extensions() holds every query limit.
schema = Schema(
    query=Query,
    mutation=apply_rate_limits(Mutation),
    subscription=Subscription,
    execution_context_class=CompiledRootFields,
    # OperationMetrics first: it times and counts everything the others do.
    extensions=[
        OperationMetrics,
        # Parsed documents reused across requests (keyed by query text and the token
        # limit), each with its validation verdicts (the validation cache below): one LRU
        # of GRAPHQL_DOCUMENT_CACHE_SIZE entries within GRAPHQL_DOCUMENT_CACHE_BYTES
        # (clients choose the texts; graph/security/documents.py).
        CachedDocuments,
        *security_extensions(),
        # Keyed by document and rule classes: graph/security/rules.py reuses one class per
        # limit value, so a repeated query skips validation (tests/security pins the hit).
        FreshErrorsValidationCache,
        RejectBeforeExecution,
        # No DjangoOptimizerExtension: the read model shapes each read from the selection
        # (social/reads/views.py PostShape) and no resolver hands it a QuerySet, so its
        # per-field hook only added a wrapper around every field.
    ],
)
