"""The chat sessions of the API: each session's last turn, in memory."""

from __future__ import annotations

import uuid
from collections import OrderedDict

from longtail.serving.assistant import Turn

MAX_SESSIONS = 10_000


class Sessions:
    """The last turn of each chat session, in memory, the least recently used dropped beyond ``capacity``."""

    def __init__(self, capacity: int = MAX_SESSIONS):
        self.capacity = capacity
        self._turns: OrderedDict[str, tuple[str, Turn]] = OrderedDict()

    def get(self, session_id: str | None, dataset: str) -> Turn | None:
        if session_id is None or session_id not in self._turns:
            return None
        shop, turn = self._turns[session_id]
        self._turns.move_to_end(session_id)
        return turn if shop == dataset else None

    def put(self, session_id: str | None, dataset: str, turn: Turn) -> str:
        session_id = session_id or uuid.uuid4().hex
        self._turns[session_id] = (dataset, turn)
        self._turns.move_to_end(session_id)
        while len(self._turns) > self.capacity:
            self._turns.popitem(last=False)
        return session_id
