"""Parsed documents and their validation verdicts, kept per process within an entry count
and a byte budget (docs/security.md, "Client-keyed caches").

Clients choose the query texts, and a parsed document is large: one of GRAPHQL_MAX_TOKENS
(5,000) tokens holds about 2 MB (its nodes and tokens), and a document padded with a
comment holds its whole text. Strawberry's ParserCache and ValidationCache bound only the
number of entries (256 of those: half a gigabyte a client could fill). Here one LRU holds
each document with its verdicts, at most GRAPHQL_DOCUMENT_CACHE_SIZE entries weighing at
most GRAPHQL_DOCUMENT_CACHE_BYTES together; a verdict leaves with its document, and a
document heavier than the budget is parsed and validated afresh each time, never kept.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

# Bytes a token costs once parsed, its node share included: 5,000 tokens of aliased fields
# measured 1.94 MB (tracemalloc, graphql-core 3.2), about 390 bytes each.
TOKEN_BYTES = 400
# A verdict's cost: graphql-core stops validating at 100 errors, each well under this.
ERROR_BYTES = 2_000
# Verdicts kept per document (one per node-limit class, so per distinct `first` values).
MAX_VERDICTS = 16


@dataclass
class _Entry:
    document: DocumentNode
    weight: int
    # Validation errors by (schema, rule classes): graph/security/rules.py reuses one rule
    # class per limit value, so a repeated request finds its verdict.
    verdicts: dict[Hashable, list[GraphQLError]] = field(default_factory=dict)


class DocumentStore:
    """The LRU: query text and parse options -> document and verdicts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.weight = 0

    def get(self, key: Hashable) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, document: DocumentNode, weight: int) -> None:
        size = int(settings.GRAPHQL_DOCUMENT_CACHE_SIZE)
        budget = int(settings.GRAPHQL_DOCUMENT_CACHE_BYTES)
        if size <= 0 or weight > budget:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.weight -= old.weight
            self._entries[key] = _Entry(document, weight)
            self.weight += weight
            while len(self._entries) > size or self.weight > budget:
                _, evicted = self._entries.popitem(last=False)
                self.weight -= evicted.weight

    def add_verdict(
        self, key: Hashable, entry: _Entry, rules: Hashable, errors: list[GraphQLError]
    ) -> None:
        weight = ERROR_BYTES * (1 + len(errors))
        budget = int(settings.GRAPHQL_DOCUMENT_CACHE_BYTES)
        with self._lock:
            if self._entries.get(key) is not entry or rules in entry.verdicts:
                return  # evicted (or replaced) meanwhile, or another thread kept it
            if len(entry.verdicts) >= MAX_VERDICTS:
                dropped = entry.verdicts.pop(next(iter(entry.verdicts)))  # the oldest
                entry.weight -= ERROR_BYTES * (1 + len(dropped))
                self.weight -= ERROR_BYTES * (1 + len(dropped))
            entry.verdicts[rules] = errors
            entry.weight += weight
            self.weight += weight
            while self.weight > budget and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self.weight -= evicted.weight

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.weight = 0

    def __len__(self) -> int:
        return len(self._entries)


documents = DocumentStore()


def document_weight(query: str, document: DocumentNode) -> int:
    """What keeping `document` costs, in bytes (an estimate): its text and its tokens."""
    tokens = 0
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        tokens += 1
        token = token.next
    return len(query) + TOKEN_BYTES * tokens


def _document_key(query: str, parse_options: Mapping[str, Any]) -> Hashable:
    return (query, tuple(sorted(parse_options.items())))


def _key(context: Any) -> Hashable:
    return _document_key(context.query, context.parse_options)


def parsed_document(query: str, parse_options: Mapping[str, Any]) -> DocumentNode:
    """The document of `query`, from `documents` or parsed and kept there (a syntax error
    is raised, and not kept)."""
    key = _document_key(query, parse_options)
    entry = documents.get(key)
    if entry is not None:
        return entry.document
    document = parse(query, **parse_options)
    documents.put(key, document, document_weight(query, document))
    return document


class CachedDocuments(SchemaExtension):
    """Strawberry's ParserCache, kept in `documents`: a repeated query text is not parsed
    again (and a syntax error, raised here, is not kept)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = parsed_document(context.query, context.parse_options)
        yield


def cached_verdict(context: Any, validate: Any) -> list[GraphQLError]:
    """The validation errors of the request's document under its rules: those kept with the
    document when it is the one in `documents`, else `validate()` (kept for next time)."""
    document = context.graphql_document
    key = _key(context) if context.query else None
    entry = documents.get(key) if key is not None else None
    if entry is None or entry.document is not document:
        return list(validate())
    rules = (context.schema._schema, tuple(context.validation_rules))
    errors = entry.verdicts.get(rules)
    if errors is None:
        errors = list(validate())
        documents.add_verdict(key, entry, rules, errors)
    return errors
