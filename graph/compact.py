"""Compact attribute and key mappings for the networkx graph: a dict per node, and a key dict, a key string and an
attribute dict per edge were most of the graph's memory (5.8 KB per paper at 100k papers; now 2.0).

`KnowledgeGraph` puts these objects into networkx's own adjacency dicts (`put_node`, `put_edge`), so every networkx
view, algorithm and copy reads them as the mappings they are. A node pair's key dict (`EdgeKeys`) holds its first
edge in its own fields and computes that edge's key ("<predicate>:<paper>"); further edges go into a dict. Node and
edge attributes are read-only: a networkx call that would change them in place (`add_edge` with an existing key,
`add_node` of an existing node with attributes) raises instead. `copy()` of either gives a plain dict, so
`graph.copy()` is an ordinary networkx graph (exports use it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, MutableMapping
from types import MappingProxyType
from typing import Any

import networkx as nx

NO_NEIGHBOURS: Mapping[str, Any] = MappingProxyType({})
"""The adjacency of a node without successors (or without predecessors) until `put_edge` gives it one: a node
holds two adjacency dicts, and half of them stay empty (a paper has no predecessors, most entities no successors).
Read-only: networkx's own `add_edge` onto such a node raises instead of changing every empty node at once."""
EDGE_FIELDS = ("predicate", "paper", "confidence", "factor", "count", "metric", "hardware")
"""An edge's attributes, in the order they were always inserted; all but the first three are optional."""
NODE_FIELDS = ("kind", "type", "name")


