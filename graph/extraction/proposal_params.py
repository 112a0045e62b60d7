"""The tunable constants of proposal reading: how sure a proposal is by where it was read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProposalParams:
    """Confidence of a proposal by where it was read, and how far back an 'existing' cue may stand."""

    title_named_in_abstract: float = 0.95
    """A title's "Name:" that the abstract names again."""
    title_only: float = 0.8
    """A title's "Name:" the abstract never repeats."""
    we_propose: float = 0.9
    """The object of "we propose/introduce ..."."""
    passive: float = 0.8
    """"X is proposed/introduced"."""
    ours: float = 0.85
    """"our method/system X"."""
    listed: float = 0.1
    """Discount for an item of a list after the verb rather than its head."""
    noun_phrase: float = 0.2
    """Discount for a plain noun phrase (no name) after the verb."""
    existing_window: int = 64
    """Characters before an "our ..." phrase searched for a cue that the thing is existing work."""
    max_objects: int = 10
    """Proposals read from one verb's object at most."""
    operation: float = 0.7
    """A plain operation phrase proposed without a name ("we propose layer-wise pruning ...")."""
    family_kinds: int = 5
    """Narrower techniques from which a vocabulary technique is a family: "a knowledge distillation method" (37
    kinds) proposes one of them, not knowledge distillation; "a block pruning approach" (no kinds) proposes block
    pruning."""


PARAMS = ProposalParams()
