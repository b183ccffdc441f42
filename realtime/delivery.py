"""From an event to the subscriptions it concerns: what each one is sent, and in what order.

A subscription is a `Live` record (a few slots: whose events, which stream, its document,
variables and resume state), registered with the broker before it reads anything: an event
committed while it reads is buffered (`pending`), and the ids it has sent drop the
duplicates of that overlap. No task, generator or GraphQL operation stays alive for an idle
subscription: the broker hands each event to `Deliveries.deliver`, which reads for all its
subscriptions at once, renders each distinct (document, variables, payload) once (`render`)
and writes the bytes to each socket. A stream over HTTP has a `Stream` sink instead: a
bounded queue of payloads that Strawberry executes (graph/http_streams.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import inspect
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, cast

from django.utils import timezone
from graphql import execute
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.context import Context
from graph.internals import core_schema
from graph.notifications.queries import CURSOR_KIND
from graph.pagination import encode_cursor
from graph.security.errors import is_database_unavailable
from graph.types.notifications import NotificationEvent, NotificationType
from graph.types.posts import PostEdge, PostType
from notifications.events import NOTIFICATION, POST, UNREAD
from notifications.selectors import REPLAY_PAGE, NotificationView, notifications_after, unread_count
from observability.metrics import EVENT_DELIVERY_SECONDS, EVENTS_DELIVERED
from realtime.broker import RESYNC, Event
from realtime.db import subscription_db
from social.media.storage import request_origin
from social.reads import posts as post_reads
from social.reads.views import PostShape, PostView

logger = logging.getLogger(__name__)

# The kind of cursor homeFeed hands out (graph/social/queries.py).
HOME_CURSOR_KIND = "home"
# How many sent ids a subscription remembers to drop duplicates (replay/live overlap).
SENT_MEMORY = 10_000
# Payloads a stream over HTTP may hold for a reader that fell behind; past it, it ends.
STREAM_QUEUE = 1000
# How a socket closes when its events cannot be read (the database is unreachable):
# "Try Again Later", which graphql-ws's client retries, resuming with `after`.
CLOSE_TRY_AGAIN_LATER = 1013
UNAVAILABLE_REASON = "Database unavailable, retry shortly"
# What wakes a stream's reader when its events could not be read.
_FAILED = object()


class SentIds:
    """The ids already sent, oldest forgotten first; `high` is the largest. The dict exists
    only once something was sent: an idle subscription holds two slots."""

    __slots__ = ("_ids", "high")

    def __init__(self, start: int) -> None:
        self.high = start
        self._ids: OrderedDict[int, None] | None = None

    def __contains__(self, pk: int) -> bool:
        return self._ids is not None and pk in self._ids

    def add(self, pk: int) -> None:
        if self._ids is None:
            self._ids = OrderedDict()
        self._ids[pk] = None
        if len(self._ids) > SENT_MEMORY:
            self._ids.popitem(last=False)
        self.high = max(self.high, pk)


@dataclasses.dataclass(eq=False, slots=True, weakref_slot=True)
class Live:
    """One subscription on this process. `sink` is the socket (realtime.transport) that
    renders and writes its results, or a `Stream`; `pending` buffers events while it
    starts or replays (None when it is live)."""

    sink: Any
    op_id: str = ""
    document: Any = None
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    kind: str = ""
    stream: str = ""
    user_id: int = 0
    shape: PostShape | None = None
    flags: bool = False
    private: bool = False
    sent: SentIds | None = None
    position: tuple[datetime, int] | None = None
    last: int | None = None
    wakes: float | None = None  # when a timed mute of its user's ends (unread)
    pending: list[Any] | None = dataclasses.field(default_factory=list)

    def expired(self) -> None:
        """A timed mute ended (realtime.runtime.Expiries): the count may have grown."""
        if self.sink is not None:
            _runtime().deliveries.deliver(RESYNC, [self])


class Stream(asyncio.Queue[Any]):
    """The sink of a subscription that Strawberry streams (over HTTP): a bounded queue; a
    reader that falls behind ends its stream (its client resumes with `after`)."""

    def __init__(self) -> None:
        super().__init__(maxsize=STREAM_QUEUE)
        self.overflowed = False
        self.error: BaseException | None = None

    def offer(self, payload: Any) -> None:
        try:
            self.put_nowait(payload)
        except asyncio.QueueFull:
            self.overflowed = True

    def fail(self, error: BaseException) -> None:
        """Its events could not be read: what it holds is sent, then the error."""
        self.error = error
        self.offer(_FAILED)


def _delivered(kind: str, committed_at: float | None) -> None:
    EVENTS_DELIVERED.labels(kind=kind).inc()
    if committed_at is not None:
        EVENT_DELIVERY_SECONDS.labels(kind=kind).observe(max(0.0, time.time() - committed_at))


def _runtime() -> Any:
    from realtime.runtime import runtime

    return runtime()


async def subscribe(
    live: Live | None,
    stream: str,
    user_id: int,
    *,
    shape: PostShape | None = None,
    flags: bool = False,
    private: bool = False,
    after_id: int | None = None,
    position: tuple[datetime, int] | None = None,
) -> Any:
    """Registers a subscription of `stream` ("notifications", "posts", "edges", "unread")
    and starts it (its replay or first count). A socket's `live` is then served by
    `deliver` alone (None is returned); without one, the subscription is returned as an
    async iterator of payloads, for Strawberry to execute."""
    if live is None:
        live = Live(Stream())
    live.stream, live.user_id = stream, user_id
    live.shape, live.flags, live.private = shape, flags, private
    live.kind = {"notifications": NOTIFICATION, "unread": UNREAD}.get(stream, POST)
    start: Callable[[Live], Awaitable[None]] | None = None
    if stream == "notifications":
        live.sent = SentIds(after_id or 0)
        start = _replay if after_id is not None else _start_id
    elif stream == "edges":
        live.sent = SentIds(0)
        # Without a cursor nothing is replayed but after a resync, from the moment of
        # subscribing.
        live.position = position or (timezone.now(), 0)
        start = _replay if position is not None else None
    elif stream == "unread":
        start = _recount  # its first count: a change committed meanwhile is buffered, and read
    # Subscribed first: whatever commits from here on is buffered, then read.
    runtime = _runtime()
    await runtime.broker.register(live)
    if start is None:
        live.pending = None
    else:
        runtime.deliveries.spawn(_starting(live, start))
    return _streamed(live) if isinstance(live.sink, Stream) else None


async def _streamed(live: Live) -> Any:
    sink: Stream = live.sink
    try:
        while not sink.overflowed:
            payload = await sink.get()
            if payload is _FAILED and sink.error is not None:
                raise sink.error  # the client sees SERVICE_UNAVAILABLE and resumes with `after`
            yield payload
    finally:
        end(live)


def _unreadable(lives: list[Live], error: BaseException) -> None:
    """Their events could not be read (the database is unreachable from this process):
    rather than go on with a gap, each socket closes with 1013 and each stream ends with
    the error, and their clients resume with `after` (here once it answers, or elsewhere)."""
    logger.warning("live events unreadable (%s): ending %d", type(error).__name__, len(lives))
    for live in lives:
        sink = live.sink
        if isinstance(sink, Stream):
            sink.fail(error)
        elif sink is not None:
            sink.close(CLOSE_TRY_AGAIN_LATER, UNAVAILABLE_REASON)


def end(live: Live) -> None:
    """The subscription is over (completed, stopped, its socket gone): nothing more for it."""
    live.sink = None
    from realtime.runtime import current_runtime

    current = current_runtime()
    if current is not None:
        current.broker.remove(live)


async def _starting(live: Live, first: Callable[[Live], Awaitable[None]]) -> None:
    """Runs a subscription's start (or a replay), then the events buffered meanwhile, in
    order, then leaves it to `deliver`."""
    try:
        await first(live)
        while live.pending and live.sink is not None:
            events, live.pending = live.pending, []
            if RESYNC in events:  # it reads again whatever the others would have told
                await RESYNCS[live.stream](live)
            # Read together (one read for a burst), sent in order.
            loaded = await asyncio.gather(
                *(_payloads(e, [live]) for e in events if e is not RESYNC)
            )
            for pairs in loaded:
                await _send(pairs)
    except Exception as error:
        if is_database_unavailable(error):
            _unreadable([live], error)
        else:
            logger.exception("a live subscription failed to start or replay")
    finally:
        live.pending = None


class Deliveries:
    """The process's delivery (one per Runtime): the events waiting for its task, in
    arrival order, and the tasks of subscriptions that start or replay."""

    def __init__(self) -> None:
        self.queue: deque[tuple[Any, list[Live]]] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str = "live-start") -> None:
        # A context of its own: not the caller's (a thread hop's, say, which asgiref's
        # deadlock guard would take for its own).
        loop = asyncio.get_running_loop()
        task = loop.create_task(coroutine, name=name, context=contextvars.Context())
        self.tasks.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self.tasks.discard)

    def close(self) -> None:
        for task in [self.worker, *self.tasks]:
            if task is not None:
                task.cancel()
        self.queue.clear()

    def deliver(self, event: Any, lives: list[Live]) -> None:
        """The broker's callback (on the event loop): queues the event for the
        subscriptions that are live, buffers it for those still starting."""
        ready = []
        for live in lives:
            if live.pending is not None:
                live.pending.append(event)
            elif event is RESYNC:
                if live.stream in RESYNCS:
                    live.pending = []
                    self.spawn(_starting(live, RESYNCS[live.stream]))
            else:
                ready.append(live)
        if ready:
            self.queue.append((event, ready))
            if self.worker is None or self.worker.done():
                self.worker = asyncio.get_running_loop().create_task(
                    self._work(), name="live-delivery", context=contextvars.Context()
                )

    async def _work(self) -> None:
        """Takes every event queued, reads for all of them at once (the loaders coalesce),
        then sends in arrival order: each subscription hears its events in order."""
        while self.queue:
            batch = list(self.queue)
            self.queue.clear()
            loaded = await asyncio.gather(
                *(_payloads(event, lives) for event, lives in batch), return_exceptions=True
            )
            for (_, lives), pairs in zip(batch, loaded, strict=True):
                try:
                    if isinstance(pairs, BaseException):
                        raise pairs
                    await _send(pairs)
                except Exception as error:
                    if is_database_unavailable(error):
                        _unreadable(lives, error)
                    else:
                        logger.exception("a live delivery failed")


async def _payloads(event: Any, lives: list[Live]) -> list[tuple[Live, Any]]:
    """What each subscription is sent for `event` (None: nothing), read together."""
    payloads = await asyncio.gather(*(PAYLOADS[live.stream](event, live) for live in lives))
    return [(live, p) for live, p in zip(lives, payloads, strict=True) if p is not None]


async def _send(pairs: list[tuple[Live, Any]]) -> None:
    """Each distinct (document, variables, payload, origin) rendered once, written to each
    socket."""
    groups: dict[tuple[Any, ...], list[Live]] = {}
    payloads: dict[int, Any] = {}
    for live, payload in pairs:
        sink = live.sink
        if sink is None:
            continue
        if isinstance(sink, Stream):
            sink.offer(payload)
            continue
        key: tuple[Any, ...] = (id(live.document), live.operation_name, id(payload), sink.origin)
        if live.variables:
            # Variables are few and small: their text tells two subscriptions' apart.
            key = (*key, repr(sorted(live.variables.items())))
        groups.setdefault(key, []).append(live)
        payloads[id(payload)] = payload
    for key, lives in groups.items():
        with request_origin(key[3]):
            text = await render(lives[0], payloads[key[2]])
        for live in lives:
            if live.sink is not None:
                live.sink.next(live, text)


async def render(live: Live, payload: Any) -> str:
    """The JSON text of `live`'s result for `payload`: its document executed with the
    payload as the root value, as graphql-core executes a subscription's event, errors
    presented as the schema presents them (unexpected ones masked)."""
    from graph.schema import schema

    result = execute(
        core_schema(schema),
        live.document,
        root_value=payload,
        context_value=Context(viewer_id=live.user_id),
        variable_values=live.variables,
        operation_name=live.operation_name,
        executor_class=StrawberryGraphQLCoreExecutionContext,
    )
    if inspect.isawaitable(result):
        result = await result
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        schema.process_errors(result.errors, None)
        body["errors"] = [error.formatted for error in result.errors]
    return json.dumps(body, separators=(",", ":"))


def _notification_event(notification: NotificationView, unread: int) -> NotificationEvent:
    return NotificationEvent(
        cursor=encode_cursor(CURSOR_KIND, [notification.id]),
        notification=cast(NotificationType, notification),
        unread_notification_count=unread,
    )


def _edge(view: PostView) -> PostEdge:
    cursor = encode_cursor(HOME_CURSOR_KIND, [view.created_at, view.id])
    return PostEdge(cursor=cursor, node=cast(PostType, view))


# One replay page: (id, payload) of each row, and whether more may follow.
Page = tuple[list[tuple[int, Any]], bool]


@subscription_db
def _notifications_page(viewer_id: int, after_id: int, shape: PostShape) -> Page:
    views, read = notifications_after(recipient_id=viewer_id, after_id=after_id, shape=shape)
    unread = unread_count(recipient_id=viewer_id)
    return [(v.id, _notification_event(v, unread)) for v in views], read == REPLAY_PAGE


_posts_for_viewers = subscription_db(post_reads.post_for_viewers)
_home_replay_page = subscription_db(post_reads.home_replay_page)


async def _edges_page(live: Live) -> Page:
    assert live.position is not None and live.shape is not None
    views, full = await _home_replay_page(
        viewer_id=live.user_id, after=live.position, shape=live.shape, size=REPLAY_PAGE
    )
    for view in views:
        live.position = max(live.position, (view.created_at, view.id))
    return [(view.id, _edge(view)) for view in views], full


async def _replay(live: Live) -> None:
    """Sends what was committed after the subscription's position, page by page, oldest
    first, each row once (a resync reads the same way)."""
    sent = live.sent
    assert sent is not None and live.shape is not None
    more = True
    while more and live.sink is not None:
        if live.stream == "edges":
            rows, more = await _edges_page(live)
        else:
            rows, more = await _notifications_page(live.user_id, sent.high, live.shape)
        pairs = []
        for pk, payload in rows:
            if pk not in sent:
                sent.add(pk)
                EVENTS_DELIVERED.labels(kind=live.kind).inc()
                pairs.append((live, payload))
        await _send(pairs)


async def _start_id(live: Live) -> None:
    # Without `after` nothing is replayed: a notification committed since the subscription
    # began is buffered, newer than the start id or not. The id is where a resync reads.
    assert live.sent is not None
    live.sent.high = await _runtime().loaders.latest_ids.load(live.user_id)


async def _notification(event: Event, live: Live) -> NotificationEvent | None:
    sent = live.sent
    if sent is None or event.id in sent:
        return None
    notification, unread = await _runtime().loaders.notifications.load(
        (event.id, live.user_id, live.shape, live.flags)
    )
    if notification is None or notification.id in sent:
        return None
    sent.add(notification.id)
    _delivered(NOTIFICATION, event.committed_at)
    return _notification_event(notification, unread)


async def _post_for(event: Event, live: Live) -> PostView | None:
    """This viewer's post; the first subscription to ask loads it for all.

    `private`: the selection reaches the database (a connection), whose reads depend on
    the subscription's own context: it gets a view of its own, rendered for it alone."""
    shape = live.shape
    assert shape is not None
    # One read per distinct selection shape among the event's subscriptions.
    tasks: dict[PostShape, asyncio.Task[dict[int, PostView]]] = event.shared.setdefault("views", {})
    task = tasks.get(shape)
    if task is None:
        task = asyncio.ensure_future(
            _posts_for_viewers(post_id=event.id, viewer_ids=event.local_users, shape=shape)
        )
        tasks[shape] = task
    # Shielded: one cancelled subscriber must not cancel the load its siblings await.
    views = task.result() if task.done() else await asyncio.shield(task)
    view = views.get(live.user_id)
    if view is None or not live.private:
        return view
    return dataclasses.replace(view)