class _Edge(Mapping[str, Any]):
    """One edge's attributes (the fields above whose value is not None), read-only; its key is
    "<predicate>:<paper>". The fields are read from `_holder()`."""

    __slots__ = ()

    def _holder(self) -> Any:
        raise NotImplementedError

    def __getitem__(self, name: str) -> Any:
        if name in EDGE_FIELDS:
            value = getattr(self._holder(), name)
            if value is not None:
                return value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        holder = self._holder()
        return (name for name in EDGE_FIELDS if getattr(holder, name) is not None)

    def __len__(self) -> int:
        holder = self._holder()
        return sum(getattr(holder, name) is not None for name in EDGE_FIELDS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"

    @property
    def key(self) -> str:
        holder = self._holder()
        return f"{holder.predicate}:{holder.paper}"

    def is_key(self, key: object) -> bool:
        return isinstance(key, str) and key == self.key

    def copy(self) -> dict[str, Any]:
        """A mutable copy (what networkx's `copy()` asks of an attribute dict)."""
        return dict(self)

    def merged(self, newer: _Edge) -> EdgeData:
        """What networkx's `add_edge` makes of an existing edge given `newer`'s attributes: the newer values win,
        the others stay."""
        mine, theirs = self._holder(), newer._holder()
        return edge_data(*(getattr(theirs, f) if getattr(theirs, f) is not None else getattr(mine, f)
                           for f in EDGE_FIELDS))


class EdgeData(_Edge):
    """An edge's attributes as an object of their own (`put_edge` takes one; a second edge between the same two
    nodes keeps it). Make one with `edge_data`: an edge without the optional fields is a smaller object."""

    __slots__ = EDGE_FIELDS[:3]
    _fields: tuple[str, ...] = EDGE_FIELDS[:3]
    predicate: str
    paper: str
    confidence: float
    factor: float | None = None
    count: int | None = None
    metric: str | None = None
    hardware: str | None = None

    def __init__(self, *values: Any) -> None:
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise TypeError("edge attributes are immutable (they may be shared)")

    def _holder(self) -> Any:
        return self


class _FullEdgeData(EdgeData):
    """An edge with some of the optional fields (a claim's factor, metric and hardware; a device count)."""

    __slots__ = EDGE_FIELDS[3:]
    _fields = EDGE_FIELDS


def edge_data(predicate: str, paper: str, confidence: float, factor: float | None = None, count: int | None = None,
              metric: str | None = None, hardware: str | None = None) -> EdgeData:
    """An edge's attributes, in the smaller object when it has none of the optional fields."""
    if factor is None and count is None and metric is None and hardware is None:
        return EdgeData(predicate, paper, confidence)
    return _FullEdgeData(predicate, paper, confidence, factor, count, metric, hardware)


class EdgeView(_Edge):
    """The attributes of the edge an `EdgeKeys` holds in its own fields (made on each access), read-only."""

    __slots__ = ("_of",)
    _of: EdgeKeys

    def __init__(self, keys: EdgeKeys) -> None:
        object.__setattr__(self, "_of", keys)

    def __setattr__(self, name: str, value: object) -> None:
        raise TypeError("edge attributes are immutable")

    def _holder(self) -> Any:
        return self._of


class NodeData(Mapping[str, Any]):
    """One node's attributes, read-only: kind, type, name, then a paper's year or an entity's own attributes.
    `NodeData(...)` gives the smallest of the classes below that holds them (a paper's kind and type, an entity's
    kind, are constants of its class)."""

    __slots__ = ()
    kind: str
    type: str
    name: str
    year: int | None = None
    rest: dict[str, Any] | None = None

    def __new__(cls, kind: str, type_: str, name: str, year: int | None = None,
                rest: dict[str, Any] | None = None) -> NodeData:
        rest = rest or None
        if cls is NodeData:
            if kind == "paper" and type_ == "Paper" and rest is None:
                cls = _PaperNode
            elif kind == "entity" and year is None:
                cls = _EntityNode
            else:
                cls = _AnyNode
        node = object.__new__(cls)
        for name_, value in (("kind", kind), ("type", type_), ("name", name), ("year", year), ("rest", rest)):
            if name_ in cls.__slots__:
                object.__setattr__(node, name_, value)
        return node

    @classmethod
    def of(cls, attrs: Mapping[str, Any]) -> NodeData:
        """From a mapping whose first keys are kind, type and name (then `year` alone, or other attributes)."""
        items = list(attrs.items())
        if [k for k, _ in items[:3]] != list(NODE_FIELDS):
            raise ValueError(f"node attributes must start with {NODE_FIELDS}: {list(attrs)}")
        (_, kind), (_, type_), (_, name), *others = items
        if len(others) == 1 and others[0][0] == "year" and others[0][1] is not None:
            return NodeData(kind, type_, name, year=others[0][1])
        return NodeData(kind, type_, name, rest=dict(others))

    def __setattr__(self, name: str, value: object) -> None:
        raise TypeError("node attributes are immutable")

    def __getitem__(self, name: str) -> Any:
        if name in NODE_FIELDS:
            return getattr(self, name)
        if name == "year" and self.year is not None:
            return self.year
        if self.rest is not None:
            return self.rest[name]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from NODE_FIELDS
        if self.year is not None:
            yield "year"
        if self.rest is not None:
            yield from self.rest

    def __len__(self) -> int:
        return 3 + (self.year is not None) + len(self.rest or ())

    def __repr__(self) -> str:
        return f"NodeData({dict(self)!r})"

    def copy(self) -> dict[str, Any]:
        return dict(self)


class _PaperNode(NodeData):
    __slots__ = ("name", "year")
    kind = "paper"
    type = "Paper"


class _EntityNode(NodeData):
    __slots__ = ("name", "rest", "type")
    kind = "entity"


class _AnyNode(NodeData):
    __slots__ = ("kind", "name", "rest", "type", "year")


class EdgeKeys(MutableMapping[str, Mapping[str, Any]]):
    """networkx's key dict of one (source, target) pair (edge key -> attributes). Its first edge lives in its own
    fields (no dict, no key string: the key is computed, and the attributes are an `EdgeView` made on access); more
    edges go into a dict after it, in insertion order as in a dict. Make one with `EdgeKeys.of`."""

    __slots__ = ("_more", "confidence", "paper", "predicate")
    _fields: tuple[str, ...] = EDGE_FIELDS[:3]
    _more: dict[str, Mapping[str, Any]] | None
    predicate: str | None
    """None once the edge held in the fields is removed."""
    paper: str
    confidence: float
    factor: float | None = None
    count: int | None = None
    metric: str | None = None
    hardware: str | None = None

    @staticmethod
    def of(data: _Edge, more: dict[str, Mapping[str, Any]] | None = None) -> EdgeKeys:
        """A key dict holding the edge `data` (then `more`)."""
        holder = data._holder()
        full = any(getattr(holder, name) is not None for name in EDGE_FIELDS[3:])
        keys = _FullEdgeKeys() if full else EdgeKeys()
        for name in keys._fields:
            setattr(keys, name, getattr(holder, name))
        keys._more = more or None
        return keys

    def _holds(self, key: object) -> bool:
        return self.predicate is not None and isinstance(key, str) and key == f"{self.predicate}:{self.paper}"

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        if self._holds(key):
            return EdgeView(self)
        if self._more is not None:
            return self._more[key]
        raise KeyError(key)

    def __setitem__(self, key: str, value: Mapping[str, Any]) -> None:
        if self._holds(key):  # the edge in the fields is replaced: it goes first into the dict, the others follow
            self._more, self.predicate = {key: value, **(self._more or {})}, None
        else:
            if self._more is None:
                self._more = {}
            self._more[key] = value

    def __delitem__(self, key: str) -> None:
        if self._holds(key):
            self.predicate = None
        elif self._more is not None:
            del self._more[key]
            if not self._more:
                self._more = None
        else:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        if self.predicate is not None:
            yield f"{self.predicate}:{self.paper}"
        if self._more is not None:
            yield from self._more

    def __len__(self) -> int:
        return (self.predicate is not None) + (len(self._more) if self._more is not None else 0)

    def __contains__(self, key: object) -> bool:
        return self._holds(key) or (self._more is not None and key in self._more)

    def attributes(self) -> tuple[Mapping[str, Any], ...]:
        """The attributes of every edge, in order (the fast path of `values()`)."""
        more = self._more
        if more is None:
            return (EdgeView(self),) if self.predicate is not None else ()
        return (EdgeView(self), *more.values()) if self.predicate is not None else tuple(more.values())

    def __repr__(self) -> str:
        return f"EdgeKeys({dict(self)!r})"


class _FullEdgeKeys(EdgeKeys):
    __slots__ = EDGE_FIELDS[3:]
    _fields = EDGE_FIELDS


def attributes(keydict: Mapping[str, Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...] | Any:
    """The attribute mappings of one key dict, without computing its keys."""
    return keydict.attributes() if isinstance(keydict, EdgeKeys) else keydict.values()


class Shared:
    """One object per distinct value of what many edges and nodes repeat (types, predicates, metrics, hardware:
    interned; confidences, years, counts: one object per value), so each points at it instead of holding a copy."""

    LIMIT = 100_000
    """Distinct numbers kept at most (then the table starts again)."""

    def __init__(self) -> None:
        self._floats: dict[float, float] = {}
        self._ints: dict[int, int] = {}

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return sys.intern(value)
        if kind is float and value != 0:  # -0.0 == 0.0: zeros keep their own sign
            table: dict[Any, Any] = self._floats
        elif kind is int:
            table = self._ints
        else:
            return value
        if len(table) >= self.LIMIT:
            table.clear()
        return table.setdefault(value, value)


def put_node(graph: nx.MultiDiGraph, node: str, data: NodeData) -> None:
    """Add a node with its attributes, as `graph.add_node` would (an existing node's attributes are merged)."""
    old = graph._node.get(node)
    if old is None:
        graph._succ[node] = NO_NEIGHBOURS
        graph._pred[node] = NO_NEIGHBOURS
        graph._node[node] = data
    else:
        graph._node[node] = NodeData.of({**old, **data})


def put_edge(graph: nx.MultiDiGraph, source: str, target: str, data: EdgeData) -> str:
    """Add an edge keyed "<predicate>:<paper>" between existing nodes, as `graph.add_edge` would (an existing edge
    of that key gets the newer attributes merged in); returns the key."""
    key = data.key
    keydict = graph._succ[source].get(target)
    if keydict is None:
        keydict = EdgeKeys.of(data)
    else:
        old = keydict.get(key)
        if old is None:
            keydict[key] = data
            return key
        merged = old.merged(data) if isinstance(old, _Edge) else edge_data(**{**old, **data})
        if not isinstance(old, EdgeView):
            keydict[key] = merged
            return key
        keydict = EdgeKeys.of(merged, keydict._more)  # the fields may grow: a new key dict in both places
    _neighbours(graph._succ, source)[target] = keydict
    _neighbours(graph._pred, target)[source] = keydict
    return key


def _neighbours(adjacency: dict[str, Any], node: str) -> dict[str, Any]:
    """The node's adjacency dict, made when it is still `NO_NEIGHBOURS`."""
    found = adjacency[node]
    if found is NO_NEIGHBOURS:
        found = adjacency[node] = {}
    return found
