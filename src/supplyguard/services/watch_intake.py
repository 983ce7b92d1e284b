"""Where intake matches partners' keyed watch lists from: the node's keys folder and its name.

Its own seam, apart from risk scoring: a node matches the lists it received whether or not it has
an active risk model. Light on purpose (no sharing module is loaded until a list is matched), so a
caller can always pass one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supplyguard.adapters.keys import has_watch_secret

if TYPE_CHECKING:
    from supplyguard.config import Settings


@dataclass(frozen=True, slots=True)
class WatchIntake:
    """The keys folder holding the agreements' watch-list secrets, and the node's name (it signs
    the disclosure requests a hit opens)."""

    keys_dir: Path
    node_name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WatchIntake:
        return cls(settings.keys_dir, settings.node_name)

    def has_secret(self) -> bool:
        """Whether any agreement secret is installed: without one no received list can match."""
        return has_watch_secret(self.keys_dir)