async def _post(event: Event, live: Live) -> PostView | None:
    # Live only (the home feed itself is the catch-up), so a resync reads nothing.
    post = await _post_for(event, live)
    if post is not None:
        _delivered(POST, event.committed_at)
    return post


async def _post_edge(event: Event, live: Live) -> PostEdge | None:
    sent = live.sent
    if sent is None or event.id in sent:
        return None
    post = await _post_for(event, live)
    if post is None or post.id in sent:
        return None
    sent.add(post.id)
    assert live.position is not None
    live.position = max(live.position, (post.created_at, post.id))
    _delivered(POST, event.committed_at)
    if live.private:
        return _edge(post)
    # One edge per shared view, so the subscriptions sharing the view share its rendering.
    edges: dict[int, PostEdge] = event.shared.setdefault("edges", {})
    edge = edges.get(id(post))  # the view lives in the event's loaded views meanwhile
    if edge is None:
        edge = edges[id(post)] = _edge(post)
    return edge


async def _unread(live: Live) -> int:
    count, wakes = await _runtime().loaders.unread_counts.load(live.user_id)
    if wakes is not None and wakes != live.wakes:
        # Nothing is published when a mute ends: count again then (just after it).
        live.wakes = wakes
        _runtime().expiries.add(wakes + 0.05, live)
    return count


async def _count(event: Event, live: Live) -> int | None:
    # A burst (a mark-all heard as many events) is read once per batch: equal counts send
    # nothing (the first count, `last` None, is always sent).
    count = await _unread(live)
    if count == live.last:
        return None
    live.last = count
    if event is not RESYNC:
        _delivered(UNREAD, event.committed_at)
    return count


async def _recount(live: Live) -> None:
    payload = await _count(RESYNC, live)
    if payload is not None:
        await _send([(live, payload)])


PAYLOADS: dict[str, Callable[[Event, Live], Awaitable[Any]]] = {
    "notifications": _notification,
    "posts": _post,
    "edges": _post_edge,
    "unread": _count,
}
# What it runs when events may have been lost (Redis was away).
RESYNCS: dict[str, Callable[[Live], Awaitable[None]]] = {
    "notifications": _replay,
    "edges": _replay,
    "unread": _recount,
}
