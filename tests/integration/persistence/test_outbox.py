"""The event outbox on both backends: gapless revisions in commit order, never a skipped one."""

from __future__ import annotations

import threading
import time

from adapters.persistence.uow import SqlUnitOfWorkFactory
from tests.contract.test_events import event
from tests.integration.persistence import builders as b

WRITERS = 6
EACH = 15


class TestRevisions:
    def test_a_writer_holding_a_revision_keeps_later_ones_invisible(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        """The skipped-revision race of DESIGN §12: a slow committer must not let a later
        revision become visible first."""
        b.store(uow, grants=False)
        slow_numbered, fast_done = threading.Event(), threading.Event()

        def fast() -> None:
            slow_numbered.wait(5)
            with uow() as u:
                u.events.add(event(n=2))
                u.commit()
            fast_done.set()

        thread = threading.Thread(target=fast)
        thread.start()
        with uow() as slow:
            slow.events.add(event(n=1))
            slow.events.before_commit()
            slow_numbered.set()
            time.sleep(0.5)
            with uow() as reader:
                assert reader.events.after(0, 10) == []
            assert not fast_done.is_set()
            slow.commit()
        thread.join(10)
        with uow() as u:
            assert [e.reason for e in u.events.after(0, 10)] == ["change 1", "change 2"]

    def test_concurrent_writers_and_a_follower_never_skip(self, uow: SqlUnitOfWorkFactory) -> None:
        b.store(uow, *(b.binding(f"b-{n}", url=None) for n in range(WRITERS)), grants=False)
        done = threading.Event()
        seen: list[int] = []

        def write(n: int) -> None:
            for i in range(EACH):
                with uow() as u:
                    u.events.add(event(f"b-{n}", i))
                    if i % 3 == 0:
                        u.events.add(event(f"b-{n}", i))
                    u.commit()

        def follow() -> None:
            while True:
                finished = done.is_set()
                with uow() as u:
                    batch = u.events.after(seen[-1] if seen else 0, 50)
                seen.extend(e.revision or 0 for e in batch)
                if finished and not batch:
                    return

        follower = threading.Thread(target=follow)
        writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        follower.start()
        for w in writers:
            w.start()
        for w in writers:
            w.join(60)
        done.set()
        follower.join(60)
        total = WRITERS * (EACH + len(range(0, EACH, 3)))
        assert seen == list(range(1, total + 1))
